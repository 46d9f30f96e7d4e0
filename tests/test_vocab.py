"""Roles and statuses: the database refuses a value outside the vocabulary (models/vocab.py,
migration vocab_check_constraints), and what each role may do (services/permissions.py)."""
import importlib.util
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tests.support import factories
from webapp.extensions import db
from webapp.models import Leave, Role, User
from webapp.models.vocab import CHECKED_COLUMNS
from webapp.services import permissions


def _migration(name: str):
    path = Path(__file__).resolve().parent.parent / f"webapp/migrations/versions/{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


# the migrations that set CHECK constraints, in order: a later one replaces a column's constraint
CHECK_MIGRATIONS = ("vocab_check_constraints", "assess15_county", "ux_printjob_cancelled")


def test_the_migration_checks_the_values_of_the_enums():
    checks: dict[tuple[str, str], tuple[str, ...]] = {}
    for name in CHECK_MIGRATIONS:
        checks.update({(t, c): vals for t, c, vals in _migration(name).CHECKS})
    assert [(t, c, vals) for (t, c), vals in checks.items()] == [
        (t, c, tuple(member.value for member in enum)) for t, c, enum in CHECKED_COLUMNS]


def test_every_enum_column_has_its_check_constraint(ctx):
    inspector = inspect(db.engine)
    for table, column, enum in CHECKED_COLUMNS:
        checks = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table)}
        name = f"ck_{table}_{column}"
        assert name in checks, (table, checks)
        assert all(f"'{member.value}'" in checks[name] for member in enum), checks[name]


def _refused(statement: str, **params) -> bool:
    try:
        with db.session.begin_nested():
            db.session.execute(text(statement), params)
    except IntegrityError:
        return True
    return False


def test_the_database_refuses_a_role_or_status_outside_the_vocabulary(ctx):
    w = factories.world()
    db.session.flush()
    helper, hh = w.objects["h1"], w.objects["hh1"]
    leave = factories.leave_row(w.objects["team1"].id, date(2026, 3, 2), date(2026, 3, 2), status="pending")
    db.session.flush()

    assert _refused('UPDATE "user" SET role = :v WHERE id = :id', v="boss", id=helper.id)
    assert _refused("UPDATE household SET status = :v WHERE id = :id", v="脱贫户", id=hh.id)
    assert _refused("UPDATE leave SET status = :v WHERE id = :id", v="maybe", id=leave.id)
    # the same strings as before are accepted, whether written as the enum or as text
    assert not _refused('UPDATE "user" SET role = :v WHERE id = :id', v="helper", id=helper.id)
    helper.role = Role.HELPER
    db.session.flush()
    assert db.session.get(User, helper.id).role == "helper"
    assert db.session.get(Leave, leave.id).status == "pending"


# role → the permissions it has (everything not listed: refused)
EXPECTED = {
    Role.HELPER: {"records_visits", "can_print_diaries"},
    Role.TEAM_MEMBER: {"in_team", "can_see_team_attendance"},
    Role.FIRST_SECRETARY: {"in_team", "can_see_team_attendance", "can_oversee_team", "can_review", "can_verify",
                           "can_decide_leave", "can_assess", "can_rank_village", "can_sanction", "can_see_full_id",
                           "can_handle_policy_problems", "can_print_diaries", "can_print_attendance_sheets"},
    Role.OFFICE_ADMIN: {"administers_unit", "can_see_team_attendance", "can_oversee_team", "can_verify",
                        "can_decide_leave", "can_assess", "can_sanction", "can_see_full_id",
                        "can_handle_policy_problems", "can_print_diaries", "can_print_attendance_sheets",
                        "can_batch_print", "can_read_office_assessments"},
    # the county office reads its townships and approves pairing changes
    Role.COUNTY_ADMIN: {"administers_county", "can_read_office_assessments"},
}
PREDICATES = sorted(name for name in vars(permissions) if name.startswith(("can_", "in_", "records_", "administers_")))


@pytest.mark.parametrize("role", list(Role))
def test_what_each_role_may_do(role):
    user = User(role=role.value)  # as loaded: a plain string
    assert {name for name in PREDICATES if getattr(permissions, name)(user)} == EXPECTED[role]


def test_nobody_without_a_role_may_do_anything():
    class Anonymous:  # flask_login's anonymous user has no role
        pass

    assert not any(getattr(permissions, name)(Anonymous()) for name in PREDICATES)

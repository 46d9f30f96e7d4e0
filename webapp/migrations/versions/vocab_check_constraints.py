"""roles and statuses: a CHECK constraint on each column that holds one (models/vocab.py)

Revision ID: vocab_check_constraints
Revises: evui_reason_signature
Create Date: 2026-11-29 23:00:00

The values are written out here, not imported, so this step stays what it was when the
vocabulary grows (a later migration replaces a constraint). Rows holding another value stop
the upgrade with the table, column and values to correct, before anything is changed.
"""
import sqlalchemy as sa
from alembic import op

revision = 'vocab_check_constraints'
down_revision = 'evui_reason_signature'
branch_labels = None
depends_on = None

CHECKS = (
    ("user", "role", ("helper", "team_member", "first_secretary", "office_admin")),
    ("household", "status", ("未脱贫", "已脱贫", "监测户")),
    ("visit", "review_status", ("pending", "reviewed", "returned", "fixed")),
    ("measure", "status", ("planned", "done")),
    ("leave", "status", ("pending", "approved", "rejected", "cancelled")),
    ("visit_signature", "status", ("signed", "thumbprint", "not_home")),
    ("print_job", "status", ("queued", "running", "done", "failed", "downloaded", "expired")),
)


def _condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _refuse_other_values(bind) -> None:
    wrong = []
    for table, column, values in CHECKS:
        t = sa.table(table, sa.column(column))
        col = t.c[column]
        found = bind.execute(sa.select(col, sa.func.count()).where(col.not_in(values))
                             .group_by(col)).all()
        wrong += [f"{table}.{column} = {value!r}: {n} rows" for value, n in found]
    if wrong:
        raise RuntimeError("vocab_check_constraints: these rows hold a value outside the vocabulary; "
                           "correct them, then upgrade again:\n  " + "\n  ".join(wrong))


def upgrade():
    _refuse_other_values(op.get_bind())
    for table, column, values in CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f"ck_{table}_{column}"), _condition(column, values))


def downgrade():
    for table, column, _values in reversed(CHECKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")

"""待核实 / 已核实: who may accept a flagged visit, what it takes, what a new flag
does, and what a closed month keeps."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from tests.support.perf_factories import local, measure, visit
from webapp.extensions import db
from webapp.models import AuditLog, MonthResult
from webapp.services import performance, verification, visit_flags
from webapp.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from webapp.web import rules as app_rules

AFTER = datetime(2026, 5, 1, tzinfo=timezone.utc)


def test_who_may_accept_and_what_it_takes(w):
    flagged = visit(w["h1"], w["hh1"], local(2026, 3, 3), flags=["outside_geofence"], within=False)
    clean = visit(w["h1"], w["hh1"], local(2026, 3, 4))
    assert verification.state(flagged) == "pending" and not verification.counts(flagged)
    assert verification.state(clean) is None and verification.counts(clean)
    with pytest.raises(Forbidden):
        verification.verify(w["h1"], flagged.id, "我自己核实")
    with pytest.raises(NotFound):
        verification.verify(w["sec2"], flagged.id, "别村书记")
    with pytest.raises(NotFound):
        verification.verify(w["admin_x"], flagged.id, "别的乡")
    with pytest.raises(ValidationFailed):
        verification.verify(w["sec1"], flagged.id, "   ")
    with pytest.raises(Conflict):
        verification.verify(w["sec1"], clean.id, "没有异常")
    verification.verify(w["admin"], flagged.id, "乡扶贫办电话核实属实")
    assert verification.state(flagged) == "verified" and flagged.verified_by_id == w["admin"].id
    assert verification.summary(flagged)["note"] == "乡扶贫办电话核实属实"
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "visit.verified")).entity_id == flagged.id


def test_a_new_flag_after_acceptance_needs_another_look(w):
    v = visit(w["h1"], w["hh1"], local(2026, 3, 3), flags=["outside_geofence"], within=False)
    v.flag_details = {"outside_geofence": {"distance_m": 900, "radius_m": 300}}
    verification.verify(w["sec1"], v.id, "田间地头走访")
    visit_flags.store(v, dict(v.flag_details))  # same flags: still accepted
    assert verification.state(v) == "verified"
    visit_flags.add_duplicate(v, {"photo_id": 1, "other_photo_id": 2, "other_visit_id": 99, "bits": 0, "at": None})
    assert v.flags == ["outside_geofence", "duplicate_photo"] and verification.state(v) == "pending"
    assert v.verify_note is None


def test_a_month_closed_with_visits_waiting_keeps_them_uncounted(w):
    h2, hh3 = w["h2"], w["hh3"]
    measure(hh3, date(2026, 3, 20), done_at=local(2026, 3, 10, 11))
    v = visit(h2, hh3, local(2026, 3, 10), flags=["poor_accuracy"])
    live = performance.helper_month(app_rules.scoring(), w["admin"], h2, "2026-03", AFTER)
    assert (live.households_visited, live.households_visited_pending, live.pending_visits) == (0, 1, 1)
    assert live.rating != "优秀"
    coverage = next(r for r in live.rules if r.code == "coverage")
    assert "另有 1 户的走访待核实" in coverage.facts
    waiting = next(r for r in live.rules if r.code == "flags")
    assert waiting.evidence == ["张三：定位不准（1 次，待核实）"]
    c = performance.close_month(app_rules.scoring(), w["admin"], "2026-03", now=AFTER)
    db.session.flush()
    verification.verify(w["sec1"], v.id, "核实属实")
    # the closed month keeps what it was closed with
    snap = db.session.scalar(select(MonthResult).where(MonthResult.closure_id == c.id, MonthResult.helper_id == h2.id))
    closed = performance.HelperMonth.from_snapshot(snap, "2026-03")
    assert closed.households_visited == 0 and closed.households_visited_pending == 1
    assert performance.helper_month(app_rules.scoring(), w["admin"], h2, "2026-03", AFTER).households_visited == 0

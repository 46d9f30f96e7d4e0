"""Work-team checks, computed by hand: a team below 3 or without its first secretary is
flagged (001); N working days in a row away from the village make a 召回 candidate (000, 003)."""
from datetime import date, datetime, time, timedelta, timezone

from tests.support import factories
from webapp.extensions import db
from webapp.services import team_checks
from webapp.services.attendance import Day, working_days
from webapp.web import rules as app_rules

CST = timezone(timedelta(hours=8))


def _day(d: int, status: str) -> Day:
    return Day(date(2026, 3, d), status, status != "rest")


def test_longest_absence_skips_rest_days_and_stops_at_presence_or_leave(ctx):
    days = [_day(2, "absent"), _day(3, "absent"), _day(4, "in"), _day(5, "absent"), _day(6, "absent"),
            _day(7, "rest"), _day(8, "rest"), _day(9, "absent"), _day(10, "leave"), _day(11, "absent"), _day(12, "today")]
    run = team_checks.longest_absence(days)
    assert (run.days, run.first, run.last) == (3, date(2026, 3, 5), date(2026, 3, 9))  # 5, 6, (weekend), 9


def _checks(admin, today):
    return team_checks.for_office(app_rules.attendance(), app_rules.assessment(), admin, today)


def test_team_flags_and_recall_candidates_from_hand_built_check_ins(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "TEAM_RECALL_ABSENT_DAYS", 10)
    monkeypatch.setitem(app.config, "TEAM_RECALL_LOOKBACK_DAYS", 90)
    o = factories.world().objects
    v3 = factories.village(o["unit"], "南村")
    for i in range(3):  # three members, no first secretary
        factories.user(o["unit"], f"team3{i}", "team_member", v3)
    factories.user(o["unit"], "team13", "team_member", o["v1"])  # 东村: sec1, team1, team13 → 3 people
    today = date(2026, 3, 31)
    for p in (o["team1"], o["sec1"]):
        p.created_at = datetime(2025, 11, 1, tzinfo=timezone.utc)
    workdays = working_days(app_rules.attendance(), today - timedelta(days=90), today - timedelta(days=1))
    away = set(workdays[20:30])  # team1: 10 working days in a row without a check-in in the village
    for d in workdays:
        at = datetime.combine(d, time(9), CST)
        if d not in away:
            factories.checkin_row(o["team1"].id, o["v1"].id, at)
        if d not in workdays[40:49]:  # sec1: 9 in a row — not yet
            factories.checkin_row(o["sec1"].id, o["v1"].id, at)
    db.session.flush()
    checks = {c.village.name: c for c in _checks(o["admin"], today)}
    assert checks["东村"].flags == []
    assert [(p.username, r.days, r.first, r.last) for p, r in checks["东村"].recall] == [
        ("team1", 10, workdays[20], workdays[29])]
    assert checks["西村"].flags == ["工作队只有 2 人，少于 3 人（001：一般不少于 3 人）"]
    assert checks["南村"].flags == ["没有第一书记（001：队长由第一书记兼任）"]
    # 南村's members were created today: before their posting nothing is an absence
    assert checks["南村"].recall == []
    monkeypatch.setitem(app.config, "TEAM_RECALL_LOOKBACK_DAYS", 30)  # the run is older than the last 30 days
    assert [c.recall for c in _checks(o["admin"], today)] == [[], [], []]

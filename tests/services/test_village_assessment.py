"""The village assessment of 001 六(一)3, computed by hand: a quarter out of 100 from the
helpers' and the team's results, the year at 20/20/20/40 with the year-end assessment, top three and
bottom two."""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from tests.support import factories
from webapp.extensions import db
from webapp.models import User, Village
from webapp.services import village_assessment as va
from webapp.web import rules as app_rules

CST = timezone(timedelta(hours=8))


def test_a_quarter_is_the_helpers_and_the_teams_parts(ctx):
    # helpers 80 and 90 → 85 % of 60; team 0.5 and 1.0 → 75 % of 40: 51 + 30
    assert va.quarter_score([80, 90], [0.5, 1.0], {"helpers": 60, "team": 40}) == 81.0
    assert va.quarter_score([], [1.0], {"helpers": 60, "team": 40}) == 40.0  # no helpers: that part is 0
    # 002's targets: 25 days of 50 and 40 counted check-ins of 50 → (0.5 + 0.8) / 2; above target counts as the target
    assert va.team_ratio(app_rules.attendance(), 25, 40) == 0.65 and va.team_ratio(app_rules.attendance(), 70, 60) == 1.0


def test_the_year_is_twenty_twenty_twenty_forty_with_the_year_end(ctx):
    rules = app_rules.assessment()
    assert va.year_score(rules, [80, 70, 90, 60], None) == (72.0, 72.0)  # 16 + 14 + 18 + 24
    assert va.year_score(rules, [80, 70, 90, 60], 90) == (72.0, 81.0)  # half quarters, half year-end (local choice)
    assert va.year_score(rules, [80, 70, None, None], None) == (75.0, 75.0)  # (16 + 14) / 0.4: quarters not ended left out


def _rows(*finals):
    return [va.VillageYear(SimpleNamespace(id=i, name=f"村{i}"), [], [], [], final=f) for i, f in enumerate(finals, 1)]


def test_top_three_are_rewarded_and_the_bottom_two_lose_awards(ctx):
    rows = va.standings(app_rules.assessment(), _rows(65, 95, 50, 85, 75))
    assert [(r.final, r.rank, r.standing) for r in rows] == [
        (95, 1, ["奖励"]), (85, 2, ["奖励"]), (75, 3, ["奖励"]),
        (65, 4, ["取消评先评优资格"]), (50, 5, ["取消评先评优资格", "约谈"])]  # 约谈: also below the pass line
    three = va.standings(app_rules.assessment(), _rows(90, 80, 50))  # the bottom two first; the rest rewarded
    assert [r.standing for r in three] == [["奖励"], ["取消评先评优资格"], ["取消评先评优资格", "约谈"]]
    failing = va.standings(app_rules.assessment(), _rows(55, 50, 40, 30, 20))  # 001: only villages that pass (合格) are rewarded
    assert [r.standing for r in failing][:3] == [[], [], []]


def _year(admin, now):
    return va.year(app_rules.scoring(), app_rules.attendance(), app_rules.assessment(), admin, 2026, now)


def test_a_village_quarter_from_hand_built_check_ins(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "VILLAGE_SCORE_PARTS", {"helpers": 0, "team": 100})
    w = factories.world()
    o = w.objects
    for p in (o["team1"], o["sec1"], o["team2"], o["sec2"]):
        p.created_at = datetime(2025, 12, 1, tzinfo=timezone.utc)
    for day in range(25):  # team1: 25 days inside 东村 in Q1, one check-in a day counted
        at = datetime(2026, 1, 5, 10, tzinfo=CST) + timedelta(days=day)
        factories.checkin_row(o["team1"].id, o["v1"].id, at)
    factories.checkin_row(o["team1"].id, o["v1"].id, datetime(2026, 1, 5, 15, tzinfo=CST))  # a second that day
    for day in range(3):  # and 3 days from outside the village: not counted
        factories.checkin_row(o["team1"].id, o["v1"].id, datetime(2026, 2, 10, 10, tzinfo=CST) + timedelta(days=day),
                              inside=False)
    db.session.flush()
    now = datetime(2026, 4, 15, 10, tzinfo=CST)
    rows = {r.village.name: r for r in _year(o["admin"], now)}
    # team1 (25/50 + 25/50) / 2 = 0.5, sec1 0 → 25 % of 100; 西村's team did not check in
    assert rows["东村"].quarters[0] == 25.0 and rows["东村"].team[0] == 25.0 and rows["西村"].quarters[0] == 0.0
    assert rows["东村"].quarters[1] == 0.0 and rows["东村"].weighted == 25.0  # Q2 under way: shown, not yet weighted
    va.enter_year_end(o["admin"], o["v1"], 2026, "85", "年终检查")
    rows = {r.village.name: r for r in _year(o["admin"], now)}
    assert rows["东村"].year_end == 85 and rows["东村"].final == 55.0 and rows["东村"].rank == 1


def test_year_end_entry_is_checked(ctx):
    w = factories.world()
    admin: User = w.objects["admin"]
    village: Village = w.objects["v1"]
    for bad in ("abc", "101", "-1", ""):
        try:
            va.enter_year_end(admin, village, 2026, bad, "")
        except va.ValidationFailed as err:
            assert "0–100" in err.message
        else:
            raise AssertionError(bad)

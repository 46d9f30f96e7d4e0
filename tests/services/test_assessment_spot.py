"""A spot-check result moves the month's score and rating (SPOT_CHECK_EFFECTS, a local
choice), on live and closed months, in rankings, quarter and year; household satisfaction recorded
on spot checks and summed per village. Hand-built months, numbers computed by hand."""
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.support.perf_factories import local, measure, visit
from webapp.extensions import db
from webapp.models import AuditLog, SpotCheckItem
from webapp.services import performance
from webapp.services.assessment import spot_effects
from webapp.services.errors import Conflict, ValidationFailed
from webapp.web import rules as app_rules

MARCH = "2026-03"
AFTER = datetime(2026, 5, 1, tzinfo=UTC)


def full_month(w):
    """h2 (one household hh3): a visit with notes, entered at once, the due measure done → 100 优秀."""
    visit(w["h2"], w["hh3"], local(2026, 3, 10))
    measure(w["hh3"], date(2026, 3, 20), done_at=local(2026, 3, 10, 11))
    db.session.commit()


def item_of(w, helper):
    d = performance.draw(app_rules.scoring(), w["admin"], MARCH, seed="全抽", ratio=1.0)
    db.session.commit()
    return next(i for i in d.items if i.helper_id == w[helper].id)


def month(w, helper="h2"):
    return performance.helper_month(app_rules.scoring(), w["admin"], w[helper], MARCH, AFTER)


def test_no_result_changes_nothing_and_conforming_changes_nothing(w):
    full_month(w)
    item = item_of(w, "h2")
    r = month(w)
    assert (r.score, r.rating) == (100.0, "优秀")  # drawn, not yet checked
    performance.record_result(w["admin"], item, "符合", "")
    db.session.commit()
    r = month(w)
    assert (r.score, r.rating) == (100.0, "优秀") and all(x.code != "spot_check" for x in r.rules)


def test_not_conforming_takes_twenty_points_and_caps_the_rating(w):
    full_month(w)
    item = item_of(w, "h2")
    performance.record_result(w["admin"], item, "不符合", "户主称本月未见帮扶人")
    db.session.commit()
    r = month(w)
    # 100 − 20 = 80, which would be 合格; 不符合 caps the month at 不合格
    assert (r.score, r.rating) == (80.0, "不合格")
    spot = next(x for x in r.rules if x.code == "spot_check")
    assert spot.points == -20.0 and "户主称本月未见帮扶人" in spot.facts and "本地设置" in spot.facts
    assert "当月抽查结果为不符合" in r.veto
    # the office's ranking shows the same, and ranks h2 below 80
    ranked = {x.username: x for x in performance.month_results(app_rules.scoring(), w["admin"], MARCH, now=AFTER)}
    assert (ranked["h2"].score, ranked["h2"].rating) == (80.0, "不合格")
    # the helper sees it on their own month
    own = performance.helper_month(app_rules.scoring(), w["h2"], w["h2"], MARCH, AFTER)
    assert (own.score, own.rating) == (80.0, "不合格")


def test_basically_conforming_takes_five_and_forbids_excellent(w):
    full_month(w)
    item = item_of(w, "h2")
    performance.record_result(w["admin"], item, "基本符合", "日志少写一次")
    db.session.commit()
    r = month(w)
    assert (r.score, r.rating) == (95.0, "合格")  # 95 ≥ 90, but capped at 合格


def test_effects_come_from_config(w, app):
    full_month(w)
    app.config["SPOT_CHECK_EFFECTS"] = {"不符合": {"deduction": 50, "rating_cap": None}}
    performance.record_result(w["admin"], item_of(w, "h2"), "不符合", "未入户")
    db.session.commit()
    r = month(w)
    assert (r.score, r.rating) == (50.0, "不合格")  # 50 < 60 by the points alone
    app.config["SPOT_CHECK_EFFECTS"] = {}
    assert (month(w).score, month(w).rating) == (100.0, "优秀")


def test_a_closed_month_counts_a_result_recorded_after_closing(w):
    full_month(w)
    performance.close_month(app_rules.scoring(), w["admin"], MARCH, AFTER)
    db.session.commit()
    performance.record_result(w["admin"], item_of(w, "h2"), "不符合", "户主称本月未见帮扶人")
    db.session.commit()
    r = month(w)
    assert r.closed and (r.score, r.rating) == (80.0, "不合格")
    assert [x.code for x in r.rules].count("spot_check") == 1
    # the snapshot keeps the computed evidence (100): recomputing does not deduct twice
    performance.recompute_month(app_rules.scoring(), w["admin"], MARCH, "复核", AFTER)
    db.session.commit()
    assert month(w).score == 80.0


def test_quarter_and_year_take_the_moved_month(w):
    full_month(w)
    performance.record_result(w["admin"], item_of(w, "h2"), "不符合", "户主称本月未见帮扶人")
    db.session.commit()
    _, rows = performance.quarter_results(app_rules.scoring(), w["admin"], "2026-Q1", now=AFTER)
    h2 = next(x for x in rows if x.username == "h2")
    # January and February: no visit (0 + 0 + 20 for no measure due + 0) = 20 each; March 100 − 20 = 80
    assert h2.months == {"2026-01": 20.0, "2026-02": 20.0, "2026-03": 80.0}
    assert h2.score == 40.0 and h2.rating == "不合格"
    y = performance.helper_year(app_rules.scoring(), w["admin"], w["h2"], 2026, AFTER)
    assert y.quarters[0][1]["2026-03"] == 80.0


def test_satisfaction_recorded_validated_and_summed_per_village(w):
    full_month(w)
    d = performance.draw(app_rules.scoring(), w["admin"], MARCH, seed="全抽", ratio=1.0)
    db.session.commit()
    items = {i.helper_id: i for i in d.items}
    with pytest.raises(ValidationFailed):
        spot_effects.record_satisfaction(w["admin"], items[w["h1"].id], "非常满意", "")
    with pytest.raises(ValidationFailed) as err:
        spot_effects.record_satisfaction(w["admin"], items[w["h1"].id], "不满意", "  ")
    assert err.value.field == "satisfaction_note"
    spot_effects.record_satisfaction(w["admin"], items[w["h1"].id], "不满意", "一年只见过一次")
    spot_effects.record_satisfaction(w["admin"], items[w["h2"].id], "满意", "")
    spot_effects.record_satisfaction(w["admin"], items[w["h3"].id], "基本满意", "希望多来")
    db.session.commit()
    assert db.session.get(SpotCheckItem, items[w["h1"].id].id).satisfaction_note == "一年只见过一次"
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "spotcheck.satisfaction").limit(1))
    assert log is not None
    results = performance.month_results(app_rules.scoring(), w["admin"], MARCH, now=AFTER)
    by_v = spot_effects.satisfaction_by_village(results)
    assert by_v[w["v1"].id] == {"满意": 1, "基本满意": 0, "不满意": 1}
    assert by_v[w["v2"].id] == {"满意": 0, "基本满意": 1, "不满意": 0}
    # a superseded draw takes no more satisfaction answers
    performance.draw(app_rules.scoring(), w["admin"], MARCH, seed="重抽", ratio=1.0, replace=True)
    db.session.commit()
    with pytest.raises(Conflict):
        spot_effects.record_satisfaction(w["admin"], db.session.get(SpotCheckItem, items[w["h2"].id].id), "满意", "")
    # no satisfaction chosen: nothing stored, no error; a note without a level is refused
    fresh = performance.current_draw(w["unit"].id, MARCH).items[0]
    assert spot_effects.record_satisfaction(w["admin"], fresh, "", "").satisfaction is None
    with pytest.raises(ValidationFailed):
        spot_effects.record_satisfaction(w["admin"], fresh, "", "只写了说明")


def test_a_closed_month_is_not_drawn_again(w):
    """A re-draw would supersede the draw whose results the closed month counts: refused till reopened."""
    full_month(w)
    performance.record_result(w["admin"], item_of(w, "h2"), "不符合", "户主称本月未见帮扶人")
    performance.close_month(app_rules.scoring(), w["admin"], MARCH, AFTER)
    db.session.commit()
    with pytest.raises(Conflict, match="已经关账"):
        performance.draw(app_rules.scoring(), w["admin"], MARCH, seed="再抽", ratio=1.0, replace=True)
    db.session.rollback()
    assert month(w).score == 80.0
    assert [d.seed for d in performance.draws(w["admin"].unit_id, MARCH)] == ["全抽"]
    performance.reopen_month(w["admin"], MARCH, "重新抽查")
    performance.draw(app_rules.scoring(), w["admin"], MARCH, seed="再抽", ratio=1.0, replace=True)
    db.session.commit()
    assert [(d.seed, d.superseded) for d in performance.draws(w["admin"].unit_id, MARCH)] == [("再抽", False), ("全抽", True)]

"""One sanction per fact, each automatic flag on its exact 004 第九条 item with the item's
text, the configurable choice where two items apply, and 弄虚作假 (reviewer or spot check) → (四)2."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from tests.support.perf_factories import local, measure, visit
from webapp.extensions import db
from webapp.models import AuditLog
from webapp.services import access, performance, sanctions
from webapp.services.errors import Conflict, NotFound, ValidationFailed
from webapp.web import rules as app_rules

MARCH = "2026-03"
AFTER = datetime(2026, 5, 1, tzinfo=timezone.utc)
SEED_004 = "/work/shared/seeds/004_ae1d92407a7cfa61.txt"


def month(w, helper, now=AFTER):
    return performance.helper_month(app_rules.scoring(), w["admin"], w[helper], MARCH, now)


def flags(r):
    return {f.code: f for f in r.flags}


def test_item_texts_are_the_source_words():
    import os

    if not os.path.exists(SEED_004):
        pytest.skip("source document not on this machine")
    text = open(SEED_004, encoding="utf-8").read()
    steps = {"一": "通报批评", "二": "书面检查", "三": "诫勉谈话", "四": "党政纪处分"}
    for item, (step, words) in sanctions.ITEMS.items():
        assert words in text, item
        assert steps[item[1]] == step and f"({item[1]}){step}" in text


def test_one_unvisited_household_raises_one_sanction(w):
    # h1 has hh1 and hh2; hh1 visited with a diary, hh2 never: one fact → (一)2 only, not also "no diary"
    measure(w["hh1"], None), measure(w["hh2"], None)
    visit(w["h1"], w["hh1"], local(2026, 3, 5))
    db.session.commit()
    r = month(w, "h1")
    assert [f.code for f in r.flags] == ["not_visited"]
    f = r.flags[0]
    assert (f.item, f.action, f.rule) == ("第九条(一)2", "通报批评", "不按要求进村入户开展扶贫工作的")
    assert f.evidence == "本月未走访：张二"
    # the score still counts both parts (coverage 25 of 50, diary 10 of 20): the points are not sanctions
    assert r.score == 25 + 10 + 20 + 10


def test_a_visited_household_without_diary_is_its_own_fact(w):
    measure(w["hh1"], None), measure(w["hh2"], None)
    visit(w["h1"], w["hh1"], local(2026, 3, 5))
    visit(w["h1"], w["hh2"], local(2026, 3, 6), notes="  ")  # visited, nothing written
    db.session.commit()
    f = flags(month(w, "h1"))
    assert set(f) == {"incomplete_records"}
    assert (f["incomplete_records"].item, f["incomplete_records"].action) == ("第九条(二)4", "书面检查")
    assert f["incomplete_records"].rule == "未按照要求填写精准扶贫表格的"
    assert "张二" in f["incomplete_records"].evidence and "张一" not in f["incomplete_records"].evidence


def test_the_installation_chooses_between_two_items(w, app):
    measure(w["hh3"], date(2026, 3, 20), title="修缮房屋")  # due in March, still open
    visit(w["h2"], w["hh3"], local(2026, 3, 5), notes="  ")
    db.session.commit()
    f = flags(month(w, "h2"))
    assert (f["plan_overdue"].item, f["plan_overdue"].rule) == ("第九条(三)5", "没有完成帮扶计划的")
    assert "修缮房屋" in f["plan_overdue"].evidence
    app.config["SANCTION_CHOICES"] = {"plan_overdue": "(二)3", "incomplete_records": "(一)3"}
    f = flags(month(w, "h2"))
    assert (f["plan_overdue"].item, f["plan_overdue"].action, f["plan_overdue"].rule) == (
        "第九条(二)3", "书面检查", "在规定时间内没有完成各项工作任务的")
    assert (f["incomplete_records"].item, f["incomplete_records"].action) == ("第九条(一)3", "通报批评")
    app.config["SANCTION_CHOICES"] = {"plan_overdue": "(四)2"}  # not one of the two: the default
    assert flags(month(w, "h2"))["plan_overdue"].item == "第九条(三)5"


def test_no_plan_and_late_records(w):
    visit(w["h2"], w["hh3"], local(2026, 3, 5), late_hours=80)
    db.session.commit()
    f = flags(month(w, "h2"))
    assert (f["no_plan"].item, f["no_plan"].rule) == ("第九条(三)4", "没有制定帮扶计划、项目实施方案、增收脱贫措施的")
    assert (f["late_records"].item, f["late_records"].action) == ("第九条(一)3", "通报批评")


def test_a_fake_visit_confirmed_by_the_reviewer_is_four_two(w):
    measure(w["hh3"], date(2026, 3, 20), done_at=local(2026, 3, 10, 11))
    v = visit(w["h2"], w["hh3"], local(2026, 3, 10))
    db.session.commit()
    assert (month(w, "h2").score, month(w, "h2").rating) == (100.0, "优秀")
    with pytest.raises(ValidationFailed):
        sanctions.confirm_fake_visit(w["sec1"], v, "  ")
    with pytest.raises(NotFound):
        sanctions.confirm_fake_visit(w["h1"], v, "假的")
    # the reviewer finds it through their own scope first: sec2 (other village) cannot
    with pytest.raises(NotFound):
        access.review_visit(w["sec2"], v.id)
    sanctions.confirm_fake_visit(w["sec1"], access.review_visit(w["sec1"], v.id), "户主称当天无人来过，照片为旧照")
    db.session.commit()
    r = month(w, "h2")
    assert r.flags[0].code == "fake"
    assert (r.flags[0].item, r.flags[0].action, r.flags[0].rule) == (
        "第九条(四)2", "党政纪处分", "工作中弄虚作假、玩忽职守、失职渎职的")
    assert "3月10日 张三：户主称当天无人来过" in r.flags[0].evidence
    assert r.rating == "不合格" and "弄虚作假" in r.veto
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "visit.fake_confirmed")).user_id == w["sec1"].id
    # closed months read the same (the flag is added on read, once)
    performance.close_month(app_rules.scoring(), w["admin"], MARCH, AFTER)
    db.session.commit()
    r = month(w, "h2")
    assert r.closed and [f.code for f in r.flags].count("fake") == 1 and r.rating == "不合格"
    # the ranking and the other helpers are untouched
    ranked = {x.username: x for x in performance.month_results(app_rules.scoring(), w["admin"], MARCH, now=AFTER)}
    assert ranked["h2"].rating == "不合格" and all(f.code != "fake" for f in ranked["h1"].flags)


def test_a_visit_confirmed_fake_no_longer_counts_as_a_visit(w):
    """A confirmed fake visit used to keep scoring (coverage, diary, timeliness: the
    month stayed at 100 points, the household counted visited); now the household is unvisited."""
    from webapp.services import verification

    measure(w["hh3"], date(2026, 3, 20), done_at=local(2026, 3, 10, 11))
    v = visit(w["h2"], w["hh3"], local(2026, 3, 10))
    db.session.commit()
    assert (month(w, "h2").score, month(w, "h2").households_visited) == (100.0, 1)
    sanctions.confirm_fake_visit(w["sec1"], access.review_visit(w["sec1"], v.id), "户主称当天无人来过")
    db.session.commit()
    r = month(w, "h2")
    assert (r.visits, r.households_visited, r.pending_visits) == (0, 0, 0)
    assert r.score == 20.0 and r.rating == "不合格"  # only the measures' 20 points
    assert [f.code for f in r.flags] == ["fake", "not_visited"]
    # a flagged visit accepted (已核实) and then confirmed fake does not count either; a flagged
    # one confirmed fake is decided (no 待核实 deduction) and can no longer be accepted
    f = visit(w["h2"], w["hh3"], local(2026, 3, 12), flags=["outside_geofence"])
    verification.verify(w["sec1"], f.id, "电话核实")
    db.session.commit()
    assert (month(w, "h2").visits, month(w, "h2").score) == (1, 100.0)
    sanctions.confirm_fake_visit(w["sec1"], access.review_visit(w["sec1"], f.id), "照片为旧照")
    g = visit(w["h2"], w["hh3"], local(2026, 3, 14), flags=["outside_geofence"])
    sanctions.confirm_fake_visit(w["sec1"], access.review_visit(w["sec1"], g.id), "照片为旧照")
    db.session.commit()
    r = month(w, "h2")
    assert (r.visits, r.pending_visits, r.score) == (0, 0, 20.0)
    with pytest.raises(Conflict):
        verification.verify(w["sec1"], g.id, "核实")


def test_a_fake_found_by_the_spot_check_is_four_two(w):
    measure(w["hh3"], date(2026, 3, 20), done_at=local(2026, 3, 10, 11))
    visit(w["h2"], w["hh3"], local(2026, 3, 10))
    d = performance.draw(app_rules.scoring(), w["admin"], MARCH, seed="全抽", ratio=1.0)
    db.session.commit()
    item = next(i for i in d.items if i.helper_id == w["h2"].id)
    with pytest.raises(ValidationFailed):
        sanctions.mark_spot_check_fake(w["admin"], item, True)  # needs 不符合 first
    performance.record_result(w["admin"], item, "不符合", "走访记录与户主所述不符，系补录")
    sanctions.mark_spot_check_fake(w["admin"], item, True)
    db.session.commit()
    r = month(w, "h2")
    assert r.flags[0].code == "fake" and r.flags[0].item == "第九条(四)2"
    assert "当月抽查确认弄虚作假：走访记录与户主所述不符，系补录" in r.flags[0].evidence
    assert (r.score, r.rating) == (80.0, "不合格")

"""Monthly performance: every rule on small hand-built months, pro-rating, quarter/year, ratings,
flags, closed-month snapshots, the spot-check draw and who sees which helpers."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import event, select

from tests.support import factories as f
from tests.support.perf_factories import local, measure, visit
from webapp.extensions import db
from webapp.models import AuditLog, MonthClosure, MonthResult, Pairing, SpotCheckDraw, SpotCheckItem, User, Visit
from webapp.schemas.performance import helper_month_json
from webapp.services import access, performance
from webapp.services.errors import Conflict, NotFound, ValidationFailed
from webapp.web import rules as app_rules

MARCH = "2026-03"
AFTER = datetime(2026, 5, 1, tzinfo=timezone.utc)  # March and its diary deadline (5 April) are over


def month_of(user, helper, month=MARCH, now=AFTER):
    return performance.helper_month(app_rules.scoring(), user, helper, month, now)


def by_name(results):
    return {r.username: r for r in results}


def rule(result, code):
    return next(r for r in result.rules if r.code == code)


def full_month(helper, hh, day=10):
    """A visit with notes, in the geofence, entered at once, and a measure due and done: full marks."""
    visit(helper, hh, local(2026, 3, day))
    measure(hh, date(2026, 3, 20), done_at=local(2026, 3, day, 11))


# ---------------------------------------------------------------- the rules

def test_full_marks(w):
    full_month(w["h2"], w["hh3"])
    r = month_of(w["h2"], w["h2"])
    assert r.score == 100.0 and r.rating == "优秀" and r.veto is None and r.flags == []
    assert [(x.code, x.points, x.missing) for x in r.rules] == [
        ("coverage", 50.0, None), ("diary", 20.0, None), ("measures", 20.0, None), ("timeliness", 10.0, None),
        ("flags", 0.0, None)]
    numbers = (r.households, r.households_count, r.households_visited, r.visits, r.measures_due, r.measures_done)
    assert numbers == (1.0, 1, 1, 1, 1, 1)
    assert not r.provisional and not r.closed


def test_two_of_five_households_not_visited_costs_twenty(w):
    helper = f.user(w["unit"], "h5", name="五户")
    hhs = [f.household(w["v1"], f"户{i}") for i in range(5)]
    for hh in hhs:
        f.pair(helper, hh)
        measure(hh, None)  # a plan without a due date: no measure due this month
    for hh in hhs[:3]:
        visit(helper, hh, local(2026, 3, 7))
    r = month_of(w["admin"], helper)
    cov = rule(r, "coverage")
    assert cov.points == 30.0
    assert cov.missing == "本月还有 2 户未走访 (−20)"
    assert cov.evidence == ["户3", "户4"]
    assert rule(r, "diary").points == 12.0  # 3 of 5 households have a diary entry
    assert rule(r, "diary").missing == "还有 2 户没有按时录入帮扶日志 (−8)"
    assert rule(r, "measures").facts == "本月没有到期的帮扶措施" and rule(r, "measures").points == 20.0
    assert r.score == 72.0 and r.rating == "合格"
    assert "2 户未走访" in r.veto
    not_visited = next(x for x in r.flags if x.code == "not_visited")
    assert (not_visited.rule, not_visited.action) == ("不按要求进村入户开展扶贫工作的", "通报批评")
    assert "户3" in not_visited.evidence and "户4" in not_visited.evidence


def test_pairing_mid_month_counts_for_the_days_it_covers(w):
    h1, h2 = w["h1"], w["h2"]
    # hh2 moves from h1 to h2 on 11 March: h1 holds it 1–11 March (11 days), h2 11–31 March (21 days)
    p = db.session.scalar(select(Pairing).where(Pairing.household_id == w["hh2"].id))
    p.end_date = date(2026, 3, 11)
    f.pair(h2, w["hh2"], start=date(2026, 3, 11))
    # a household paired from 16 March: 16 of 31 days
    late = f.household(w["v1"], "晚结对")
    f.pair(h1, late, start=date(2026, 3, 16))
    visit(h1, w["hh1"], local(2026, 3, 5))
    db.session.flush()
    r1 = month_of(w["admin"], h1)
    assert r1.households_count == 3
    assert r1.households == round((31 + 11 + 16) / 31, 2) == 1.87
    # only hh1 (31 of 58 household-days) was visited
    assert rule(r1, "coverage").points == round(50 * 31 / 58, 1) == 26.7
    r2 = month_of(w["admin"], h2)
    assert r2.households == round((31 + 21) / 31, 2)
    assert r2.households_count == 2
    # a pairing that ended before the month does not count; one starting after it does not either
    p.end_date = date(2026, 2, 28)
    db.session.flush()
    assert month_of(w["admin"], h1).households_count == 2


def test_diary_needs_notes_received_by_the_deadline_and_not_sent_back(w):
    h1, hh1, hh2 = w["h1"], w["hh1"], w["hh2"]
    measure(hh1, None), measure(hh2, None)
    # hh1: a visit without notes, and one received on 6 April (after the 5th): no diary
    visit(h1, hh1, local(2026, 3, 3), notes="   ")
    visit(h1, hh1, local(2026, 3, 30), received=local(2026, 4, 6, 0, 1))
    # hh2: a visit received late in the evening of 5 April counts, one sent back unfixed does not
    visit(h1, hh2, local(2026, 3, 31), received=local(2026, 4, 5, 23, 59))
    r = month_of(h1, h1)
    assert r.diary_households == 1 and rule(r, "diary").points == 10.0
    assert rule(r, "diary").evidence == ["张一"]
    visit(h1, hh2, local(2026, 3, 12), review="returned")
    db.session.flush()
    r = month_of(h1, h1)
    assert r.returned_visits == 1
    assert "1 条记录被第一书记退回尚未修改" in rule(r, "diary").facts
    incomplete = next(x for x in r.flags if x.code == "incomplete_records")
    assert incomplete.action == "书面检查"
    assert "截止 4月5日 未录入帮扶日志：张一" in incomplete.evidence and "1 条走访记录被退回尚未修改" in incomplete.evidence
    # only the returned visit for hh2: hh2 then has no diary either
    db.session.execute(Visit.__table__.delete().where(Visit.household_id == hh2.id,
                                                                  Visit.review_status != "returned"))
    assert month_of(h1, h1).diary_households == 0


def test_timeliness_counts_entries_within_72_hours(w):
    h2, hh3 = w["h2"], w["hh3"]
    measure(hh3, None)
    visit(h2, hh3, local(2026, 3, 2), late_hours=71)
    visit(h2, hh3, local(2026, 3, 9), late_hours=73)
    visit(h2, hh3, local(2026, 3, 16), late_hours=1)
    visit(h2, hh3, local(2026, 3, 23), late_hours=100)
    r = month_of(h2, h2)
    t = rule(r, "timeliness")
    assert (r.visits, r.late_visits, t.points) == (4, 2, 5.0)
    assert t.missing == "2 次走访超过 72 小时才录入 (−5)"
    late = next(x for x in r.flags if x.code == "late_records")
    assert (late.rule, late.action, late.evidence) == (
        "各类表册等材料上报不及时、填写不规范、不完善的", "通报批评", "2 次走访超过 72 小时才录入")


def test_no_visit_scores_no_timeliness(w):
    measure(w["hh3"], None)
    r = month_of(w["h2"], w["h2"])
    assert rule(r, "timeliness").points == 0.0 and rule(r, "timeliness").missing == "本月没有走访记录 (−10)"
    assert r.score == 20.0 and r.rating == "不合格"  # only the measures rule (nothing due)


def test_flagged_visits_are_deducted_up_to_the_cap(w, app):
    h2, hh3 = w["h2"], w["hh3"]
    full_month(h2, hh3)
    for day in (3, 4, 5):
        visit(h2, hh3, local(2026, 3, day), flags=["outside_geofence"], within=False)
    r = month_of(h2, h2)
    # flagged and not accepted: 待核实, not counted as visits, and each deducted
    assert (r.visits, r.flagged_visits, r.pending_visits, r.visits_in_geofence) == (1, 3, 3, 1)
    assert rule(r, "flags").points == -6.0 and rule(r, "flags").missing == "3 次走访待核实，尚未计入 (−6)"
    assert rule(r, "flags").evidence == [f"{hh3.head_name}：超出范围（3 次，待核实）"]
    assert r.score == 94.0
    app.config["SCORE_FLAG_DEDUCTION"] = 5
    app.config["SCORE_FLAG_DEDUCTION_MAX"] = 12
    app_rules.install(app)  # the rules are built from the config once
    r = month_of(h2, h2)
    assert rule(r, "flags").points == -12.0 and r.score == 88.0 and r.rating == "合格"


def test_weights_and_thresholds_come_from_config(w, app):
    h2, hh3 = w["h2"], w["hh3"]
    measure(hh3, None)
    visit(h2, hh3, local(2026, 3, 3), notes="")  # visited, no diary
    app.config["SCORE_WEIGHTS"] = {"coverage": 70, "diary": 10, "measures": 10, "timeliness": 10}
    app_rules.install(app)  # the rules are built from the config once
    r = month_of(h2, h2)
    assert [x.points for x in r.rules][:4] == [70.0, 0.0, 10.0, 10.0]
    assert r.score == 90.0
    assert r.rating == "合格"  # 90 would be 优秀, but a household has no diary: vetoed
    assert r.veto == "未完成帮扶任务（1 户缺帮扶日志），一票否决优秀"
    app.config["RATING_PASS"] = 95
    app_rules.install(app)  # the rules are built from the config once
    assert month_of(h2, h2).rating == "不合格"


def test_measures_due_done_and_overdue(w):
    h1, hh1, hh2 = w["h1"], w["hh1"], w["hh2"]
    visit(h1, hh1, local(2026, 3, 3)), visit(h1, hh2, local(2026, 3, 3))
    measure(hh1, date(2026, 3, 15), done_at=local(2026, 3, 14), title="修缮房屋")  # due and done
    measure(hh1, date(2026, 2, 20), done_at=local(2026, 3, 2), title="申请低保")  # overdue from Feb, done in March
    measure(hh1, date(2026, 2, 10), done_at=local(2026, 2, 9), title="办理医保")  # done before March: not due
    measure(hh2, date(2026, 3, 25), title="发展养殖")  # due in March, still open
    measure(hh2, date(2026, 4, 30), title="技能培训")  # due later
    measure(hh2, date(2026, 3, 5), title="补录的措施", created=local(2026, 4, 2))  # added after March: not counted
    r = month_of(h1, h1)
    assert (r.measures_due, r.measures_done, r.measures_overdue) == (3, 2, 1)
    m = rule(r, "measures")
    assert m.points == 13.3 and m.missing == "还有 1 项到期措施未完成 (−6.7)"
    assert m.evidence == ["张二：发展养殖"]
    overdue = next(x for x in r.flags if x.code == "plan_overdue")
    assert (overdue.rule, overdue.action) == ("没有完成帮扶计划的", "诫勉谈话")
    assert "张二：发展养殖" in overdue.evidence
    assert "1 项到期措施未完成" in r.veto


def test_household_without_a_plan_is_flagged(w):
    h1 = w["h1"]
    measure(w["hh1"], None)
    visit(h1, w["hh1"], local(2026, 3, 3)), visit(h1, w["hh2"], local(2026, 3, 3))
    r = month_of(h1, h1)
    no_plan = next(x for x in r.flags if x.code == "no_plan")
    assert (no_plan.rule, no_plan.action, no_plan.evidence) == (
        "没有制定帮扶计划、项目实施方案、增收脱贫措施的", "诫勉谈话", "没有帮扶措施：张二")
    assert r.score == 100.0 and r.rating == "合格" and "1 户没有帮扶计划" in r.veto


def test_a_running_month_is_provisional_and_raises_month_end_flags_only_when_over(w):
    h1 = w["h1"]
    measure(w["hh1"], None), measure(w["hh2"], None)
    visit(h1, w["hh1"], local(2026, 3, 3))
    during = datetime(2026, 3, 20, tzinfo=timezone.utc)
    r = month_of(h1, h1, now=during)
    assert r.provisional
    assert rule(r, "coverage").missing == "本月还有 1 户未走访 (−25)"
    assert [x.code for x in r.flags] == []  # the month can still be completed
    before_deadline = datetime(2026, 4, 3, tzinfo=timezone.utc)
    r = month_of(h1, h1, now=before_deadline)
    assert r.provisional and [x.code for x in r.flags] == ["not_visited"]
    r = month_of(h1, h1)
    # one sanction per fact — the unvisited household is not counted again as "no diary"
    assert not r.provisional and [x.code for x in r.flags] == ["not_visited"]


def test_visits_in_other_months_and_other_time_zones(w):
    h2, hh3 = w["h2"], w["hh3"]
    measure(hh3, None)
    # 1 March 00:30 in Shanghai is 28 February in UTC: it belongs to March
    visit(h2, hh3, local(2026, 3, 1, 0, 30))
    visit(h2, hh3, local(2026, 4, 1, 0, 30))  # April
    r = month_of(h2, h2)
    assert r.visits == 1 and r.households_visited == 1


# ---------------------------------------------------------------- quarter and year

def test_quarter_is_the_mean_of_its_months_and_year_weights_quarters(w, app):
    h2, hh3 = w["h2"], w["hh3"]
    measure(hh3, None)
    visit(h2, hh3, local(2026, 1, 12))  # January: 100
    # February: nothing (measures 20 only)
    visit(h2, hh3, local(2026, 3, 12))  # March: 100
    end_of_year = datetime(2027, 1, 20, tzinfo=timezone.utc)
    months, rows = performance.quarter_results(app_rules.scoring(), w["admin"], "2026-Q1", now=end_of_year)
    assert months == ["2026-01", "2026-02", "2026-03"]
    row = next(r for r in rows if r.username == "h2")
    assert row.months == {"2026-01": 100.0, "2026-02": 20.0, "2026-03": 100.0}
    assert row.score == 73.3 and row.rating == "合格"
    y = performance.helper_year(app_rules.scoring(), h2, h2, 2026, now=end_of_year)
    assert [q[2] for q in y.quarters] == [73.3, 20.0, 20.0, 20.0]
    # a helper's year weights quarters equally (HELPER_QUARTER_WEIGHTS, a local choice);
    # 001's 20/20/20/40 is for villages
    assert y.score == round((73.3 + 20 + 20 + 20) / 4, 1) == 33.3 and y.weights == [0.25] * 4
    app.config["HELPER_QUARTER_WEIGHTS"] = [0.2, 0.2, 0.2, 0.4]
    app_rules.install(app)  # the rules are built from the config once
    assert performance.helper_year(app_rules.scoring(), h2, h2, 2026, now=end_of_year).score == round(
        0.2 * 73.3 + 0.2 * 20 + 0.2 * 20 + 0.4 * 20, 1)


def test_year_score_leaves_out_quarters_without_scores(app, ctx):
    assert performance.year_score(app_rules.scoring(), {1: 80, 2: 70, 3: 90, 4: 60}) == 75.0  # equal weights (local choice)
    assert performance.year_score(app_rules.scoring(), {1: 80, 2: 70, 3: None, 4: None}) == 75.0
    assert performance.year_score(app_rules.scoring(), {1: None, 2: None, 3: None, 4: None}) is None


def test_quarter_veto_when_any_month_was_incomplete(w):
    h2, hh3 = w["h2"], w["hh3"]
    measure(hh3, None)
    for m in (1, 2, 3):
        visit(h2, hh3, local(2026, m, 12))
    visit(w["h1"], w["hh1"], local(2026, 1, 12))
    _, rows = performance.quarter_results(app_rules.scoring(), w["admin"], "2026-Q1", now=AFTER)
    assert by_name(rows)["h2"].rating == "优秀"
    db.session.execute(Visit.__table__.update().where(Visit.checked_in_at < local(2026, 2, 1))
                       .values(notes=""))
    _, rows = performance.quarter_results(app_rules.scoring(), w["admin"], "2026-Q1", now=AFTER)
    assert by_name(rows)["h2"].months["2026-01"] == 80.0
    assert by_name(rows)["h2"].score == 93.3 and by_name(rows)["h2"].rating == "合格"  # ≥ 90, but January vetoes


# ---------------------------------------------------------------- closing a month

def test_closed_month_is_a_snapshot_until_reopened_or_recomputed(w):
    admin, h2, hh3 = w["admin"], w["h2"], w["hh3"]
    measure(hh3, None)
    visit(h2, hh3, local(2026, 3, 12))
    c = performance.close_month(app_rules.scoring(), admin, MARCH, now=AFTER)
    db.session.commit()
    assert c.closed and c.closed_by_id == admin.id
    stored = db.session.scalars(select(MonthResult).where(MonthResult.closure_id == c.id)).all()
    assert {db.session.get(User, r.helper_id).username: r.score for r in stored} == {"h1": 20.0, "h2": 100.0, "h3": 20.0}
    assert stored[0].data["rules"] and "veto" in stored[0].data

    # an edit after closing: h1 visits both households in March, h2's visit is sent back
    visit(w["h1"], w["hh1"], local(2026, 3, 20)), visit(w["h1"], w["hh2"], local(2026, 3, 20))
    db.session.execute(Visit.__table__.update().where(Visit.helper_id == h2.id)
                       .values(review_status="returned"))
    db.session.commit()
    closed = by_name(performance.month_results(app_rules.scoring(), admin, MARCH, now=AFTER))
    assert closed["h1"].score == 20.0 and closed["h1"].closed and closed["h2"].score == 100.0
    assert month_of(h2, h2).score == 100.0  # the helper's own view reads the snapshot too
    live = by_name(performance.compute_month(app_rules.scoring(), MARCH, access.helper_ids(admin), AFTER))
    assert live["h1"].score == 100.0 and live["h2"].score == 80.0

    with pytest.raises(Conflict):
        performance.close_month(app_rules.scoring(), admin, MARCH, now=AFTER)
    with pytest.raises(ValidationFailed):
        performance.recompute_month(app_rules.scoring(), admin, MARCH, "  ", now=AFTER)
    changes = performance.recompute_month(app_rules.scoring(), admin, MARCH, "第一书记退回了一条记录", now=AFTER)
    db.session.commit()
    assert {db.session.get(User, h).username: v for h, v in changes.items()} == {
        "h1": (20.0, 100.0), "h2": (100.0, 80.0)}
    after = by_name(performance.month_results(app_rules.scoring(), admin, MARCH, now=AFTER))
    assert after["h2"].score == 80.0 and after["h2"].closed
    log = db.session.scalars(select(AuditLog).where(AuditLog.entity == "month_closure").order_by(AuditLog.id)).all()
    assert [e.action for e in log] == ["month.close", "month.recompute"]
    assert log[1].details["reason"] == "第一书记退回了一条记录" and log[1].details["changed"] == 2
    assert {(x["old"], x["new"]) for x in log[1].details["changes"]} == {(20.0, 100.0), (100.0, 80.0)}

    with pytest.raises(ValidationFailed):
        performance.reopen_month(admin, MARCH, "")
    performance.reopen_month(admin, MARCH, "核对结对关系")
    db.session.commit()
    assert not performance.is_closed(admin.unit_id, MARCH)
    reopened = by_name(performance.month_results(app_rules.scoring(), admin, MARCH, now=AFTER))
    assert not reopened["h2"].closed and reopened["h2"].score == 80.0
    visit(h2, hh3, local(2026, 3, 28))  # fixed: a new good visit
    db.session.commit()
    assert by_name(performance.month_results(app_rules.scoring(), admin, MARCH, now=AFTER))["h2"].score == 100.0
    performance.close_month(app_rules.scoring(), admin, MARCH, now=AFTER)
    db.session.commit()
    log = db.session.scalars(select(AuditLog).where(AuditLog.entity == "month_closure").order_by(AuditLog.id)).all()
    assert [e.action for e in log] == ["month.close", "month.recompute", "month.reopen", "month.close"]
    assert log[2].details["reason"] == "核对结对关系"
    assert {(x["old"], x["new"]) for x in log[3].details["changes"]} == {(80.0, 100.0)}
    assert db.session.scalar(select(MonthClosure.closed)) is True


def test_only_ended_months_close_and_only_for_the_admins_unit(w):
    with pytest.raises(ValidationFailed):
        performance.close_month(app_rules.scoring(), w["admin"], MARCH, now=datetime(2026, 3, 31, 12, tzinfo=timezone.utc))
    with pytest.raises(NotFound):
        performance.close_month(app_rules.scoring(), w["sec1"], MARCH, now=AFTER)
    performance.close_month(app_rules.scoring(), w["admin_x"], MARCH, now=AFTER)
    db.session.commit()
    assert not performance.is_closed(w["unit"].id, MARCH)
    assert db.session.scalar(select(MonthResult.id)) is None  # the other unit has no helpers
    assert not performance.month_results(app_rules.scoring(), w["admin"], MARCH, now=AFTER)[0].closed


# ---------------------------------------------------------------- spot checks

def _helpers(w, n):
    out = []
    for i in range(n):
        helper = f.user(w["unit"], f"s{i:02d}", name=f"抽查{i}")
        f.pair(helper, f.household(w["v1"], f"抽户{i}"))
        out.append(helper)
    return out


def test_draw_is_reproducible_from_its_seed_and_redraws_keep_history(w, app):
    _helpers(w, 10)  # 13 helpers with households in March
    f.user(w["unit"], "idle")  # no household: not in the population
    d = performance.draw(app_rules.scoring(), w["admin"], MARCH, seed="2026-03 抽查")
    db.session.commit()
    population = performance.draw_population(d)
    assert len(population) == 13
    chosen = sorted(i.helper_id for i in d.items)
    assert len(chosen) == 4  # ceil(30% of 13)
    assert chosen == performance.sample(population, 0.3, "2026-03 抽查")
    assert performance.reproduce(d) == (chosen, True)
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "spotcheck.draw"))
    assert log.details["seed"] == "2026-03 抽查" and log.details["chosen"] == chosen and log.user_id == w["admin"].id
    assert d.drawn_by_id == w["admin"].id and d.drawn_at is not None

    item = d.items[0]
    with pytest.raises(ValidationFailed):
        performance.record_result(w["admin"], item, "不符合", "")
    with pytest.raises(ValidationFailed):
        performance.record_result(w["admin"], item, "优秀", "")
    performance.record_result(w["admin"], item, "基本符合", "日志少一户")
    db.session.commit()
    helper = db.session.get(User, item.helper_id)
    shown = performance.helper_month(app_rules.scoring(), w["admin"], helper, MARCH, AFTER).spot_check
    assert (shown.result, shown.note) == ("基本符合", "日志少一户")

    # a redraw (another seed) supersedes the first; both stay, with the first's results
    app.config["SPOT_CHECK_RATIO"] = 0.5
    app_rules.install(app)  # the rules are built from the config once
    d2 = performance.draw(app_rules.scoring(), w["admin"], MARCH, seed="重抽", replace=True)
    db.session.commit()
    draws = performance.draws(w["unit"].id, MARCH)
    assert [x.id for x in draws] == [d2.id, d.id] and draws[1].superseded and not draws[0].superseded
    assert len(d2.items) == 7 and performance.reproduce(d2)[1]
    assert db.session.get(SpotCheckItem, item.id).result == "基本符合"
    with pytest.raises(Conflict):
        performance.record_result(w["admin"], db.session.get(SpotCheckItem, item.id), "符合", "")
    shown = performance.spot_check_items(MARCH, access.helper_ids(w["admin"]))
    assert set(shown) == {i.helper_id for i in d2.items}

    # the same seed over the same population draws the same helpers
    d3 = performance.draw(app_rules.scoring(), w["admin"], MARCH, seed="2026-03 抽查", ratio=0.3, replace=True)
    assert sorted(i.helper_id for i in d3.items) == chosen
    assert db.session.scalar(select(SpotCheckDraw.id).where(SpotCheckDraw.superseded.is_(False))) == d3.id


def test_spot_check_items_belong_to_the_admins_unit(w):
    d = performance.draw(app_rules.scoring(), w["admin"], MARCH)
    db.session.commit()
    assert len(d.seed) == 32
    assert access.spot_check_item(w["admin"], d.items[0].id).id == d.items[0].id
    for other in ("admin_x", "sec1", "h1"):
        with pytest.raises(NotFound):
            access.spot_check_item(w[other], d.items[0].id)
    with pytest.raises(ValidationFailed):
        performance.draw(app_rules.scoring(), w["admin_x"], MARCH)  # nobody to draw in the other unit
    with pytest.raises(ValidationFailed):
        performance.draw(app_rules.scoring(), w["admin"], MARCH, ratio=1.5)


# ---------------------------------------------------------------- scoping and set-based SQL

def test_who_sees_which_helpers(w):
    names = lambda user, **kw: sorted(r.username  # noqa: E731
                                      for r in performance.month_results(app_rules.scoring(), user, MARCH, now=AFTER, **kw))
    assert names(w["h1"]) == ["h1"]
    assert names(w["sec1"]) == ["h1", "h2"]
    assert names(w["sec2"]) == ["h3"]
    assert names(w["admin"]) == ["h1", "h2", "h3"]
    assert names(w["admin"], village_id=w["v2"].id) == ["h3"]
    assert names(w["admin_x"]) == []
    assert names(w["team1"]) == []
    with pytest.raises(NotFound):
        performance.month_results(app_rules.scoring(), w["admin_x"], MARCH, village_id=w["v1"].id, now=AFTER)
    with pytest.raises(NotFound):
        performance.month_results(app_rules.scoring(), w["sec1"], MARCH, village_id=w["v2"].id, now=AFTER)
    for viewer, helper in (("h1", "h2"), ("sec1", "h3"), ("admin_x", "h1"), ("team1", "h1")):
        with pytest.raises(NotFound):
            performance.helper_month(app_rules.scoring(), w[viewer], w[helper], MARCH, AFTER)
    # a helper who left the village in February is in its March ranking no more, but in January's
    p = db.session.scalar(select(Pairing).where(Pairing.household_id == w["hh3"].id))
    p.end_date = date(2026, 2, 10)
    db.session.flush()
    assert names(w["sec1"]) == ["h1"]
    assert sorted(r.username for r in performance.month_results(app_rules.scoring(), w["sec1"], "2026-01",
                                                                now=AFTER)) == ["h1", "h2"]


def test_the_month_takes_the_same_number_of_queries_for_3_or_23_helpers(w, app):
    def count_queries(fn):
        seen = []

        def before(*args, **kwargs):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            fn()
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
        return len(seen)

    def run():
        results = performance.month_results(app_rules.scoring(), w["admin"], MARCH, now=AFTER)
        for r in results:
            r.rules, r.flags
        return results

    few = count_queries(run)
    for helper in _helpers(w, 20):
        visit(helper, db.session.scalar(select(Pairing.household_id).where(Pairing.helper_id == helper.id)),
              local(2026, 3, 4), flags=["late_entry"])
    db.session.flush()
    assert len(run()) == 23
    assert count_queries(run) == few


def test_bad_month_is_a_validation_error(app, ctx):
    for bad in ("2026-13", "2026-3", "march", ""):
        with pytest.raises(ValidationFailed):
            performance.period(bad)
    with pytest.raises(ValidationFailed):
        performance.quarter_results(app_rules.scoring(), User(role="helper", id=1, unit_id=1), "2026-Q5")


def test_snapshot_round_trip_keeps_every_number_and_text(w):
    full_month(w["h2"], w["hh3"])
    visit(w["h2"], w["hh3"], local(2026, 3, 4), flags=["duplicate_photo"], late_hours=90)
    live = month_of(w["admin"], w["h2"])
    c = performance.close_month(app_rules.scoring(), w["admin"], MARCH, now=AFTER)
    db.session.flush()
    snap = performance.HelperMonth.from_snapshot(
        db.session.scalar(select(MonthResult).where(MonthResult.closure_id == c.id, MonthResult.helper_id == w["h2"].id)), MARCH)
    for k in performance.NUMBERS + ("score", "rating", "veto", "username", "display_name"):
        assert getattr(snap, k) == getattr(live, k), k
    assert [r.to_dict() for r in snap.rules] == [r.to_dict() for r in live.rules]
    assert [x.to_dict() for x in snap.flags] == [x.to_dict() for x in live.flags]
    assert helper_month_json(snap) == dict(helper_month_json(live), closed=True)


def test_helpers_visible_to_a_first_secretary_follow_the_month(w):
    ids = lambda user, first=None, last=None: set(db.session.scalars(access.helper_ids(user, first, last)).all())  # noqa: E731
    assert ids(w["sec1"]) == {w["h1"].id, w["h2"].id}
    assert ids(w["h1"]) == {w["h1"].id}
    assert ids(w["admin"]) == {w["h1"].id, w["h2"].id, w["h3"].id}
    assert ids(w["admin_x"]) == set() and ids(w["team1"]) == set()
    f.pair(w["h3"], w["hh6"], start=date(2026, 4, 1))
    assert ids(w["sec1"], date(2026, 3, 1), date(2026, 3, 31)) == {w["h1"].id, w["h2"].id}
    assert ids(w["sec1"], date(2026, 4, 1), date(2026, 4, 30)) == {w["h1"].id, w["h2"].id, w["h3"].id}

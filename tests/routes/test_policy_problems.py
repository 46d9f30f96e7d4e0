"""A policy answer opens a problem on the household (a measure with a due date, in its
task list), shown to the first secretary and the office, and if still open at its due date it is
004 第九条(三)1 扶贫政策兑现打折扣 for the helper — not also "plan overdue" (one fact, one sanction)."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from tests.support import factories
from tests.support.visit_data import visit_body
from webapp.extensions import db
from webapp.models import Household, Measure, User
from webapp.services import performance, policy_problems
from webapp.services.calendar import local_date
from webapp.web import rules as app_rules


def post(client, body):
    return client.post("/api/v1/visits", json=body)


def policy_measures(app, hh_id):
    with app.app_context():
        return [(m.category, m.title, m.source_ref, m.due_date, m.status) for m in db.session.scalars(
            select(Measure).where(Measure.household_id == hh_id, Measure.source == "policy").order_by(Measure.id))]


def test_unenjoyed_subsidy_and_a_no_open_problems_once(app, client, make_client, world):
    with app.app_context():
        hh = db.session.get(Household, world["hh1"])
        pupil_id = factories.member(hh, "张小一", "小学").id
        db.session.commit()
    client.login("h1")
    body = visit_body(world["hh1"], checklist={"food": {"ok": True, "note": ""},
                                               "housing": {"ok": False, "note": "东墙开裂"}},
                      subsidies=[{"member_id": pupil_id, "item": "nutrition", "answer": "未享受"},
                                 {"member_id": pupil_id, "item": "boarding_primary", "answer": "不适用"}])
    out = post(client, body)
    assert out.status_code == 201, out.get_json()
    with app.app_context():
        visit_day = local_date(datetime.fromisoformat(body["checked_in_at"]).astimezone(timezone.utc))
    due = visit_day + timedelta(days=30)
    assert policy_measures(app, world["hh1"]) == [
        ("教育", "政策落实：张小一 营养改善计划 未享受", f"subsidy:{pupil_id}:nutrition", due, "planned"),
        ("住房/搬迁", "政策落实：住房安全有保障 未达到（东墙开裂）", "checklist:housing", due, "planned"),
    ]
    # the same answers on the next visit do not open the same problems again
    again = visit_body(world["hh1"], checklist=body["checklist"], subsidies=body["subsidies"])
    assert post(client, again).status_code == 201
    assert len(policy_measures(app, world["hh1"])) == 2
    # 已享受 / 不适用 / 是 open nothing
    assert post(client, visit_body(world["hh2"], checklist={"food": {"ok": True, "note": ""}})).status_code == 201
    assert policy_measures(app, world["hh2"]) == []
    # the household's task list, the first secretary's and the office's pages show them
    html = client.get(f"/households/{world['hh1']}").get_data(as_text=True)
    assert "政策落实：张小一 营养改善计划 未享受" in html
    for who, url in (("sec1", "/village/helpers"), ("admin", "/performance/unit")):
        c = make_client()
        c.login(who)
        page = c.get(url).get_data(as_text=True)
        assert "政策落实问题（2）" in page and "东墙开裂" in page, who
    other = make_client()
    other.login("sec2")  # another village: none of them
    assert "政策落实问题（0）" in other.get("/village/helpers").get_data(as_text=True)


def test_open_at_its_due_date_is_policy_short_for_the_helper(app, world):
    with app.app_context():
        h2 = db.session.get(User, world["h2"])
        admin = db.session.get(User, world["admin"])
        # a visit on 2 March found 住房 否: the problem is due 1 April (30 days)
        from tests.support.perf_factories import local, visit

        v = visit(h2, world["hh3"], local(2026, 3, 2))
        v.checklist = {"housing": {"ok": False, "note": "危房"}}
        (m,) = policy_problems.open_from_visit(v, [], v.checklist, app_rules.visits())
        m.created_at = v.received_at
        ordinary = Measure(household_id=world["hh3"], category="产业", title="发展养殖", due_date=date(2026, 4, 10),
                           status="planned", created_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
        db.session.add(ordinary)
        db.session.commit()
        assert m.due_date == date(2026, 4, 1)
        march = performance.helper_month(app_rules.scoring(), admin, h2, "2026-03", datetime(2026, 5, 1, tzinfo=timezone.utc))
        assert [f.code for f in march.flags] == []  # not due in March
        now = datetime(2026, 5, 5, tzinfo=timezone.utc)
        april = performance.helper_month(app_rules.scoring(), admin, h2, "2026-04", now)
        flags = {f.code: f for f in april.flags}
        assert (flags["policy_short"].item, flags["policy_short"].action, flags["policy_short"].rule) == (
            "第九条(三)1", "诫勉谈话", "业务指导不及时、扶贫政策兑现打折扣的")
        assert "张三：政策落实：住房安全有保障 未达到（危房）（到期 4月1日）" in flags["policy_short"].evidence
        # the ordinary overdue measure is "plan overdue"; the policy one is not counted there again
        assert "发展养殖" in flags["plan_overdue"].evidence and "住房" not in flags["plan_overdue"].evidence
        # done in time (before it is due): no flag
        m.status, m.done_at = "done", datetime(2026, 3, 20, tzinfo=timezone.utc)
        db.session.commit()
        assert "policy_short" not in {f.code for f in performance.helper_month(app_rules.scoring(), admin, h2, "2026-04",
                                                                               now).flags}


def test_new_items_of_the_completed_list_open_problems_and_out_of_province_is_not_applicable(app, client, world):
    """000: 免费教科书 未享受 opens a problem; a grant 限本省就读 answered 不适用 (studies outside
    the province) opens nothing; the new students' allowance 未享受 opens one."""
    with app.app_context():
        hh = db.session.get(Household, world["hh1"])
        pupil_id = factories.member(hh, "张小二", "初中").id
        student_id = factories.member(hh, "张大二", "本科").id
        db.session.commit()
    client.login("h1")
    body = visit_body(world["hh1"], subsidies=[
        {"member_id": pupil_id, "item": "free_textbooks", "answer": "未享受"},
        {"member_id": student_id, "item": "bachelor_grant", "answer": "不适用"},
        {"member_id": student_id, "item": "new_student_allowance", "answer": "未享受"}])
    assert post(client, body).status_code == 201
    assert [t for category, t, *_ in policy_measures(app, world["hh1"]) if category == "教育"] == [
        "政策落实：张小二 免费教科书 未享受", "政策落实：张大二 新生一次性路费和短期生活费（新生） 未享受"]

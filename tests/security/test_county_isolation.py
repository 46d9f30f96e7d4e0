"""The county office attacked from outside: two counties, each over two townships.

测试县 (county) holds 测试乡 (unit, factories.world) and 南乡 (unit_a2); 别的县 (county_x) holds 别的乡
(unit_x, factories.second_unit) and 北乡 (unit_b2). Each township has a pending pairing change. A county
reads its own townships only; another county's, township's or village's ids give 404 (the app's
convention: test_isolation.py), roles that have no county page get 403, the county writes nothing on
visits or assessments, and the forms refuse huge inputs, non-ASCII digits, replays and missing CSRF.
"""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.support import factories as f
from webapp.extensions import db
from webapp.models import Household, Pairing, PairingChange, VillageYearEnd
from webapp.services import pairing_changes
from webapp.services.calendar import local_today, month_key
from webapp.services.rules import PairingRules

from .conftest import login, row_counts

A2_NAMES = ("南乡", "南村", "南帮扶", "孙南")
B_NAMES = ("别的乡", "外村", "外帮扶", "赵外", "北乡", "北村", "北帮扶", "钱北")


def _township(w, county_key: str, key: str, name: str, village: str, helper: str, head: str) -> None:
    """A second township under the county: its office admin, a village, a helper paired with a household
    (and a second helper), a visit, and a pending pairing change proposed by its office."""
    o = w.objects
    u = f.unit(name)
    u.parent_id = o[f"{county_key}_unit"].id
    v = f.village(u, village, 31.0, 110.0)
    o[key], o[f"{key}_v"] = u, v
    o[f"{key}_admin"] = f.user(u, f"{key}_admin", "office_admin", name=name + "管理员")
    o[f"{key}_sec"] = f.user(u, f"{key}_sec", "first_secretary", v, name=name + "书记")
    o[f"{key}_h"] = f.user(u, f"{key}_h", "helper", name=helper)
    o[f"{key}_h2"] = f.user(u, f"{key}_h2", "helper", name=helper + "二")
    o[f"{key}_hh"] = f.household(v, head, 31.0, 110.0)
    f.pair(o[f"{key}_h"], o[f"{key}_hh"])
    o[f"{key}_visit"] = f.visit_row(o[f"{key}_h"].id, o[f"{key}_hh"].id,
                                    datetime.now(timezone.utc) - timedelta(hours=2), notes=head + "家走访")


@pytest.fixture
def two_counties(app):
    with app.app_context():
        w = f.counties(f.second_unit(f.world()))
        _township(w, "county", "a2", "南乡", "南村", "南帮扶", "孙南")
        _township(w, "county_x", "b2", "北乡", "北村", "北帮扶", "钱北")
        o = w.objects
        db.session.flush()
        o["visit_x"] = f.visit_row(o["h_x"].id, o["hhx1"].id, datetime.now(timezone.utc) - timedelta(hours=3),
                                   notes="赵外家走访")
        f.pair(o["h3"], o["hh6"])  # so that hh6 has a pairing to change
        db.session.flush()
        for hh, helper, by in (("hh1", "h2", "admin"), ("a2_hh", "a2_h2", "a2_admin"), ("hhx1", None, "admin_x"),
                               ("b2_hh", "b2_h2", "b2_admin")):
            o[f"change_{hh}"] = pairing_changes.request(o[hh], o[helper] if helper else None, o[by], "调整：" + hh,
                                                        PairingRules())
        db.session.commit()
        ids = w.ids()
        ids["cid_a2"] = o["a2_hh"].citizen_id
        ids["cid_hh1"] = o["hh1"].citizen_id
        db.session.remove()
    return ids


def client_of(make_client, app, who):
    c = make_client()
    login(c, app, who)
    return c


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_a_county_sees_its_two_townships_and_nothing_of_the_other_county(app, make_client, two_counties):
    ids = two_counties
    county = client_of(make_client, app, "county")
    page = text(county.get("/county/"))
    for name in ("测试乡", "南乡", "张一", "孙南", "调整：hh1", "调整：a2_hh"):
        assert name in page
    for name in B_NAMES:
        assert name not in page
    assert county.get(f"/county/units/{ids['a2']}").status_code == 200
    month = month_key(local_today())
    for unit in ("unit_x", "b2", "county_unit", "county_x_unit"):
        assert county.get(f"/county/units/{ids[unit]}").status_code == 404, unit
        for path in ("villages", "onsite", "teams"):
            assert county.get(f"/assessments/{path}?unit_id={ids[unit]}").status_code == 404, (unit, path)
    # another county's helper, named with this county's township or with theirs
    for unit in ("unit", "a2", "b2"):
        assert county.get(f"/reports/diary/{ids['b2_h']}/{month}.pdf?unit_id={ids[unit]}").status_code == 404
    # a township's helper read through the other township of the same county: 404 too
    assert county.get(f"/reports/diary/{ids['a2_h']}/{month}.pdf?unit_id={ids['unit']}").status_code == 404
    for visit in ("visit_x", "b2_visit"):
        assert county.get(f"/visits/{ids[visit]}").status_code == 404
        assert county.get(f"/api/v1/visits/{ids[visit]}/signature").status_code == 404
    assert county.get(f"/visits/{ids['a2_visit']}").status_code == 200


def test_the_other_county_cannot_decide_and_a_township_cannot_approve_its_own(app, make_client, two_counties):
    ids = two_counties
    county_x = client_of(make_client, app, "county_x")
    before = row_counts(app)
    for change in ("change_hh1", "change_a2_hh"):
        assert county_x.post(f"/county/pairing-changes/{ids[change]}", data={"decision": "approve"}).status_code == 404
    for who, change in (("admin", "change_hh1"), ("a2_admin", "change_a2_hh"), ("a2_admin", "change_hh1")):
        c = client_of(make_client, app, who)
        assert c.post(f"/county/pairing-changes/{ids[change]}", data={"decision": "approve"}).status_code == 403
    assert row_counts(app) == before
    with app.app_context():
        assert set(db.session.scalars(select(PairingChange.status))) == {"pending"}
        db.session.remove()


def test_a_township_sees_only_its_own_proposals(app, make_client, two_counties):
    admin = client_of(make_client, app, "admin")
    page = text(admin.get("/admin/pairings"))
    assert "调整：hh1" in page
    for other in ("调整：a2_hh", "调整：hhx1", "调整：b2_hh", "孙南", "钱北"):
        assert other not in page
    a2 = client_of(make_client, app, "a2_admin")
    page = text(a2.get("/admin/pairings"))
    assert "调整：a2_hh" in page and "调整：hh1" not in page and "张一" not in page


def test_a_township_cannot_touch_the_other_townships_records(app, make_client, two_counties):
    ids = two_counties
    admin = client_of(make_client, app, "admin")
    before = row_counts(app)
    year = local_today().year
    assert admin.post(f"/admin/households/{ids['a2_hh']}/pairing",
                      data={"helper_id": ids["a2_h2"], "reason": "越权"}).status_code == 404
    assert admin.post(f"/admin/households/{ids['hh2']}/pairing",
                      data={"helper_id": ids["a2_h2"], "reason": "越权"}).status_code == 404
    assert admin.post(f"/assessments/villages/{ids['a2_v']}/year-end",
                      data={"year": year, "score": "90"}).status_code == 404
    assert admin.post(f"/assessments/onsite/{ids['a2_h']}",
                      data={"quarter": f"{year}-Q1", "result": "优秀"}).status_code == 404
    assert row_counts(app) == before


@pytest.mark.parametrize("who", ["h1", "sec1", "team1", "a2_sec", "h_x"])
def test_helpers_and_teams_reach_no_county_page(app, make_client, two_counties, who):
    ids = two_counties
    c = client_of(make_client, app, who)
    before = row_counts(app)
    assert c.get("/county/").status_code == 403
    assert c.get(f"/county/units/{ids['unit']}").status_code == 403
    assert c.post(f"/county/pairing-changes/{ids['change_hh1']}", data={"decision": "approve"}).status_code == 403
    for path in ("villages", "onsite", "teams"):
        assert c.get(f"/assessments/{path}?unit_id={ids['unit']}").status_code == 403
    assert row_counts(app) == before


def test_the_county_writes_no_visits_reviews_or_assessments(app, make_client, two_counties):
    ids = two_counties
    county = client_of(make_client, app, "county")
    before = row_counts(app)
    year = local_today().year
    for url, data in ((f"/village/visits/{ids['a2_visit']}/review", {"action": "approve", "comment": "好"}),
                      (f"/village/visits/{ids['a2_visit']}/verify", {"note": "核实"}),
                      (f"/assessments/villages/{ids['a2_v']}/year-end", {"year": year, "score": "90"}),
                      (f"/assessments/onsite/{ids['a2_h']}", {"quarter": f"{year}-Q1", "result": "优秀"}),
                      (f"/admin/households/{ids['a2_hh']}/pairing", {"helper_id": ids["a2_h2"], "reason": "县改"})):
        assert county.post(url, data=data).status_code in (403, 404), url
    assert county.post("/api/v1/visits", json={"household_id": ids["a2_hh"]}).status_code in (403, 404, 422)
    assert row_counts(app) == before


def test_no_full_id_number_reaches_the_county(app, make_client, two_counties):
    ids = two_counties
    county = client_of(make_client, app, "county")
    month = month_key(local_today())
    for url in ("/county/", f"/county/units/{ids['a2']}", f"/county/units/{ids['unit']}",
                f"/visits/{ids['a2_visit']}", f"/assessments/onsite?unit_id={ids['a2']}"):
        page = text(county.get(url))
        assert ids["cid_a2"] not in page and ids["cid_hh1"] not in page, url
    assert county.get(f"/households/{ids['a2_hh']}").status_code == 404
    assert county.post(f"/households/{ids['a2_hh']}/citizen-id").status_code in (403, 404)
    diary = county.get(f"/reports/diary/{ids['a2_h']}/{month}.pdf?unit_id={ids['a2']}")
    assert diary.status_code == 200
    from .test_isolation import pdf_text
    assert ids["cid_a2"] not in pdf_text(diary.get_data())


def _year_end_count(app) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(VillageYearEnd))
        db.session.remove()
        return n


@pytest.mark.parametrize("score", ["９０", "٩٠", "1_0", "1e1", " 90 ", "inf", "nan", "-0", "90" + "0" * 5000])
def test_a_year_end_score_is_plain_ascii_decimal(app, make_client, two_counties, score):
    ids = two_counties
    admin = client_of(make_client, app, "admin")
    resp = admin.post(f"/assessments/villages/{ids['v1']}/year-end", data={"year": local_today().year, "score": score})
    if score == " 90 ":  # surrounding blanks are trimmed, as everywhere
        assert resp.status_code == 302 and _year_end_count(app) == 1
        return
    assert resp.status_code == 422 and "0–100" in text(resp), score
    assert _year_end_count(app) == 0


def test_huge_inputs_are_refused_and_nothing_is_stored(app, make_client, two_counties):
    ids = two_counties
    admin, county = client_of(make_client, app, "admin"), client_of(make_client, app, "county")
    huge = "长" * 100_000
    before = row_counts(app)
    r = admin.post(f"/assessments/villages/{ids['v1']}/year-end", data={"year": local_today().year, "score": "90",
                                                                       "note": huge})
    assert r.status_code == 422
    r = admin.post(f"/admin/households/{ids['hh4']}/pairing", data={"helper_id": ids["h1"], "reason": huge})
    assert r.status_code == 422
    r = county.post(f"/county/pairing-changes/{ids['change_hh1']}", data={"decision": "reject", "note": huge})
    assert r.status_code == 422
    r = county.post(f"/county/pairing-changes/{ids['change_hh1']}", data={"decision": "approve", "note": huge})
    assert r.status_code == 422
    assert row_counts(app) == before
    with app.app_context():
        assert db.session.get(PairingChange, ids["change_hh1"]).status == "pending"
        db.session.remove()


def test_missing_csrf_and_replays_are_refused(app, make_client, two_counties):
    ids = two_counties
    admin, county = client_of(make_client, app, "admin"), client_of(make_client, app, "county")
    before = row_counts(app)
    decide = f"/county/pairing-changes/{ids['change_hh1']}"
    assert county.post(decide, data={"decision": "approve"}, csrf=False).status_code == 400
    assert admin.post(f"/assessments/villages/{ids['v1']}/year-end", data={"year": local_today().year, "score": "90"},
                      csrf=False).status_code == 400
    assert admin.post(f"/assessments/onsite/{ids['h1']}", data={"quarter": f"{local_today().year}-Q1",
                                                                "result": "优秀"}, csrf=False).status_code == 400
    assert admin.post(f"/admin/households/{ids['hh4']}/pairing", data={"helper_id": ids["h1"], "reason": "x"},
                      csrf=False).status_code == 400
    assert row_counts(app) == before
    assert county.post(decide, data={"decision": "approve"}).status_code == 302
    assert county.post(decide, data={"decision": "approve"}).status_code == 422  # the replay
    assert county.post(decide, data={"decision": "reject", "note": "改主意"}).status_code == 422
    with app.app_context():
        rows = db.session.scalars(select(Pairing).where(Pairing.household_id == ids["hh1"]).order_by(Pairing.id)).all()
        assert [(p.helper_id, p.end_date is None) for p in rows] == [(ids["h1"], False), (ids["h2"], True)]
        assert db.session.get(Household, ids["hh1"]) is not None
        db.session.remove()


def test_ids_out_of_range_or_not_digits_name_nothing(app, make_client, two_counties):
    county = client_of(make_client, app, "county")
    for raw in ("９", "٣", "99999999999999999999", "-1", "1.0"):
        r = county.get(f"/assessments/villages?unit_id={raw}")
        assert r.status_code in (404, 422), raw
    assert county.post("/county/pairing-changes/99999999999999999999", data={"decision": "approve"}).status_code == 404


def test_a_roster_file_cannot_re_pair_a_household_behind_the_county(app, make_client, two_counties):
    """001 "不得私自更改": the roster import is no way round the county's approval — the row becomes a
    proposal that waits for the county (a first pairing stays immediate)."""
    from tests.support.roster_files import csv_bytes, household_row, upload

    ids = two_counties
    admin = client_of(make_client, app, "admin")
    with app.app_context():
        cid = db.session.get(Household, ids["hh4"]).citizen_id  # 李四 of 西村, paired with h3
        db.session.remove()
    _, result = upload(admin, csv_bytes([household_row(村名="西村", 户主姓名="李四", 身份证号=cid, 帮扶责任人="h1")]),
                       "r.csv")
    assert result is not None and result.status_code in (200, 302)
    with app.app_context():
        current = db.session.scalar(select(Pairing.helper_id).where(Pairing.household_id == ids["hh4"],
                                                                    Pairing.end_date.is_(None)))
        change = db.session.scalar(select(PairingChange).where(PairingChange.household_id == ids["hh4"]))
        assert (change.status, change.from_helper_id, change.to_helper_id) == ("pending", ids["h3"], ids["h1"])
        db.session.remove()
    assert current == ids["h3"]


def test_approvals_sent_at_once_apply_once(app, make_client, two_counties):
    """Six approvals (and refusals) of one change at the same moment: one decision, one new pairing."""
    import threading

    from webapp.models import AuditLog

    ids = two_counties
    clients = [client_of(make_client, app, "county") for _ in range(6)]
    start = threading.Barrier(len(clients))
    answers: list[int] = []

    def decide(c, i):
        start.wait(30)
        data = {"decision": "approve"} if i % 2 else {"decision": "reject", "note": "不同意"}
        answers.append(c.post(f"/county/pairing-changes/{ids['change_hh1']}", data=data).status_code)

    threads = [threading.Thread(target=decide, args=(c, i)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(answers) == [302] + [422] * 5, answers
    with app.app_context():
        decisions = db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action.in_(("pairing.approve", "pairing.reject")), AuditLog.entity_id == ids["change_hh1"]))
        current = db.session.scalars(select(Pairing.helper_id).where(Pairing.household_id == ids["hh1"],
                                                                     Pairing.end_date.is_(None))).all()
        status = db.session.get(PairingChange, ids["change_hh1"]).status
        db.session.remove()
    assert decisions == 1
    assert current == ([ids["h2"]] if status == "approved" else [ids["h1"]])


def _race(clients, send) -> list[int]:
    import threading

    start = threading.Barrier(len(clients))
    answers: list[int] = []

    def run(c, i):
        start.wait(30)
        answers.append(send(c, i).status_code)

    threads = [threading.Thread(target=run, args=(c, i)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return sorted(answers)


def test_double_submitted_office_forms_store_one_row_and_never_fail(app, make_client, two_counties):
    """A double tap on a slow phone: the same proposal or entry sent several times at once."""
    from webapp.models import OnsiteAssessment

    ids = two_counties
    year = local_today().year
    clients = [client_of(make_client, app, "admin") for _ in range(4)]
    answers = _race(clients, lambda c, i: c.post(f"/admin/households/{ids['hh6']}/pairing",
                                                 data={"helper_id": ids["h2"], "reason": f"调整{i}"}))
    assert answers == [302, 422, 422, 422], answers
    answers = _race(clients, lambda c, i: c.post(f"/assessments/villages/{ids['v2']}/year-end",
                                                 data={"year": year, "score": str(80 + i)}))
    assert answers == [302] * 4, answers
    answers = _race(clients, lambda c, i: c.post(f"/assessments/onsite/{ids['h2']}",
                                                 data={"quarter": f"{year}-Q1", "result": "合格"}))
    assert answers == [302] * 4, answers
    with app.app_context():
        pending = db.session.scalar(select(func.count()).select_from(PairingChange).where(
            PairingChange.household_id == ids["hh6"], PairingChange.status == "pending"))
        onsite = db.session.scalar(select(func.count()).select_from(OnsiteAssessment))
        db.session.remove()
    assert pending == 1 and onsite == 1 and _year_end_count(app) == 1


def test_the_office_homes_month_at_a_glance_counts_its_own_township_only(app, make_client, two_counties):
    """南乡 under the same county as 测试乡: its office home's figures and names are its own (one household,
    its one visit waiting, its helper), whatever 测试乡 has waiting; the county's own admin has no office home."""
    ids = two_counties
    with app.app_context():
        today = local_today()
        f.leave_row(ids["sec1"], today, today, status="pending")  # 测试乡's leave waiting for its office
        f.household(db.session.get(Household, ids["hh1"]).village, "无中心户")
        db.session.commit()
    f.diary_batch(app, ids["admin"], month_key(local_today()), "failed")
    a2 = client_of(make_client, app, "a2_admin")
    page = text(a2.get("/admin/"))
    at_risk = text(a2.get("/admin/glance/at-risk"))
    for name in ("测试乡", "东村", "西村", "张一", "帮扶一", "帮扶二", "无中心户") + B_NAMES:
        assert name not in page and name not in at_risk, name
    assert 'id="glance-leave"' in page and ">0</b>" in page.split('id="glance-leave"')[1].split("</a>")[0]
    assert "共 1 户" in page and "排队 0 · 生成中 0 · 本月失败 0" in page
    assert [v for v in ('data-village="%d"' % ids[k] for k in ("v1", "v2", "a2_v")) if v in page] == [
        'data-village="%d"' % ids["a2_v"]]
    for who in ("county", "a2_sec", "a2_h"):
        c = client_of(make_client, app, who)
        assert c.get("/admin/").status_code == 403 and c.get("/admin/glance/at-risk").status_code == 403

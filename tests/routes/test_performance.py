"""Performance pages, exports, month closing, spot checks and the API, through the test client:
each view scoped by role (helper: self; first secretary: their village; other unit's admin: nothing)."""
import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from tests.support.perf_factories import local, visit
from webapp.extensions import db
from webapp.models import AuditLog, MonthClosure, SpotCheckDraw, SpotCheckItem, User, Visit
from webapp.web import rules as app_rules

MARCH = "2026-03"


def names_in(html: str) -> set[str]:
    return {n for n in ("帮扶一", "帮扶二", "帮扶三") if n in html}


# ---------------------------------------------------------------- pages

def test_helper_sees_their_own_month_with_rules(client, march):
    client.login("h1")
    html = client.get(f"/performance/me?month={MARCH}").get_data(as_text=True)
    assert "本月还有 1 户未走访 (−25)" in html
    assert "通报批评候选" in html and "不按要求进村入户" in html and "张二" in html
    assert "一票否决优秀" in html
    assert client.get("/performance/me").status_code == 200  # the current month
    assert client.get("/performance/me?month=2026-13").status_code == 422
    year = client.get("/performance/me/year?year=2026")
    assert year.status_code == 200 and "2026-Q1" in year.get_data(as_text=True)


def test_helper_cannot_read_others(client, march):
    client.login("h1")
    for url in (f"/performance/helpers/{march['h2']}?month={MARCH}", f"/performance/helpers/{march['h2']}/year",
                "/performance/village", "/performance/unit", "/performance/unit/quarter", "/performance/spot-checks",
                f"/performance/unit/export?month={MARCH}"):
        assert client.get(url).status_code == 403, url
    assert client.post("/performance/unit/close", data={"month": MARCH}).status_code == 403


def test_first_secretary_ranks_their_villages_helpers(client, march):
    client.login("sec1")
    resp = client.get(f"/performance/village?month={MARCH}")
    html = resp.get_data(as_text=True)
    assert names_in(html) == {"帮扶一", "帮扶二"}
    assert html.index("帮扶二") < html.index("帮扶一")  # ranked: h2 (100) before h1
    assert "不按要求进村入户" in html
    assert client.get(f"/performance/helpers/{march['h1']}?month={MARCH}").status_code == 200
    assert client.get(f"/performance/helpers/{march['h3']}?month={MARCH}").status_code == 404
    assert client.get(f"/performance/helpers/{march['h3']}/year?year=2026").status_code == 404
    assert client.get("/performance/unit").status_code == 403
    frag = client.get(f"/performance/village?month={MARCH}", headers={"HX-Request": "true"})
    assert "<html" not in frag.get_data(as_text=True) and names_in(frag.get_data(as_text=True)) == {"帮扶一", "帮扶二"}


def test_team_member_has_no_performance_pages(client, march):
    client.login("team1")
    for url in ("/performance/village", "/performance/unit", f"/performance/helpers/{march['h1']}", "/performance/me"):
        assert client.get(url).status_code == 403, url


def test_office_admin_ranks_the_unit_with_filters(client, march):
    client.login("admin")
    html = client.get(f"/performance/unit?month={MARCH}").get_data(as_text=True)
    assert names_in(html) == {"帮扶一", "帮扶二", "帮扶三"}
    assert names_in(client.get(f"/performance/unit?month={MARCH}&village_id={march['v2']}").get_data(as_text=True)) == {"帮扶三"}
    assert names_in(client.get(f"/performance/unit?month={MARCH}&rating=优秀").get_data(as_text=True)) == {"帮扶二"}
    assert names_in(client.get(f"/performance/unit?month={MARCH}&rating=合格").get_data(as_text=True)) == {"帮扶一"}
    assert names_in(client.get(f"/performance/unit?month={MARCH}&rating=不合格").get_data(as_text=True)) == {"帮扶三"}
    assert client.get(f"/performance/unit?month={MARCH}&rating=好").status_code == 422
    frag = client.get(f"/performance/unit?month={MARCH}&village_id={march['v1']}", headers={"HX-Request": "true"})
    assert "<html" not in frag.get_data(as_text=True) and names_in(frag.get_data(as_text=True)) == {"帮扶一", "帮扶二"}
    assert client.get(f"/performance/helpers/{march['h3']}?month={MARCH}").status_code == 200
    quarter = client.get("/performance/unit/quarter?quarter=2026-Q1").get_data(as_text=True)
    assert names_in(quarter) == {"帮扶一", "帮扶二", "帮扶三"}
    assert client.get("/performance/unit/quarter?quarter=2026-Q9").status_code == 422


def test_other_units_admin_sees_nothing(client, march):
    client.login("admin_x")
    assert names_in(client.get(f"/performance/unit?month={MARCH}").get_data(as_text=True)) == set()
    assert client.get(f"/performance/unit?month={MARCH}&village_id={march['v1']}").status_code == 404
    assert client.get(f"/performance/helpers/{march['h1']}?month={MARCH}").status_code == 404
    body = client.get(f"/performance/unit/export?month={MARCH}&format=csv").data.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 1  # the headers only


# ---------------------------------------------------------------- exports

def test_month_export_csv_and_xlsx_with_chinese_headers_and_no_formulas(client, app, march):
    with app.app_context():
        db.session.get(User, march["h1"]).display_name = "=HYPERLINK(\"http://x\",\"点我\")"
        db.session.get(User, march["h3"]).display_name = "@SUM(1+1)"
        db.session.commit()
    client.login("admin")
    resp = client.get(f"/performance/unit/export?month={MARCH}&format=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.data.startswith("\ufeff".encode())
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["排名", "姓名", "账号", "村"] and "得分" in rows[0] and "问责提示" in rows[0]
    by_user = {r[2]: r for r in rows[1:]}
    assert set(by_user) == {"h1", "h2", "h3"}
    assert by_user["h1"][1] == "'=HYPERLINK(\"http://x\",\"点我\")"
    assert by_user["h3"][1] == "'@SUM(1+1)"
    score = rows[0].index("得分")
    assert by_user["h2"][score] == "100.0" and by_user["h2"][rows[0].index("等级")] == "优秀"
    assert "通报批评候选" in by_user["h1"][rows[0].index("问责提示")]

    resp = client.get(f"/performance/unit/export?month={MARCH}&format=xlsx&village_id={march['v1']}")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    values = list(ws.values)
    assert values[0][:3] == ("排名", "姓名", "账号")
    names = {row[2]: row[1] for row in values[1:]}
    assert set(names) == {"h1", "h2"}
    assert names["h1"].startswith("'=")
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
    assert client.get(f"/performance/unit/export?month={MARCH}&format=pdf").status_code == 422


def test_quarter_export(client, march):
    client.login("admin")
    resp = client.get("/performance/unit/quarter/export?quarter=2026-Q1&format=csv")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0] == ["排名", "姓名", "账号", "村", "1月得分", "2月得分", "3月得分", "季度得分", "等级"]
    assert {r[2] for r in rows[1:]} == {"h1", "h2", "h3"}
    resp = client.get("/performance/unit/quarter/export?quarter=2026-Q1&format=xlsx")
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert [c.value for c in ws[1]][-2:] == ["季度得分", "等级"]


# ---------------------------------------------------------------- closing a month

def test_close_reopen_recompute_through_the_pages(client, make_client, app, march):
    client.login("admin")
    assert client.post("/performance/unit/close", data={"month": MARCH}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(MonthClosure.closed)) is True
        visit(march["h1"], march["hh2"], local(2026, 3, 20))  # an edit after closing
        db.session.commit()
    html = client.get(f"/performance/unit?month={MARCH}").get_data(as_text=True)
    assert "已关账" in html
    page = client.get(f"/performance/helpers/{march['h1']}?month={MARCH}").get_data(as_text=True)
    assert "本月已关账" in page and "本月还有 1 户未走访" in page  # the snapshot, not the new visit
    assert client.post("/performance/unit/close", data={"month": MARCH}).status_code == 422
    assert client.post("/performance/unit/recompute", data={"month": MARCH, "reason": ""}).status_code == 422
    assert client.post("/performance/unit/recompute", data={"month": MARCH, "reason": "补录了走访"}).status_code == 302
    page = client.get(f"/performance/helpers/{march['h1']}?month={MARCH}").get_data(as_text=True)
    assert "本月已关账" in page and "本月还有" not in page
    assert client.post("/performance/unit/reopen", data={"month": MARCH, "reason": "复核"},
                       headers={"HX-Request": "true"}).headers["HX-Redirect"].startswith("/performance/unit")
    with app.app_context():
        actions = db.session.scalars(
            select(AuditLog.action).where(AuditLog.entity == "month_closure").order_by(AuditLog.id)).all()
    assert actions == ["month.close", "month.recompute", "month.reopen"]
    assert "重新打开" in client.get(f"/performance/unit?month={MARCH}").get_data(as_text=True)
    # the running month cannot be closed; the other unit's admin closes only their own unit
    assert client.post("/performance/unit/close", data={"month": "2999-01"}).status_code == 422
    other = make_client()
    other.login("admin_x")
    other.post("/performance/unit/close", data={"month": MARCH})
    with app.app_context():
        assert db.session.scalar(select(MonthClosure.closed).where(MonthClosure.unit_id == march["unit"])) is False


def test_first_secretary_cannot_close_a_month(client, march):
    client.login("sec1")
    for url in ("/performance/unit/close", "/performance/unit/reopen", "/performance/unit/recompute",
                "/performance/spot-checks/draw"):
        assert client.post(url, data={"month": MARCH, "reason": "x"}).status_code == 403, url


# ---------------------------------------------------------------- spot checks

def test_spot_check_draw_result_and_helpers_month(client, make_client, app, march):
    client.login("admin")
    assert client.post("/performance/spot-checks/draw", data={"month": MARCH, "seed": "公开种子"}).status_code == 302
    html = client.get(f"/performance/spot-checks?month={MARCH}").get_data(as_text=True)
    assert "公开种子" in html and "用抽签码再抽一遍，结果一致" in html
    with app.app_context():
        item = db.session.scalar(select(SpotCheckItem))
        item_id, helper_id = item.id, item.helper_id
        username = db.session.get(User, helper_id).username
    assert client.post(f"/performance/spot-checks/items/{item_id}", data={"result": "不符合", "note": ""}).status_code == 422
    assert client.post(f"/performance/spot-checks/items/{item_id}",
                       data={"result": "不符合", "note": "三月日志与走访照片不符"}).status_code == 302
    helper = make_client()
    helper.login(username)
    page = helper.get(f"/performance/me?month={MARCH}").get_data(as_text=True)
    assert "本月被抽查" in page and "不符合" in page and "三月日志与走访照片不符" in page
    # redraw (confirmed) keeps the history
    assert client.post("/performance/spot-checks/draw", data={"month": MARCH, "replace": "1"}).status_code == 302
    html = client.get(f"/performance/spot-checks?month={MARCH}").get_data(as_text=True)
    assert "历史抽样" in html and "公开种子" in html
    with app.app_context():
        assert db.session.scalar(select(SpotCheckDraw.superseded).where(SpotCheckDraw.seed == "公开种子")) is True
    # another unit's admin cannot record a result
    other = make_client()
    other.login("admin_x")
    assert other.post(f"/performance/spot-checks/items/{item_id}", data={"result": "符合"}).status_code == 404
    assert "公开种子" not in other.get(f"/performance/spot-checks?month={MARCH}").get_data(as_text=True)


# ---------------------------------------------------------------- the API

def api(client, query=""):
    return client.get(f"/api/v1/performance?month={MARCH}{query}")


def test_api_fields_and_scoping(client, make_client, march):
    assert api(client).status_code == 401
    client.login("h1")
    body = api(client).get_json()
    assert body["month"] == MARCH and [h["username"] for h in body["helpers"]] == ["h1"]
    h1 = body["helpers"][0]
    assert {"username", "score", "rating", "households", "households_visited", "visits", "flagged_visits", "flags"} <= set(h1)
    assert (h1["score"], h1["rating"], h1["households"], h1["households_visited"], h1["visits"], h1["flagged_visits"]) == (
        65.0, "合格", 2.0, 1, 1, 0)
    assert {"code": "not_visited", "rule": "不按要求进村入户开展扶贫工作的", "action": "通报批评",
            "evidence": "本月未走访：张二", "item": "第九条(一)2"} in h1["flags"]

    sec = make_client()
    sec.login("sec1")
    assert sorted(h["username"] for h in api(sec).get_json()["helpers"]) == ["h1", "h2"]
    assert api(sec, f"&village_id={march['v2']}").status_code == 404

    admin = make_client()
    admin.login("admin")
    assert [h["username"] for h in api(admin).get_json()["helpers"]] == ["h2", "h1", "h3"]
    assert [h["username"] for h in api(admin, f"&village_id={march['v2']}").get_json()["helpers"]] == ["h3"]
    bad = admin.get("/api/v1/performance?month=2026-3")
    assert bad.status_code == 422 and "month" in bad.get_json()["errors"]
    assert admin.get("/api/v1/performance?month=2026-03&village_id=x").status_code == 422

    for who in ("admin_x", "team1"):
        c = make_client()
        c.login(who)
        assert api(c).get_json()["helpers"] == []
    c = make_client()
    c.login("admin_x")
    assert api(c, f"&village_id={march['v1']}").status_code == 404


# ---------------------------------------------------------------- every view × every role

ROLES = ("anonymous", "h1", "h2", "team1", "sec1", "sec2", "admin", "admin_x")


def _matrix(w):
    h1 = w["h1"]
    own_helper = {"anonymous": 302, "h1": 200, "h2": 200, "team1": 403, "sec1": 403, "sec2": 403, "admin": 403, "admin_x": 403}
    one_helper = {"anonymous": 302, "h1": 403, "h2": 403, "team1": 403, "sec1": 200, "sec2": 404, "admin": 200, "admin_x": 404}
    village = {"anonymous": 302, "h1": 403, "h2": 403, "team1": 403, "sec1": 200, "sec2": 200, "admin": 403, "admin_x": 403}
    office = {"anonymous": 302, "h1": 403, "h2": 403, "team1": 403, "sec1": 403, "sec2": 403, "admin": 200, "admin_x": 200}
    office_post = dict(office, admin=302, admin_x=302)
    return {
        ("GET", "performance.index", "/performance/"): dict.fromkeys(ROLES, 302),
        ("GET", "performance.my_month", f"/performance/me?month={MARCH}"): own_helper,
        ("GET", "performance.my_year", "/performance/me/year?year=2026"): own_helper,
        ("GET", "performance.helper_month", f"/performance/helpers/{h1}?month={MARCH}"): one_helper,
        ("GET", "performance.helper_year", f"/performance/helpers/{h1}/year?year=2026"): one_helper,
        ("GET", "performance.village", f"/performance/village?month={MARCH}"): village,
        ("GET", "performance.unit", f"/performance/unit?month={MARCH}"): office,
        ("GET", "performance.unit_quarter", "/performance/unit/quarter?quarter=2026-Q1"): office,
        ("GET", "performance.export_month", f"/performance/unit/export?month={MARCH}&format=csv"): office,
        ("GET", "performance.export_quarter", "/performance/unit/quarter/export?quarter=2026-Q1&format=xlsx"): office,
        ("GET", "performance.spot_checks", f"/performance/spot-checks?month={MARCH}"): office,
        ("POST", "performance.close_month", "/performance/unit/close"): office_post,
        # in this order: close, then reopen (it is closed), then recompute (it is open again: 422)
        ("POST", "performance.reopen_month", "/performance/unit/reopen"): office_post,
        ("POST", "performance.recompute_month", "/performance/unit/recompute"): dict(office_post, admin=422, admin_x=422),
        ("POST", "performance.spot_check_result", "/performance/spot-checks/items/ITEM"): dict(office_post, admin_x=404),
        # the month has a draw: a redraw without the confirm step's replace=1 is refused (409)
        ("POST", "performance.spot_check_draw", "/performance/spot-checks/draw"): dict(office_post, admin=409, admin_x=422),
        ("GET", "api_performance.month", f"/api/v1/performance?month={MARCH}"): dict.fromkeys(ROLES, 200) | {"anonymous": 401},
        # a reviewer confirms a fake visit (here without the required note: 422)
        ("POST", "performance.confirm_fake_visit", "/performance/visits/VISIT/fake"): dict(
            one_helper, sec1=422, admin=422),
    }


def test_every_performance_view_for_every_role(app, make_client, march):
    from webapp.services import performance

    with app.app_context():
        draw = performance.draw(app_rules.scoring(), db.session.get(User, march["admin"]), MARCH, seed="矩阵")
        db.session.commit()
        item_id = draw.items[0].id
        visit_id = db.session.scalar(select(Visit.id).where(Visit.helper_id == march["h1"]))
    matrix = _matrix(march)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.startswith(("performance.", "api_performance."))}
    assert endpoints == {endpoint for _, endpoint, _ in matrix}, "a performance route is missing from the matrix"
    for role in ROLES:
        c = make_client()
        if role != "anonymous":
            c.login(role)
        for (method, endpoint, url), expected in matrix.items():
            url = url.replace("ITEM", str(item_id)).replace("VISIT", str(visit_id))
            if method == "GET":
                resp = c.get(url)
            else:
                resp = c.post(url, data={"month": MARCH, "reason": "核对", "result": "符合"})
            assert resp.status_code == expected[role], (role, endpoint, resp.status_code)


def test_odd_parameters_are_4xx_not_5xx(client, march):
    client.login("admin")
    for url in ("/performance/unit?village_id=99999999999999999999", "/performance/unit?village_id=²",
                "/performance/unit?month=２０２６-1", "/performance/unit/quarter?quarter=2026-Q0",
                "/performance/unit/export?month=2026-03&format=exe", "/performance/helpers/99999999999999999999",
                "/performance/helpers/0/year?year=１９９９", "/api/v1/performance?village_id=99999999999999999999",
                "/api/v1/performance?month=2026-03&village_id=-1", "/performance/spot-checks?month=0000-00"):
        status = client.get(url).status_code
        assert 400 <= status < 500, (url, status)
    assert client.post("/performance/spot-checks/items/99999999999999999999", data={"result": "符合"}).status_code == 404
    assert client.post("/performance/spot-checks/draw", data={"month": MARCH, "seed": "x" * 65}).status_code == 422


def test_spot_check_result_and_satisfaction_move_the_month_on_the_pages(client, march):
    """不符合 on a drawn helper shows on their month and in the ranking; satisfaction per village."""
    client.application.config["SPOT_CHECK_RATIO"] = 1.0
    app_rules.install(client.application)  # the rules are built from the config once
    client.login("admin")
    client.post("/performance/spot-checks/draw", data={"month": MARCH, "seed": "全部"})
    with client.application.app_context():
        h2 = db.session.scalar(select(User).where(User.username == "h2"))
        items = db.session.scalars(select(SpotCheckItem).where(SpotCheckItem.helper_id == h2.id)).all()
        item_id, h2_id = items[-1].id, h2.id
    assert client.post(f"/performance/spot-checks/items/{item_id}",
                       data={"result": "不符合", "note": "户主称本月未见帮扶人", "satisfaction": "不满意",
                             "satisfaction_note": ""}).status_code == 422
    assert client.post(f"/performance/spot-checks/items/{item_id}",
                       data={"result": "不符合", "note": "户主称本月未见帮扶人", "satisfaction": "不满意",
                             "satisfaction_note": "没见过人"}).status_code == 302
    html = client.get(f"/performance/helpers/{h2_id}?month={MARCH}").get_data(as_text=True)
    assert "当月抽查" in html and "户主称本月未见帮扶人" in html and "没见过人" in html and "80" in html
    ranking = client.get(f"/performance/unit?month={MARCH}").get_data(as_text=True)
    assert "群众满意度" in ranking and "不满意 1" in ranking


def test_first_secretary_confirms_a_fake_visit_and_the_helper_gets_four_two(client, march):
    client.login("sec1")
    with client.application.app_context():
        visit_id = db.session.scalar(select(Visit.id).where(Visit.helper_id == march["h1"]))
    assert client.post(f"/performance/visits/{visit_id}/fake", data={"fake_note": "照片是去年的"}).status_code == 302
    with client.application.app_context():
        assert db.session.get(Visit, visit_id).fake_note == "照片是去年的"
    html = client.get(f"/performance/helpers/{march['h1']}?month={MARCH}").get_data(as_text=True)
    assert "党政纪处分候选" in html and "004 第九条(四)2：工作中弄虚作假、玩忽职守、失职渎职的" in html


def test_a_confirmed_fake_is_neither_overwritten_nor_accepted_afterwards(client, make_client, march):
    """A second confirmation (the office, or a replayed form) used to replace the first
    one's note, author and time (the evidence), and 已核实 could still be given to the fake visit."""
    client.login("sec1")
    with client.application.app_context():
        visit = db.session.scalar(select(Visit).where(Visit.helper_id == march["h1"]))
        visit.flags = ["outside_geofence"]
        db.session.commit()
        visit_id = visit.id
    assert client.post(f"/performance/visits/{visit_id}/fake", data={"fake_note": "照片是去年的"}).status_code == 302
    admin = make_client()
    admin.login("admin")
    again = admin.post(f"/performance/visits/{visit_id}/fake", data={"fake_note": "改成别的说法"})
    assert again.status_code == 409 and "不能重复确认" in again.get_data(as_text=True)
    accept = client.post(f"/village/visits/{visit_id}/verify", data={"note": "已电话核实"})
    assert accept.status_code == 422 and "已确认弄虚作假" in accept.get_data(as_text=True)
    with client.application.app_context():
        v = db.session.get(Visit, visit_id)
        assert (v.fake_note, v.fake_confirmed_by.username, v.verified_at) == ("照片是去年的", "sec1", None)


def test_the_helper_reads_which_numbers_are_local_choices(client, march):
    """The score explanation marks every number as from a source or a local choice."""
    client.login("h1")
    html = client.get(f"/performance/me?month={MARCH}").get_data(as_text=True)
    assert "评分规则的来源" in html
    assert "走访 50、日志 20、措施 20、按时录入 10" in html and "≥90 优秀，≥60 合格" in html
    assert html.count("本地设置，可配置") >= 8
    assert "004 第六条(一)" in html and "001：“每月至少上户一次”" in html
    year = client.get("/performance/me/year?year=2026").get_data(as_text=True)
    assert "四个季度 25/25/25/25%" in year and "不用于个人" in year

"""Visit pages: the household page's entry, task list and history; the form; a visit; the month."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.support import factories
from tests.support.visit_data import CST, jpeg, photo_form, visit_body
from webapp.extensions import db
from webapp.models import Household, Measure


def _visit(client, hh_id, photos=0, **over):
    body = visit_body(hh_id, **over)
    assert client.post("/api/v1/visits", json=body).status_code == 201
    for i in range(photos):
        client.post(f"/api/v1/visits/{body['client_uuid']}/photos", data=photo_form(jpeg(seed=i + 100)),
                    content_type="multipart/form-data")
    return client.get(f"/api/v1/visits/{body['client_uuid']}").get_json()


def test_household_page_has_the_check_in_entry_for_its_helper_only(client, make_client, world):
    client.login("h1")
    page = client.get(f"/households/{world['hh1']}").get_data(as_text=True)
    assert "签到走访" in page
    assert f"/households/{world['hh1']}/visits/new" in page
    sec = make_client()
    sec.login("sec1")
    page = sec.get(f"/households/{world['hh1']}").get_data(as_text=True)
    assert f"/households/{world['hh1']}/visits/new" not in page
    assert "走访记录" in page


def test_household_page_shows_history_newest_first_with_thumbnails_and_flags(client, world):
    client.login("h1")
    old = _visit(client, world["hh1"], checked_in_at=(datetime.now(CST) - timedelta(days=2)).isoformat(),
                 notes="第一次走访的记录内容")
    new = _visit(client, world["hh1"], photos=2, latitude=30.346, notes="第二次走访的记录内容")
    page = client.get(f"/households/{world['hh1']}").get_data(as_text=True)
    assert page.index("第二次走访") < page.index("第一次走访")
    for p in new["photos"]:
        assert f'src="/api/v1/photos/{p["id"]}/thumb"' in page
    assert 'data-flag="outside_geofence"' in page
    assert "超出范围" in page
    assert old["id"] != new["id"]
    # the same fragment alone for htmx
    frag = client.get(f"/households/{world['hh1']}/visits", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert frag.lstrip().startswith("<section") and "第二次走访" in frag and "<html" not in frag


def test_visit_form_offers_open_measures_checklist_and_students_subsidies(app, client, world):
    with app.app_context():
        hh = db.session.get(Household, world["hh1"])
        factories.member(hh, "张小一", "初中")
        db.session.add(Measure(household_id=hh.id, category="教育", title="落实寄宿生生活补助", status="planned"))
        db.session.add(Measure(household_id=hh.id, category="产业", title="已完成的旧措施", status="done"))
        db.session.commit()
    client.login("h1")
    page = client.get(f"/households/{world['hh1']}/visits/new").get_data(as_text=True)
    assert 'capture="environment"' in page and 'accept="image/*"' in page and "multiple" in page
    assert "落实寄宿生生活补助" in page and "已完成的旧措施" not in page
    for label in ("不愁吃", "不愁穿", "义务教育有保障", "基本医疗有保障", "住房安全有保障", "饮水安全有保障"):
        assert label in page
    assert "寄宿生生活补助（初中）" in page and "1250 元/年" in page and "营养改善计划" in page
    assert 'data-lat="30.301"' in page
    assert "<script>" not in page and "style=" not in page  # CSP: no inline script or style


def test_visit_form_for_an_unlocated_household_asks_for_confirmation(client, world):
    client.login("h3")
    page = client.get(f"/households/{world['hh5']}/visits/new").get_data(as_text=True)
    assert 'name="confirm_location"' in page
    assert "data-lat" not in page


@pytest.mark.parametrize("user,household,status", [("h1", "hh3", 404), ("sec1", "hh1", 403), ("admin", "hh1", 403)])
def test_visit_form_only_for_the_paired_helper(client, world, user, household, status):
    client.login(user)
    assert client.get(f"/households/{world[household]}/visits/new").status_code == status


def test_adding_a_measure_with_htmx_returns_the_task_list(app, client, world):
    client.login("h1")
    url = f"/households/{world['hh1']}/measures"
    resp = client.post(url, data={"category": "就业", "title": "推荐到县城务工", "due_date": "2026-12-31"},
                       headers={"HX-Request": "true"})
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert 'id="measures"' in text and "推荐到县城务工" in text and "<html" not in text
    resp = client.post(url, data={"category": "娱乐", "title": "x", "due_date": "明天"}, headers={"HX-Request": "true"})
    text = resp.get_data(as_text=True)
    assert "类别应为" in text and "措施内容" in text and "完成期限应为日期" in text
    assert client.post(url, data={"category": "娱乐", "title": "x"}).status_code == 422
    with app.app_context():
        assert [m.title for m in db.session.scalars(select(Measure))] == ["推荐到县城务工"]


@pytest.mark.parametrize("user,allowed", [("h1", True), ("h2", False), ("sec1", True), ("team1", False), ("admin", True)])
def test_who_may_add_measures(app, client, world, user, allowed):
    client.login(user)
    resp = client.post(f"/households/{world['hh1']}/measures", data={"category": "健康", "title": "办理慢病卡"})
    if user == "h2":
        assert resp.status_code == 404  # cannot even see the household
    else:
        assert (resp.status_code == 200) == allowed
        if not allowed:
            assert resp.status_code == 403


def test_a_visit_page_shows_everything_recorded(app, client, make_client, world):
    with app.app_context():
        m = Measure(household_id=world["hh1"], category="健康", title="办理慢病卡", status="planned")
        db.session.add(m)
        db.session.commit()
        mid = m.id
    client.login("h1")
    v = _visit(client, world["hh1"], photos=1, measures_done=[mid], problems="屋顶漏雨", next_steps="联系危房改造")
    page = client.get(f"/visits/{v['id']}").get_data(as_text=True)
    for text in ("屋顶漏雨", "联系危房改造", "办理慢病卡", "饮水安全有保障", "雨季水浑",
                 f"/api/v1/photos/{v['photos'][0]['id']}/thumb"):
        assert text in page
    other = make_client()
    other.login("h2")
    assert other.get(f"/visits/{v['id']}").status_code == 404
    sec = make_client()
    sec.login("sec2")
    assert sec.get(f"/visits/{v['id']}").status_code == 404


def test_the_helpers_month_counts_every_household(client, world):
    client.login("h1")
    _visit(client, world["hh1"])
    _visit(client, world["hh1"])
    page = client.get("/visits/month").get_data(as_text=True)
    assert "本月" in page  # the nav entry
    assert "张一" in page and "张二" in page
    assert "2 次" in page and "未走访" in page
    assert "本月共走访 2 次，覆盖 1/2 户" in " ".join(page.split())  # two visits, one of the two households
    assert client.get("/visits/month?month=2026-13").status_code == 422


def test_a_first_secretary_reads_a_helpers_month_of_the_village(client, make_client, world):
    client.login("h1")
    _visit(client, world["hh1"])
    sec = make_client()
    sec.login("sec1")
    assert "张一" in sec.get(f"/visits/month?helper_id={world['h1']}").get_data(as_text=True)
    sec2 = make_client()
    sec2.login("sec2")
    assert sec2.get(f"/visits/month?helper_id={world['h1']}").status_code == 404


def test_helper_nav_has_this_month(client, world):
    client.login("h1")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/visits/month"' in page

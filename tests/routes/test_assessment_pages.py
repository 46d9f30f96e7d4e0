"""The office's assessment pages: the village ranking and year-end entry; the county reads them."""
from tests.support import factories


def test_village_ranking_and_year_end_entry(app, make_client):
    ids = factories.county_ids(app)
    admin, county, county_x, admin_x = make_client(), make_client(), make_client(), make_client()
    admin.login("admin"), county.login("county"), county_x.login("county_x"), admin_x.login("admin_x")
    page = admin.get("/assessments/villages?year=2026").get_data(as_text=True)
    assert "东村" in page and "西村" in page and "20%、20%、20%、40%" in page and "未录入" in page
    bad = admin.post(f"/assessments/villages/{ids['v1']}/year-end", data={"year": "2026", "score": "120"})
    assert bad.status_code == 422 and "0–100" in bad.get_data(as_text=True)
    assert admin.post(f"/assessments/villages/{ids['v1']}/year-end", data={"year": "2026", "score": "88.5"}).status_code == 302
    assert "88.5" in admin.get("/assessments/villages?year=2026").get_data(as_text=True)
    assert admin_x.post(f"/assessments/villages/{ids['v1']}/year-end", data={"year": "2026", "score": "1"}).status_code == 404
    seen = county.get(f"/assessments/villages?year=2026&unit_id={ids['unit']}")
    assert seen.status_code == 200 and "88.5" in seen.get_data(as_text=True) and "year-end" not in seen.get_data(as_text=True)
    assert county.get("/assessments/villages?year=2026").status_code == 404  # which township?
    assert county_x.get(f"/assessments/villages?year=2026&unit_id={ids['unit']}").status_code == 404
    assert county.post(f"/assessments/villages/{ids['v1']}/year-end", data={"year": "2026", "score": "1"}).status_code == 403


def test_on_site_assessment_recorded_and_shown(app, make_client):
    ids = factories.county_ids(app)
    admin, county, county_x, h1 = make_client(), make_client(), make_client(), make_client()
    admin.login("admin"), county.login("county"), county_x.login("county_x"), h1.login("h1")
    url = f"/assessments/onsite/{ids['h1']}"
    bad = admin.post(url, data={"quarter": "2026-Q1", "result": "不合格", "note": ""})
    assert bad.status_code == 422 and "不合格请写明" in bad.get_data(as_text=True)
    assert admin.post(url, data={"quarter": "2026-Q1", "result": "合格", "note": "资料齐全",
                                 "satisfaction": "基本满意"}).status_code == 302
    page = admin.get("/assessments/onsite?quarter=2026-Q1").get_data(as_text=True)
    assert "帮扶一" in page and "资料齐全" in page and "基本满意 1" in page
    assert admin.post(f"/assessments/onsite/{ids['h_x']}", data={"quarter": "2026-Q1", "result": "合格"}).status_code == 404
    seen = county.get(f"/assessments/onsite?quarter=2026-Q1&unit_id={ids['unit']}").get_data(as_text=True)
    assert "资料齐全" in seen and "/assessments/onsite/" not in seen  # read-only for the county
    assert county_x.get(f"/assessments/onsite?quarter=2026-Q1&unit_id={ids['unit']}").status_code == 404
    year = h1.get("/performance/me/year?year=2026").get_data(as_text=True)
    assert "年终等次的依据" in year and "2026-Q1 实地考核" in year


def test_work_team_page_flags_small_teams(app, make_client):
    ids = factories.county_ids(app)
    admin, county, county_x = make_client(), make_client(), make_client()
    admin.login("admin"), county.login("county"), county_x.login("county_x")
    page = admin.get("/assessments/teams").get_data(as_text=True)
    assert "东村" in page and "工作队只有 2 人，少于 3 人" in page and "书记一" in page
    assert "工作队只有 2 人" in county.get(f"/assessments/teams?unit_id={ids['unit']}").get_data(as_text=True)
    assert county_x.get(f"/assessments/teams?unit_id={ids['unit']}").status_code == 404

"""The office's assessment pages (issue 15): the village ranking and year-end entry; the county reads them."""
from tests import factories
from webapp.extensions import db


def _world(app) -> dict:
    with app.app_context():
        w = factories.counties(factories.second_unit(factories.world()))
        db.session.commit()
        ids = w.ids()
        db.session.remove()
    return ids


def test_village_ranking_and_year_end_entry(app, make_client):
    ids = _world(app)
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

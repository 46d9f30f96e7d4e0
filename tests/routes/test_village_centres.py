"""Village centres: a village without one gets the middle of its located households as a
proposal and is listed on the office home; the office edits centre and radius in WGS-84 or GCJ-02;
a change recounts this month's check-ins and is in the audit log."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support import factories
from tests.support.timing import slowed
from webapp.extensions import db
from webapp.models import AuditLog, Checkin, Unit, Village
from webapp.services import geo
from webapp.services.calendar import now_utc


@pytest.fixture
def imported(app, world):
    """北村 as the roster import makes it: no centre; three located households (one far off), and
    a team member's check-in this month that counted as outside."""
    with app.app_context():
        unit = db.session.get(Unit, world["unit"])
        v = Village(unit_id=unit.id, name="北村")
        db.session.add(v)
        db.session.flush()
        for i, (lat, lng) in enumerate(((30.50, 109.70), (30.502, 109.702), (31.9, 110.9))):
            factories.household(v, f"北{i}", lat, lng)
        member = factories.user(unit, "team_n", "team_member", v, "北队员")
        c = factories.checkin_row(member.id, v.id, now_utc() - timedelta(minutes=30), inside=False)
        c.latitude, c.longitude, c.distance_m = 30.501, 109.701, None
        db.session.commit()
        return {"village": v.id, "checkin": c.id}


def test_a_village_without_a_centre_is_listed_with_a_proposal(client, world, imported):
    client.login("admin")
    home = client.get("/admin/").get_data(as_text=True)
    assert 'id="villages-without-centre"' in home and "北村" in home.split('id="villages-without-centre"')[1]
    page = client.get("/admin/villages").get_data(as_text=True)
    card = page.split(f'id="village-{imported["village"]}"')[1].split("</section>")[0]
    assert "还没有中心位置" in card and "按本村 3 户已定位户的中间位置" in card
    assert "30.50200, 109.70200" in card  # the median: the far-off household does not pull it away
    assert 'name="latitude" value="30.502"' in card


def test_saving_a_centre_in_gcj02_stores_wgs84_recounts_and_audits(app, client, world, imported):
    client.login("admin")
    glat, glng = geo.wgs84_to_gcj02(30.501, 109.701)
    resp = client.post("/admin/villages", data={"village_id": imported["village"], "name": "北村", "latitude": f"{glat:.6f}",
                                                "longitude": f"{glng:.6f}", "coord_system": "gcj02", "geofence_m": "1000"})
    assert resp.status_code == 302
    with app.app_context():
        v = db.session.get(Village, imported["village"])
        assert geo.haversine_m(v.latitude, v.longitude, 30.501, 109.701) < 1
        c = db.session.get(Checkin, imported["checkin"])
        assert c.within_geofence is True and c.distance_m < 1
        (entry,) = db.session.scalars(select(AuditLog).where(AuditLog.action == "village.centre")).all()
        assert entry.details["recounted"] == 1 and entry.details["before"]["latitude"] is None
        assert entry.details["coord_system"] == "gcj02" and entry.details["after"]["geofence_m"] == 1000
    assert 'id="villages-without-centre"' not in client.get("/admin/").get_data(as_text=True)
    # the same values again: nothing to recount, nothing logged
    client.post("/admin/villages", data={"village_id": imported["village"], "name": "北村", "latitude": f"{glat:.6f}",
                                         "longitude": f"{glng:.6f}", "coord_system": "gcj02", "geofence_m": "1000"})
    with app.app_context():
        assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "village.centre")).all()) == 1


def test_a_centre_picked_on_baidu_maps_is_stored_as_wgs84(app, client, world, imported):
    client.login("admin")
    blat, blng = geo.wgs84_to_bd09(30.501, 109.701)
    assert "BD-09（在百度地图上取的点）" in client.get("/admin/villages").get_data(as_text=True)
    resp = client.post("/admin/villages", data={"village_id": imported["village"], "name": "北村", "latitude": f"{blat:.6f}",
                                                "longitude": f"{blng:.6f}", "coord_system": "bd09", "geofence_m": "1000"})
    assert resp.status_code == 302
    with app.app_context():
        v = db.session.get(Village, imported["village"])
        assert geo.haversine_m(v.latitude, v.longitude, 30.501, 109.701) < 1  # 1.1 km off as typed
        assert db.session.get(Checkin, imported["checkin"]).within_geofence is True
    resp = client.post("/admin/villages", data={"village_id": imported["village"], "name": "北村", "latitude": "30.5",
                                                "longitude": "109.7", "coord_system": "bd09mc", "geofence_m": "1000"})
    assert resp.status_code == 422 and "坐标系应为 WGS-84、GCJ-02 或 BD-09" in resp.get_data(as_text=True)


def test_bad_input_comes_back_in_that_villages_form(app, client, world, imported):
    client.login("admin")
    resp = client.post("/admin/villages", data={"village_id": imported["village"], "name": "北村", "latitude": "30.5",
                                                "longitude": "", "geofence_m": "1000"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    card = html.split(f'id="village-{imported["village"]}"')[1].split("</section>")[0]
    assert "经度和纬度要么都填" in card
    assert client.post("/admin/villages", data={"village_id": imported["village"], "name": "北村",
                                                "coord_system": "bd09mc", "geofence_m": "1000"}).status_code == 422
    with app.app_context():
        assert db.session.get(Village, imported["village"]).latitude is None


def test_a_new_village_saved_twice_at_once_is_made_once(app, world, make_client, monkeypatch):
    """保存 tapped twice (or two admins) on a new village: the second is told the name exists (422),
    not a 500 from the unique (unit, name) when both passed the name check before either committed
    (PostgreSQL)."""
    import threading

    converting = slowed(monkeypatch, geo, "to_wgs84")  # the first save has checked the name, not inserted yet
    first, second = make_client(), make_client()
    first.login("admin"), second.login("admin")
    form = {"name": "南村", "latitude": "30.5", "longitude": "109.5", "coord_system": "bd09"}
    answers = {}

    def save(name, client):
        try:
            resp = client.post("/admin/villages", data=form)
            answers[name] = (resp.status_code, resp.get_data(as_text=True))
        except Exception as err:  # TESTING propagates what would be a 500
            answers[name] = (500, repr(err))

    thread = threading.Thread(target=save, args=("first", first))
    thread.start()
    assert converting.wait(30)
    save("second", second)
    thread.join(60)
    (status, _), (again, page) = answers["first"], answers["second"]  # the first to check the name saves
    assert (status, again) == (302, 422), answers
    assert "村名「南村」已存在" in page
    with app.app_context():
        assert len(db.session.scalars(select(Village).where(Village.name == "南村")).all()) == 1

"""A unit or village without its own geofence uses the configured one (VISIT_GEOFENCE_M,
VILLAGE_GEOFENCE_M); its own value, where set, wins."""
from webapp.extensions import db
from webapp.models import Household, Unit, Village
from webapp.models.org import effective_geofence_m
from webapp.services import attendance, visits
from webapp.web import rules

CENTRE = (30.30, 109.50)  # 东村 in the test world
KM_AND_A_HALF = (30.30 + 0.0135, 109.50)  # ~1.5 km north


def test_the_effective_geofence_is_the_own_value_or_the_default():
    assert effective_geofence_m(None, 2000) == 2000
    assert effective_geofence_m(500, 2000) == 500


def test_a_village_without_its_own_geofence_follows_the_setting(app, world, ctx):
    village = db.session.get(Village, world["v1"])
    assert village.geofence_m is None  # nothing set when created
    assert attendance.locate(rules.attendance(), village, *KM_AND_A_HALF)[1] is True  # the 2 km default
    app.config["VILLAGE_GEOFENCE_M"] = 1000
    rules.install(app)  # the rules are built from the config once
    assert attendance.geofence_m(rules.attendance(), village) == 1000
    assert attendance.locate(rules.attendance(), village, *KM_AND_A_HALF)[1] is False
    village.geofence_m = 3000
    assert attendance.locate(rules.attendance(), village, *KM_AND_A_HALF)[1] is True


def test_a_unit_without_its_own_geofence_follows_the_setting(app, world, ctx):
    household = db.session.get(Household, world["hh1"])
    assert db.session.get(Unit, world["unit"]).geofence_m is None
    assert visits.geofence_m(household, rules.visits()) == 300
    app.config["VISIT_GEOFENCE_M"] = 800
    rules.install(app)  # the rules are built from the config once
    assert visits.geofence_m(household, rules.visits()) == 800
    db.session.get(Unit, world["unit"]).geofence_m = 150
    assert visits.geofence_m(household, rules.visits()) == 150


def test_a_village_saved_without_a_range_keeps_none_and_the_page_shows_the_default(app, world, client):
    client.login("admin")
    page = client.get("/admin/villages").get_data(as_text=True)
    assert 'placeholder="默认 2000"' in page and 'name="geofence_m" value=""' in page
    assert client.post("/admin/villages", data={"name": "北村", "latitude": "30.5", "longitude": "109.7",
                                                "geofence_m": ""}).status_code == 302
    assert client.post("/admin/villages", data={"name": "南村", "geofence_m": "1500"}).status_code == 302
    with app.app_context():
        ranges = dict(db.session.execute(db.select(Village.name, Village.geofence_m)
                                         .where(Village.name.in_(["北村", "南村"]))).all())
        assert ranges == {"北村": None, "南村": 1500}
    listing = " ".join(client.get("/admin/villages").get_data(as_text=True).split())
    assert "2000 米（默认）" in listing and "1500 米" in listing

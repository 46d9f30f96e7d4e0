"""The visit API: every rule of POST /api/v1/visits, idempotency, flags, and what a helper may read."""
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.support import factories
from tests.support.visit_data import CST, jpeg, photo_form, visit_body
from webapp.extensions import db
from webapp.models import AuditLog, Household, Measure, SubsidyAnswer, Visit


def count(app, model=Visit) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def post(client, body, **kw):
    return client.post("/api/v1/visits", json=body, **kw)


def test_a_visit_is_stored_with_distance_and_geofence(app, client, world):
    client.login("h1")
    body = visit_body(world["hh1"], measures_done=[])
    resp = post(client, body)
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert out["client_uuid"] == body["client_uuid"]
    assert out["household_id"] == world["hh1"]
    assert out["helper_id"] == world["h1"]
    assert 10 < out["distance_m"] < 30  # 0.0001° lat + 0.0001° lng from the household
    assert out["within_geofence"] is True
    assert out["flags"] == []
    assert out["offline"] is False
    assert out["checklist"]["water"] == {"ok": False, "note": "雨季水浑"}
    with app.app_context():
        v = db.session.scalar(select(Visit))
        assert v.checked_in_at == datetime.fromisoformat(body["checked_in_at"])
        assert v.received_at > v.checked_in_at
        assert v.accuracy_m == 12.5


def test_the_same_request_five_times_is_one_row(app, client, world):
    client.login("h1")
    body = visit_body(world["hh1"])
    answers = [post(client, body) for _ in range(5)]
    assert [r.status_code for r in answers] == [201, 200, 200, 200, 200]
    assert len({r.get_json()["id"] for r in answers}) == 1
    assert count(app) == 1


def test_the_same_instant_written_with_another_offset_is_the_same_content(app, client, world):
    client.login("h1")
    body = visit_body(world["hh1"])
    assert post(client, body).status_code == 201
    as_utc = datetime.fromisoformat(body["checked_in_at"]).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    assert post(client, {**body, "checked_in_at": as_utc}).status_code == 200
    assert count(app) == 1


def test_the_same_uuid_with_other_content_is_a_conflict_and_changes_nothing(app, client, world):
    client.login("h1")
    body = visit_body(world["hh1"])
    first = post(client, body).get_json()
    resp = post(client, {**body, "notes": "另外一段完全不同的走访内容。"})
    assert resp.status_code == 409
    assert "client_uuid" in resp.get_json()["errors"]
    assert count(app) == 1
    with app.app_context():
        assert db.session.get(Visit, first["id"]).notes == body["notes"]


def test_another_helper_reusing_a_uuid_gets_a_conflict(app, client, make_client, world):
    client.login("h1")
    body = visit_body(world["hh1"])
    post(client, body)
    other = make_client()
    other.login("h2")
    assert post(other, {**body, "household_id": world["hh3"]}).status_code == 409
    assert count(app) == 1


@pytest.mark.parametrize("household", ["hh3", "hh4", "hh6"])
def test_a_household_not_paired_with_the_caller_is_not_found(app, client, world, household):
    client.login("h1")
    resp = post(client, visit_body(world[household]))
    assert resp.status_code == 404
    assert resp.get_json()["errors"]["household_id"]
    assert count(app) == 0


def test_a_former_pairing_no_longer_allows_visits(app, client, world):
    with app.app_context():
        from webapp.models import Pairing

        p = db.session.scalar(select(Pairing).where(Pairing.household_id == world["hh2"]))
        p.end_date = date.today()
        db.session.commit()
    client.login("h1")
    assert post(client, visit_body(world["hh2"])).status_code == 404


@pytest.mark.parametrize("user", ["sec1", "team1", "admin"])
def test_only_helpers_record_visits(app, client, world, user):
    client.login(user)
    assert post(client, visit_body(world["hh1"])).status_code == 403
    assert count(app) == 0


def test_anonymous_gets_401_json(app, client, world):
    resp = post(client, visit_body(world["hh1"]))
    assert resp.status_code == 401
    assert "_session" in resp.get_json()["errors"]
    assert client.get("/api/v1/me/households").status_code == 401


def test_a_write_without_csrf_token_is_refused(app, client, world):
    client.login("h1")
    resp = client.post("/api/v1/visits", json=visit_body(world["hh1"]), csrf=False)
    assert resp.status_code == 400
    assert "csrf_token" in resp.get_json()["errors"]
    assert count(app) == 0


def _now():
    return datetime.now(CST).replace(microsecond=0)


BAD = [
    ("latitude", {"latitude": 90.5}),
    ("latitude", {"latitude": -91}),
    ("longitude", {"longitude": 180.01}),
    ("longitude", {"longitude": -200}),
    ("accuracy_m", {"accuracy_m": -1}),
    ("latitude", {"latitude": "north"}),
    ("latitude", {"latitude": None}),
    ("checked_in_at", {"checked_in_at": "2026-05-06T08:30:00"}),  # no offset
    ("checked_in_at", {"checked_in_at": "yesterday"}),
    ("notes", {"notes": "走访"}),
    ("notes", {"notes": "    好       "}),
    ("household_id", {"household_id": "1"}),
    ("client_uuid", {"client_uuid": "not-a-uuid"}),
    ("checklist.food.ok", {"checklist": {"food": {"ok": "maybe"}}}),
    ("checklist", {"checklist": {"luxury": {"ok": True}}}),
    ("measures_done.0", {"measures_done": ["x"]}),
    ("subsidies.0.answer", {"subsidies": [{"member_id": 1, "item": "nutrition", "answer": "也许"}]}),
    ("colour", {"colour": "red"}),
]


@pytest.mark.parametrize("field,change", BAD, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD)])
def test_bad_fields_are_422_with_the_field_named_and_nothing_stored(app, client, world, field, change):
    client.login("h1")
    resp = post(client, {**visit_body(world["hh1"]), **change})
    assert resp.status_code == 422, resp.get_json()
    errors = resp.get_json()["errors"]
    assert any(k == field or k.startswith(field.split(".")[0]) for k in errors), errors
    assert count(app) == 0


@pytest.mark.parametrize("missing", ["client_uuid", "household_id", "checked_in_at", "latitude", "longitude",
                                     "accuracy_m", "notes"])
def test_required_fields(app, client, world, missing):
    client.login("h1")
    body = visit_body(world["hh1"])
    del body[missing]
    resp = post(client, body)
    assert resp.status_code == 422
    assert missing in resp.get_json()["errors"]


def test_not_json_is_refused(app, client, world):
    client.login("h1")
    for data, ctype in (("latitude=1", "application/x-www-form-urlencoded"), ("[1, 2]", "application/json"),
                        ("{broken", "application/json")):
        resp = client.post("/api/v1/visits", data=data, content_type=ctype)
        assert resp.status_code in (400, 422), data
        assert resp.get_json()["errors"]
    assert count(app) == 0


def test_check_in_time_more_than_five_minutes_ahead_is_refused(app, client, world):
    client.login("h1")
    resp = post(client, visit_body(world["hh1"], checked_in_at=(_now() + timedelta(minutes=6)).isoformat()))
    assert resp.status_code == 422
    assert "checked_in_at" in resp.get_json()["errors"]
    # a phone clock slightly ahead is fine
    assert post(client, visit_body(world["hh1"], checked_in_at=(_now() + timedelta(minutes=3)).isoformat())).status_code == 201


def test_check_in_older_than_the_offline_window_is_refused(app, client, world):
    client.login("h1")
    resp = post(client, visit_body(world["hh1"], checked_in_at=(_now() - timedelta(days=7, minutes=5)).isoformat()))
    assert resp.status_code == 422
    assert "checked_in_at" in resp.get_json()["errors"]
    assert count(app) == 0


def test_the_offline_window_is_configurable(app, client, world):
    app.config["OFFLINE_WINDOW_DAYS"] = 2
    client.login("h1")
    assert post(client, visit_body(world["hh1"], checked_in_at=(_now() - timedelta(days=3)).isoformat())).status_code == 422


def test_an_old_visit_within_the_window_is_marked_late_and_offline(app, client, world):
    client.login("h1")
    out = post(client, visit_body(world["hh1"], checked_in_at=(_now() - timedelta(days=4)).isoformat())).get_json()
    assert "late_entry" in out["flags"]
    assert out["offline"] is True
    assert "补录超时" in out["flag_labels"]


def test_sent_two_hours_later_is_offline_but_not_late(app, client, world):
    client.login("h1")
    out = post(client, visit_body(world["hh1"], checked_in_at=(_now() - timedelta(hours=2)).isoformat())).get_json()
    assert out["offline"] is True
    assert out["flags"] == []


def test_five_km_away_is_outside_the_geofence(app, client, world):
    client.login("h1")
    out = post(client, visit_body(world["hh1"], latitude=30.301 + 0.045)).get_json()  # ~5 km north
    assert 4900 < out["distance_m"] < 5100
    assert out["within_geofence"] is False
    assert out["flags"] == ["outside_geofence"]


def test_the_geofence_is_per_unit(app, client, world):
    with app.app_context():
        from webapp.models import Unit

        db.session.get(Unit, world["unit"]).geofence_m = 6000
        db.session.commit()
    client.login("h1")
    out = post(client, visit_body(world["hh1"], latitude=30.301 + 0.045)).get_json()
    assert out["within_geofence"] is True


def test_poor_gps_accuracy_is_flagged(app, client, world):
    client.login("h1")
    assert post(client, visit_body(world["hh1"], accuracy_m=250)).get_json()["flags"] == ["poor_accuracy"]
    assert post(client, visit_body(world["hh1"], accuracy_m=200)).get_json()["flags"] == []


def test_impossible_travel_flags_both_visits(app, client, world):
    client.login("h1")
    t = _now() - timedelta(hours=1)
    first = post(client, visit_body(world["hh1"], checked_in_at=t.isoformat())).get_json()
    # 20 km away ten minutes later: 120 km/h is the limit
    second = post(client, visit_body(world["hh2"], latitude=30.302 + 0.18,
                                     checked_in_at=(t + timedelta(minutes=10)).isoformat())).get_json()
    assert "impossible_travel" in second["flags"]
    with app.app_context():
        assert "impossible_travel" in db.session.get(Visit, first["id"]).flags


def test_plausible_travel_is_not_flagged(app, client, world):
    client.login("h1")
    t = _now() - timedelta(hours=3)
    post(client, visit_body(world["hh1"], checked_in_at=t.isoformat()))
    # 20 km in an hour is 20 km/h
    out = post(client, visit_body(world["hh2"], latitude=30.302 + 0.18,
                                  checked_in_at=(t + timedelta(hours=1)).isoformat())).get_json()
    assert "impossible_travel" not in out["flags"]


def test_measures_ticked_on_a_visit_are_done_by_that_visit(app, client, world):
    with app.app_context():
        m = Measure(household_id=world["hh1"], category="产业", title="发放鸡苗 50 只", status="planned")
        other = Measure(household_id=world["hh3"], category="就业", title="推荐务工", status="planned")
        db.session.add_all([m, other])
        db.session.commit()
        mid, other_id = m.id, other.id
    client.login("h1")
    resp = post(client, visit_body(world["hh1"], measures_done=[other_id]))
    assert resp.status_code == 422
    assert "measures_done" in resp.get_json()["errors"]
    out = post(client, visit_body(world["hh1"], measures_done=[mid])).get_json()
    assert out["measures_done"] == [mid]
    with app.app_context():
        m = db.session.get(Measure, mid)
        assert m.status == "done" and m.done_visit_id == out["id"] and m.done_at is not None


def test_subsidy_answers_follow_the_students_stage(app, client, world):
    with app.app_context():
        hh = db.session.get(Household, world["hh1"])
        pupil = factories.member(hh, "张小一", "小学")
        adult = factories.member(hh, "张大", None, relation="配偶")
        db.session.commit()
        pupil_id, adult_id = pupil.id, adult.id
    client.login("h1")
    for bad in ([{"member_id": pupil_id, "item": "senior_grant", "answer": "已享受"}],
                [{"member_id": adult_id, "item": "nutrition", "answer": "已享受"}],
                [{"member_id": pupil_id, "item": "nutrition", "answer": "已享受"}] * 2):
        resp = post(client, visit_body(world["hh1"], subsidies=bad))
        assert resp.status_code == 422, bad
        assert "subsidies" in resp.get_json()["errors"]
    good = [{"member_id": pupil_id, "item": "nutrition", "answer": "已享受"},
            {"member_id": pupil_id, "item": "boarding_primary", "answer": "不适用"}]
    out = post(client, visit_body(world["hh1"], subsidies=good)).get_json()
    assert len(out["subsidies"]) == 2
    assert count(app, SubsidyAnswer) == 2


def test_a_household_without_location_gets_it_only_when_the_helper_confirms(app, client, world):
    client.login("h3")
    out = post(client, visit_body(world["hh5"], latitude=30.41, longitude=109.61)).get_json()
    assert out["distance_m"] is None and out["within_geofence"] is None
    assert out["household_location_set"] is False
    with app.app_context():
        assert db.session.get(Household, world["hh5"]).latitude is None
    # poor accuracy: not good enough to become the household's position
    out = post(client, visit_body(world["hh5"], latitude=30.41, longitude=109.61, accuracy_m=500,
                                  confirm_location=True)).get_json()
    assert out["household_location_set"] is False
    out = post(client, visit_body(world["hh5"], latitude=30.41, longitude=109.61, confirm_location=True)).get_json()
    assert out["household_location_set"] is True
    assert out["distance_m"] == 0 and out["within_geofence"] is True
    with app.app_context():
        hh = db.session.get(Household, world["hh5"])
        assert (hh.latitude, hh.longitude, hh.location_source) == (30.41, 109.61, "visit")
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "household.locate")) is not None
    # a located household is not moved by a later confirmation
    out = post(client, visit_body(world["hh5"], latitude=30.42, longitude=109.61, confirm_location=True)).get_json()
    assert out["household_location_set"] is False
    assert out["distance_m"] > 1000


def test_my_households_lists_the_helpers_households_with_last_visit(app, client, world):
    client.login("h1")
    body = visit_body(world["hh1"])
    post(client, body)
    rows = {r["id"]: r for r in client.get("/api/v1/me/households").get_json()["households"]}
    assert set(rows) == {world["hh1"], world["hh2"]}
    assert rows[world["hh1"]]["name"] == "张一"
    assert rows[world["hh1"]]["latitude"] == 30.301
    assert datetime.fromisoformat(rows[world["hh1"]]["last_visit"]) == datetime.fromisoformat(body["checked_in_at"])
    assert rows[world["hh2"]]["last_visit"] is None


def test_a_visit_can_be_read_back_by_uuid_by_those_who_may_see_it(app, client, make_client, world):
    client.login("h1")
    body = visit_body(world["hh1"])
    post(client, body)
    assert client.get(f"/api/v1/visits/{body['client_uuid']}").get_json()["notes"] == body["notes"]
    other = make_client()
    other.login("h2")
    assert other.get(f"/api/v1/visits/{body['client_uuid']}").status_code == 404
    sec = make_client()
    sec.login("sec1")
    assert sec.get(f"/api/v1/visits/{body['client_uuid']}").status_code == 200
    assert client.get(f"/api/v1/visits/{uuid.uuid4()}").status_code == 404


def test_visit_response_lists_its_photos(app, client, world):
    client.login("h1")
    body = visit_body(world["hh1"])
    post(client, body)
    client.post(f"/api/v1/visits/{body['client_uuid']}/photos", data=photo_form(jpeg()), content_type="multipart/form-data")
    out = post(client, body).get_json()
    assert len(out["photos"]) == 1
    assert out["photos"][0]["thumb_url"].endswith("/thumb")

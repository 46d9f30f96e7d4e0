"""Plausibility flags computed by the visit service, including visits that arrive out of order."""
import uuid
from datetime import datetime, timedelta, timezone

from tests.support.visit_data import visit_body
from webapp.extensions import db
from webapp.models import User, Visit
from webapp.schemas.visits import VisitIn
from webapp.services import visits
from webapp.web import rules as app_rules

NOW = datetime(2026, 5, 9, 4, 0, tzinfo=timezone.utc)  # a Saturday, 12:00 in China


def rec(user, hh, at, lat=30.301, lng=109.501, acc=10.0):
    data = VisitIn().load(visit_body(hh, client_uuid=str(uuid.uuid4()), checked_in_at=at.isoformat(),
                                     latitude=lat, longitude=lng, accuracy_m=acc))
    return visits.record(user, data, app_rules.visits(), now=NOW).visit


def test_a_late_arrival_between_two_visits_flags_its_neighbours(ctx, world):
    h1 = db.session.get(User, world["h1"])
    a = rec(h1, world["hh1"], NOW - timedelta(hours=3))
    c = rec(h1, world["hh1"], NOW - timedelta(hours=1))
    assert a.flags == [] and c.flags == []
    # sent later from the outbox: 200 km away, between the two, an hour from each
    b = rec(h1, world["hh2"], NOW - timedelta(hours=2), lat=30.301 + 1.8)
    assert "impossible_travel" in b.flags
    assert "impossible_travel" in a.flags and "impossible_travel" in c.flags


def test_a_hundred_km_in_an_hour_is_possible(ctx, world):
    h1 = db.session.get(User, world["h1"])
    rec(h1, world["hh1"], NOW - timedelta(hours=3))
    b = rec(h1, world["hh2"], NOW - timedelta(hours=2), lat=30.301 + 0.9)
    assert "impossible_travel" not in b.flags


def test_gps_uncertainty_is_not_travel(ctx, world):
    h1 = db.session.get(User, world["h1"])
    rec(h1, world["hh1"], NOW - timedelta(minutes=2), acc=150)
    # 250 m apart one minute later, but each fix is ±150 m: could be the same place
    b = rec(h1, world["hh2"], NOW - timedelta(minutes=1), lat=30.301 + 0.00225, acc=150)
    assert "impossible_travel" not in b.flags


def test_same_minute_different_villages_is_impossible(ctx, world):
    h1 = db.session.get(User, world["h1"])
    at = NOW - timedelta(hours=1)
    rec(h1, world["hh1"], at)
    b = rec(h1, world["hh2"], at, lat=30.35)
    assert "impossible_travel" in b.flags


def test_other_helpers_visits_do_not_count_for_travel(ctx, world):
    h1 = db.session.get(User, world["h1"])
    h3 = db.session.get(User, world["h3"])
    at = NOW - timedelta(hours=1)
    rec(h1, world["hh1"], at)
    b = rec(h3, world["hh4"], at + timedelta(minutes=1), lat=30.401, lng=109.601)
    assert b.flags == []


def test_badges_list_flags_then_the_offline_mark(ctx, world):
    h1 = db.session.get(User, world["h1"])
    v = rec(h1, world["hh1"], NOW - timedelta(days=4), lat=30.4, acc=500)
    badges = visits.badges(v, app_rules.visits())
    assert [code for code, _, _ in badges] == ["outside_geofence", "poor_accuracy", "late_entry", "offline"]
    assert visits.flag_labels(v) == ["超出范围", "定位不准", "补录超时"]
    assert db.session.get(Visit, v.id).flags == ["outside_geofence", "poor_accuracy", "late_entry"]


def test_content_hash_ignores_order_and_offset(ctx, world):
    body = visit_body(world["hh1"], measures_done=[3, 1, 2])
    a = VisitIn().load(body)
    b = VisitIn().load({**body, "measures_done": [2, 3, 1],
                        "checked_in_at": datetime.fromisoformat(body["checked_in_at"]).astimezone(timezone.utc).isoformat()})
    assert visits.content_hash(a) == visits.content_hash(b)
    c = VisitIn().load({**body, "accuracy_m": 13})
    assert visits.content_hash(a) != visits.content_hash(c)

"""Offline, a visit's thumbnail shows a placeholder instead of a broken image."""
from datetime import timedelta

from tests.support import factories
from tests.support.factories import PASSWORD
from webapp.extensions import db
from webapp.services.calendar import now_utc

from .conftest import login
from .test_offline import go_offline, go_online, poll, ready_offline


def test_thumbnails_offline_show_a_placeholder(app, world, phone):
    with app.app_context():
        v = factories.visit_row(world["h1"], world["hh1"], now_utc() - timedelta(hours=3), notes="送去春耕化肥。")
        factories.photo_row(v, seed=5)
        db.session.commit()
    login(phone, "h1", PASSWORD)
    phone.goto(f"/households/{world['hh1']}")
    ready_offline(phone, world["hh1"])
    thumb = "document.querySelector('.thumbs img')"
    phone.evaluate(f"{thumb}.scrollIntoView()")
    assert poll(phone, f"{thumb}.complete && {thumb}.naturalWidth") == 320  # the real thumbnail online
    go_offline(phone.context)
    try:
        phone.reload()
        phone.evaluate(f"{thumb}.scrollIntoView()")
        assert poll(phone, f"{thumb}.complete && {thumb}.naturalWidth") == 160  # the placeholder, not broken
    finally:
        go_online(phone.context)

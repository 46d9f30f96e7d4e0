"""The visit form on a phone when the helper's daily cap is reached: the server's
Chinese message is shown, the form stays, nothing is stored or left queued."""
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.support import factories as f
from tests.support.factories import PASSWORD
from webapp.extensions import db
from webapp.models import Visit

from .conftest import login


def test_the_form_shows_the_daily_cap_message(app, world, phone):
    app.config["VISIT_DAILY_MAX"] = 1
    with app.app_context():
        f.visit_row(world["h1"], world["hh2"], datetime.now(timezone(timedelta(hours=8))) - timedelta(minutes=1))
        db.session.commit()
    login(phone, "h1", PASSWORD)
    phone.goto(f"/households/{world['hh1']}/visits/new")
    phone.wait_for_selector("#geo-status.ok, #geo-status.warn")
    phone.fill("textarea[name=notes]", "入户了解春耕情况，宣传产业补贴政策。")
    phone.click("#save-visit")
    expect(phone.locator("#save-errors")).to_contain_text("每人每天最多 1 次")
    expect(phone.locator("#save-status")).to_contain_text("走访没有保存")
    assert "/visits/new" in phone.url
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 1
    assert phone.evaluate("self.BangfuOutbox.items().then(function (l) { return l.length; })") == 0

"""The first secretary's review queue on a 360×640 phone: a filter, one visit at a time, a decision
that brings the next visit with fresh counts, and 下一条."""
from datetime import timedelta

from playwright.sync_api import expect

from tests.support import factories
from tests.support.factories import PASSWORD
from webapp.extensions import db
from webapp.models import Visit
from webapp.services.calendar import now_utc

from .conftest import login, no_horizontal_scroll


def test_first_secretary_reviews_visits_one_at_a_time(app, world, phone):
    with app.app_context():
        now = now_utc()
        ids = [factories.visit_row(world[h], world[hh], now - timedelta(minutes=m), notes=f"走访记录{n}").id
               for n, h, hh, m in (("甲", "h1", "hh1", 30), ("乙", "h2", "hh3", 20), ("丙", "h1", "hh2", 10))]
        db.session.commit()
    login(phone, "sec1", PASSWORD)
    phone.locator("nav.bottomnav").get_by_role("link", name="走访", exact=True).click()
    phone.locator("#queue-links a[data-filter=pending]").click()
    phone.wait_for_url("**/village/helpers/queue?filter=pending")
    assert phone.title().startswith("审阅走访")
    queue = phone.locator("#queue")
    expect(queue.locator("article.rv-card")).to_have_attribute("data-visit", str(ids[2]))
    assert "走访记录丙" in queue.inner_text() and "第 1 / 3 条" in queue.inner_text()
    assert no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/bangfu-review-queue.png", full_page=True)
    # 退回整改 without a note: the message beside the form, the same visit
    queue.get_by_role("button", name="退回整改").click()
    expect(queue.locator("[role=alert]")).to_contain_text("退回整改时请写明")
    expect(queue.locator("article.rv-card")).to_have_attribute("data-visit", str(ids[2]))
    queue.locator("input[name=comment]").fill("请补充照片")
    queue.get_by_role("button", name="退回整改").click()
    # the next visit, and the counts after the decision
    expect(queue.locator("article.rv-card")).to_have_attribute("data-visit", str(ids[1]))
    expect(queue.locator("[data-count=pending]").first).to_have_text("2")
    expect(queue.locator("[data-count=returned]").first).to_have_text("1")
    phone.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # read down to 下一条
    queue.get_by_role("link", name="下一条").click()
    expect(queue.locator("article.rv-card")).to_have_attribute("data-visit", str(ids[0]))
    # shown from its top (the page stayed scrolled down: the next visit's end, its notes above the screen)
    bar = phone.locator(".topbar").bounding_box()
    assert bar["y"] + bar["height"] <= queue.locator(".rq-pos").bounding_box()["y"] < 640  # below the sticky bar
    queue.get_by_role("button", name="已阅").click()
    expect(queue.locator(".rq-done")).to_contain_text("这一组已看完")
    expect(queue.locator("[data-count=pending]").first).to_have_text("1")
    assert no_horizontal_scroll(phone)
    with app.app_context():
        assert [db.session.get(Visit, i).review_status for i in ids] == ["reviewed", "pending", "returned"]

"""Performance pages on a 360×640 phone: the helper's month, the office's ranking with an htmx filter,
closing the month and a spot-check draw."""

import time

from playwright.sync_api import expect

from tests.support import perf_factories
from tests.support.factories import PASSWORD
from webapp.extensions import db

from .conftest import login, no_horizontal_scroll

MARCH = "2026-03"


def _march(app, world):
    with app.app_context():
        perf_factories.march(world)
        db.session.commit()


def test_helper_reads_why_the_month_scored_so(app, world, phone):
    _march(app, world)
    login(phone, "h1", PASSWORD)
    phone.click("nav.bottomnav >> text=考核")
    phone.fill("input[name=month]", MARCH)
    phone.click("form >> text=查看")
    phone.wait_for_url(f"**/performance/me?month={MARCH}")
    text = phone.locator("main").inner_text()
    assert "本月还有 1 户未走访 (−25)" in text and "通报批评候选" in text
    assert phone.locator(".perf-num").inner_text() == "65"
    assert no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/bangfu-performance-helper.png", full_page=True)


def test_office_filters_the_ranking_closes_the_month_and_draws_a_spot_check(app, world, phone):
    _march(app, world)
    login(phone, "admin", PASSWORD)
    phone.goto(f"/performance/unit?month={MARCH}")
    cards = phone.locator(".perf-ranked")
    assert cards.count() == 3
    assert "帮扶二" in cards.first.inner_text()  # ranked first: 100 points
    assert no_horizontal_scroll(phone)
    phone.select_option("select[name=village_id]", str(world["v2"]))
    phone.click(".perf-filters button[type=submit]")
    expect(cards).to_have_count(1)
    assert "帮扶三" in phone.locator("#ranking").inner_text()
    assert f"village_id={world['v2']}" in phone.url
    # another month: the whole page follows it (the ranking alone was swapped in: the 关账 card, 当月抽查
    # and the exports stayed on the month before, or were gone)
    phone.fill("input[name=month]", "2026-02")
    phone.click(".perf-filters button[type=submit]")
    phone.wait_for_url("**/performance/unit?month=2026-02*")
    expect(phone.locator("main section.card h2").first).to_have_text("2026-02 关账")
    assert phone.get_by_role("link", name="当月抽查").get_attribute("href").endswith("month=2026-02")
    expect(phone.get_by_role("link", name="导出 CSV")).to_have_count(1)
    phone.goto(f"/performance/unit?month={MARCH}")
    phone.click("text=关账（保存本月结果）")  # asks first
    phone.get_by_role("button", name="确认关账").click()
    phone.wait_for_selector("text=已关账")
    assert phone.locator("text=按现有记录重新计算").count() == 1
    phone.click("text=当月抽查")
    phone.fill("input[name=seed]", "演示种子")
    phone.click("form >> button:has-text('抽取')")
    phone.wait_for_selector("text=用抽签码再抽一遍，结果一致")
    assert no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/bangfu-performance-spot.png", full_page=True)


def test_the_rankings_next_page_opens_at_its_top(app, world, phone, monkeypatch):
    """下一页 at the bottom of the ranking: the next page is shown from its top, below the bar (the
    page stayed where the pager was: 3,000 px down the next 100 helpers on a phone)."""
    _march(app, world)
    monkeypatch.setitem(app.config, "RANKING_PAGE_SIZE", 2)  # two pages: two helpers, then one
    login(phone, "admin", PASSWORD)
    phone.goto(f"/performance/unit?month={MARCH}")
    next_page = phone.locator("#ranking .pager a", has_text="下一页")
    next_page.scroll_into_view_if_needed()
    phone.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    next_page.click()
    expect(phone.locator("#ranking .perf-ranked")).to_have_count(1)
    phone.wait_for_url("**page=2*")
    # htmx scrolls once the swap has settled, a moment after the URL changes: read until it has
    where = "[document.getElementById('ranking').getBoundingClientRect().top, " \
            "document.querySelector('.topbar').getBoundingClientRect().bottom]"
    end = time.time() + 5
    top, bar = phone.evaluate(where)
    while not bar - 2 <= top <= bar + 20 and time.time() < end:
        phone.wait_for_timeout(100)
        top, bar = phone.evaluate(where)
    assert bar - 2 <= top <= bar + 20, (top, bar)  # under the bar (27 px: its first lines hidden) before
    assert no_horizontal_scroll(phone)

"""The office home's month at a glance on a 360×640 phone: the panel shows, and a
figure leads to the page where it is worked on, filtered."""
from playwright.sync_api import expect

from tests.routes.test_month_glance import _township_month
from tests.support.factories import PASSWORD

from .conftest import login, no_horizontal_scroll


def test_the_panel_shows_and_a_figure_opens_the_filtered_queue(app, phone):
    ids = _township_month(app)
    login(phone, "admin", PASSWORD)
    panel = phone.locator("#month-glance")
    expect(panel).to_be_visible()
    expect(panel.locator("#glance-unvisited .glance-n")).to_have_text("4")
    expect(panel.locator("#glance-review .glance-n")).to_have_text("2 / 1")
    expect(panel.locator("#glance-at-risk .glance-n")).to_have_text("3")  # loaded after the page
    expect(panel.locator(".glance-at-risk")).to_contain_text("本月暂计：诫勉谈话")
    assert panel.locator(".glance-at-risk li > a").first.bounding_box()["height"] >= 44  # a helper's name (was 19 px)
    # one badge an action: two rules leading to the same 诫勉谈话 showed two identical badges
    assert panel.locator(".glance-at-risk li").evaluate_all(
        "lis => lis.every(li => { const t = [...li.querySelectorAll('.badge')].map(b => b.textContent);"
        " return t.length === new Set(t).size; })")
    assert panel.locator("#glance-leave").bounding_box()["height"] >= 44
    assert no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/bangfu-month-glance.png", full_page=True)
    # 西村's 待核实 figure: the review queue of 西村, filtered to 待核实, at hh4's flagged visit
    link = panel.locator(f"tr[data-village='{ids['v2']}'] a[data-figure=unverified]")
    assert link.bounding_box()["height"] >= 44 and link.bounding_box()["width"] >= 44  # a one-digit figure was 9 px wide
    link.click()
    phone.wait_for_url(f"**/village/helpers/queue?village_id={ids['v2']}&filter=unverified")
    expect(phone.locator("#queue")).to_contain_text("李四")
    expect(phone.locator("#queue nav a[data-filter=unverified]")).to_have_attribute("aria-current", "true")
    assert no_horizontal_scroll(phone)

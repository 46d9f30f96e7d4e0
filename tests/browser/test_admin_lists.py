"""The office's lists on a 360×640 phone: search the pairings, open one row's 调整 form and change
the helper; search the accounts with 新建账号 at the top."""
from playwright.sync_api import expect

from tests.support.factories import PASSWORD
from webapp.extensions import db
from webapp.models import Household

from .conftest import login, no_horizontal_scroll


def test_office_searches_pairings_and_changes_one(app, world, phone):
    login(phone, "admin", PASSWORD)
    phone.locator("nav.bottomnav").get_by_role("link", name="结对", exact=True).click()
    phone.wait_for_url("**/admin/pairings")
    assert phone.title().startswith("结对")
    rows = phone.locator("#pairings .pairing")
    expect(rows).to_have_count(6)
    phone.fill("input[name=q]", "王六")
    phone.locator("form.list-search button[type=submit]").click()
    expect(rows).to_have_count(1)  # swapped in by htmx
    assert "q=" in phone.url
    rows.first.get_by_role("link", name="调整").click()
    form = phone.locator(f"form#pairing-{world['hh6']}")
    form.locator("select[name=helper_id]").select_option(str(world["h2"]))
    form.locator("input[name=reason]").fill("就近帮扶")
    assert no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/bangfu-pairings.png", full_page=True)
    form.get_by_role("button", name="调整").click()
    phone.wait_for_url(f"**/households/{world['hh6']}")
    with app.app_context():
        hh = db.session.get(Household, world["hh6"])
        assert [p.helper_id for p in hh.pairings if p.end_date is None] == [world["h2"]]


def test_office_searches_accounts(app, world, phone):
    login(phone, "admin", PASSWORD)
    phone.goto("/admin/users")
    assert phone.locator("#new-user summary").bounding_box()["y"] < 640  # 新建账号 on the first screen
    assert phone.locator("#new-user summary").bounding_box()["height"] >= 44  # a tap target (it was 24 px)
    # 停用 stays on one line: beside the demo's longer names its column was narrow enough to wrap it
    # to a character a line (these rows' short names leave it room, so the style is what is checked)
    deactivate = phone.locator("#people summary.button").first
    assert deactivate.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
    assert deactivate.bounding_box()["height"] < 50
    phone.fill("input[name=q]", "书记")
    phone.locator("form.list-search button[type=submit]").click()
    expect(phone.locator("#people tbody tr")).to_have_count(2)
    assert "书记一" in phone.locator("#people").inner_text()
    assert no_horizontal_scroll(phone)

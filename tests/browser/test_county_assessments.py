"""The county and the office's own assessments on a 360×640 phone: the county approves a pairing change and reads a township;
the office's village ranking, on-site assessment and work teams."""
from playwright.sync_api import expect

from tests.support import factories
from tests.support.factories import PASSWORD
from webapp.extensions import db
from webapp.models import PairingChange

from .conftest import login, no_horizontal_scroll


def _world(app) -> dict:
    with app.app_context():
        w = factories.counties(factories.second_unit(factories.world()))
        o = w.objects
        o["county"].display_name = "县扶贫攻坚指挥部 田科长"  # as the demo names it: the topbar's longest name
        db.session.add(PairingChange(unit_id=o["unit"].id, household_id=o["hh3"].id, from_helper_id=o["h2"].id,
                                     to_helper_id=o["h1"].id, reason="帮扶二调往县城", proposed_by_id=o["admin"].id))
        db.session.commit()
        ids = w.ids()
        db.session.remove()
    return ids


def test_county_approves_a_pairing_change_and_reads_a_township(app, phone):
    ids = _world(app)
    login(phone, "county", PASSWORD)
    phone.wait_for_url("**/county/")
    assert "帮扶二调往县城" in phone.locator("main").inner_text() and no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/bangfu-county.png", full_page=True)
    # the long name beside a short title is shown whole (it was cut at 40% of the bar)
    assert phone.evaluate("(w => w.scrollWidth <= w.clientWidth)(document.querySelector('.topbar .who'))")
    phone.click(".pairing-change >> button:has-text('同意')")
    expect(phone.locator(".pairing-change")).to_contain_text("县已同意")
    phone.click("text=测试乡")
    phone.wait_for_url(f"**/county/units/{ids['unit']}")
    assert "帮扶考核排名" in phone.locator("main").inner_text() and no_horizontal_scroll(phone)
    phone.click("text=村级考核排名")
    phone.wait_for_selector(".village-year")
    assert no_horizontal_scroll(phone)


def test_office_assessment_pages_fit_a_phone(app, phone):
    _world(app)
    login(phone, "admin", PASSWORD)
    phone.goto("/assessments/villages")
    phone.locator(".village-year").first.locator("input[name=score]").fill("91")
    phone.locator(".village-year").first.locator("button:has-text('录入')").click()
    phone.wait_for_selector("text=年终考核 91")
    assert no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/bangfu-villages.png", full_page=True)
    phone.goto("/assessments/onsite?quarter=2026-Q1")
    card = phone.locator(".onsite-helper", has_text="帮扶一")
    card.locator("select[name=satisfaction]").select_option("满意")
    card.locator("button:has-text('登记')").click()
    expect(phone.locator(".onsite-helper", has_text="帮扶一")).to_contain_text("满意度 满意")
    assert no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/bangfu-onsite.png", full_page=True)
    phone.goto("/assessments/teams")
    assert "少于 3 人" in phone.locator("main").inner_text() and no_horizontal_scroll(phone)

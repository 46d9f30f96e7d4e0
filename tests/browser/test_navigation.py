"""Getting around on a 360×640 phone with no browser back button (issue 16): back links, tab
titles, the diary one tap from 本月."""
from tests.factories import PASSWORD

from .conftest import login, no_horizontal_scroll


def test_back_links_and_titles(app, world, phone):
    login(phone, "h1", PASSWORD)
    assert phone.locator("header.topbar a.back").count() == 0  # a bottom-bar page
    phone.locator("a", has_text="张一").first.click()
    phone.wait_for_url(f"**/households/{world['hh1']}")
    assert phone.title() == "张一户 · 帮扶通"
    phone.locator("header.topbar a.back").click()
    phone.wait_for_url("**/")
    phone.goto("/reports/")
    phone.locator("header.topbar a.back").click()
    phone.wait_for_url("**/account")
    phone.locator("nav.bottomnav").get_by_role("link", name="本月", exact=True).click()
    phone.wait_for_url("**/visits/month")
    diary = phone.locator(".diary-links a").first
    assert diary.bounding_box()["y"] < 640  # on the first screen: one tap
    assert diary.get_attribute("href").startswith(f"/reports/diary/{world['h1']}/")
    assert no_horizontal_scroll(phone)

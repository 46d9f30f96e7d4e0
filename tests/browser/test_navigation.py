"""Getting around on a 360×640 phone with no browser back button: back links, tab
titles, the diary one tap from 本月."""
from tests.support.factories import PASSWORD

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


def test_the_household_page_links_to_navigation(app, world, phone):
    from webapp.services import geo

    login(phone, "h1", PASSWORD)
    phone.goto(f"/households/{world['hh1']}")
    links = phone.locator(".map-links a")
    assert links.all_inner_texts() == ["手机地图", "高德地图", "百度地图"]
    assert phone.locator("[data-map=geo]").get_attribute("href").startswith("geo:30.301000,109.501000?q=")
    glat, glng = geo.wgs84_to_gcj02(30.301, 109.501)
    assert f"position={glng:.6f}%2C{glat:.6f}" in phone.locator("[data-map=amap]").get_attribute("href")
    blat, blng = geo.wgs84_to_bd09(30.301, 109.501)
    assert f"location={blat:.6f}%2C{blng:.6f}" in phone.locator("[data-map=baidu]").get_attribute("href")
    box = links.first.bounding_box()
    assert box["height"] >= 44 and no_horizontal_scroll(phone)


def test_the_visit_form_offers_camera_and_gallery(app, world, phone):
    login(phone, "h1", PASSWORD)
    phone.goto(f"/households/{world['hh1']}/visits/new")
    camera, gallery = phone.locator("label.photo-pick").all()
    assert camera.inner_text().strip() == "拍照" and gallery.inner_text().strip() == "从相册选择"
    assert phone.locator("#photo-camera").get_attribute("capture") == "environment"
    assert phone.locator("#photo-camera").get_attribute("multiple") is None
    assert phone.locator("#photo-input").get_attribute("multiple") is not None
    assert phone.locator("#photo-input").get_attribute("capture") is None
    a, b = camera.bounding_box(), gallery.bounding_box()
    assert a["y"] == b["y"] and a["height"] >= 44 and no_horizontal_scroll(phone)

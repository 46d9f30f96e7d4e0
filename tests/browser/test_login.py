from tests.support.factories import PASSWORD

from .conftest import login, no_horizontal_scroll


def test_helper_logs_in_on_a_phone_and_sees_households(world, phone):
    login(phone, "h1", PASSWORD)
    assert phone.locator("h1").inner_text() == "我的帮扶户"
    rows = phone.locator("a.household")
    assert rows.count() == 2
    assert "张一" in phone.locator("#households").inner_text()
    assert "李四" not in phone.locator("#households").inner_text()
    assert no_horizontal_scroll(phone)
    box = rows.first.bounding_box()
    assert box["height"] >= 44
    phone.screenshot(path="/tmp/bangfu-helper-home.png")


def test_wrong_password_shows_a_chinese_message(world, phone):
    login(phone, "h1", "wrong-password")
    assert "用户名或密码错误" in phone.locator("[role=alert]").inner_text()


def test_every_role_has_a_one_line_bottom_bar_and_more_on_the_account_page(world, phone):
    for username in ("h1", "team1", "sec1", "admin"):
        login(phone, username, PASSWORD)
        nav = phone.locator("nav.bottomnav")
        assert nav.bounding_box()["height"] <= 64, username
        tops = {round(a.bounding_box()["y"]) for a in nav.locator("a").all()}
        assert len(tops) == 1, f"{username}: the bottom bar wraps"
        assert no_horizontal_scroll(phone), username
        nav.get_by_role("link", name="我的", exact=True).click()
        more = phone.locator("nav.more a")
        assert more.count() >= 1, username
        for link in more.all():
            assert link.bounding_box()["height"] >= 44
        phone.locator("button[data-logout]").click()
        phone.wait_for_url("**/login**")

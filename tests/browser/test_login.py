from tests.factories import PASSWORD

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

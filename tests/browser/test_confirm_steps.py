"""Each costly action asks first on a 360×640 phone, and the spot-check form's error is inline:
停用, re-drawing a spot check, closing and reopening a month, cancelling a print job."""
from playwright.sync_api import expect

from tests.support import perf_factories
from tests.support.factories import PASSWORD, diary_batch
from webapp.extensions import db
from webapp.models import PrintJob, SpotCheckDraw, User

from .conftest import login, no_horizontal_scroll

MARCH = "2026-03"


def test_deactivating_an_account_asks_first(app, world, phone):
    login(phone, "admin", PASSWORD)
    phone.goto("/admin/users?q=h1")
    step = phone.locator(f"#deactivate-{world['h1']}")
    confirm = step.get_by_role("button", name="确认停用")
    expect(confirm).to_be_hidden()
    name_width = phone.locator("table.grid tbody tr td").first.bounding_box()["width"]
    step.locator("summary").click()
    expect(step).to_contain_text("停用后 帮扶一 不能再登录")
    assert no_horizontal_scroll(phone)
    # the question opens over the rows, the table's columns stay as they were (it squeezed them to a character)
    assert phone.locator("table.grid tbody tr td").first.bounding_box()["width"] == name_width
    ask = step.locator(".confirm-ask").bounding_box()
    assert ask["x"] >= 0 and ask["x"] + ask["width"] <= 360
    phone.screenshot(path="/tmp/bangfu-deactivate-ask.png")
    confirm.click()
    phone.wait_for_url("**/admin/users")
    with app.app_context():
        assert db.session.get(User, world["h1"]).active is False


def test_redraw_close_and_reopen_ask_first_and_the_spot_check_error_is_inline(app, world, phone):
    with app.app_context():
        perf_factories.march(world)
        db.session.commit()
    login(phone, "admin", PASSWORD)
    phone.goto(f"/performance/spot-checks?month={MARCH}")
    phone.get_by_role("button", name="抽取").click()
    phone.wait_for_selector("text=用抽签码再抽一遍，结果一致")
    # 基本符合 without a note: the message beside the form, the choice kept
    item = phone.locator("form[id^=item-]").first
    item.get_by_role("radio", name="基本符合").check()
    item.get_by_role("button", name="保存").click()
    item = phone.locator("form[id^=item-]").first
    expect(item.locator("[role=alert]")).to_have_text("选“基本符合”时，请在说明中写明与记录不一致之处。")
    expect(item.get_by_role("radio", name="基本符合")).to_be_checked()
    assert "出错了" not in phone.locator("main").inner_text()
    assert no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/bangfu-spot-inline.png", full_page=True)
    # re-draw: the first tap asks, the second replaces
    redraw = phone.locator("#confirm-redraw")
    redraw.locator("summary").click()
    expect(redraw).to_contain_text("重新抽取会换一批人")
    redraw.get_by_role("button", name="确认重新抽取").click()
    phone.wait_for_selector("text=历史抽样")
    with app.app_context():
        assert db.session.query(SpotCheckDraw).filter_by(superseded=True).count() == 1
    # close, then reopen with a reason
    phone.goto(f"/performance/unit?month={MARCH}")
    phone.locator("#confirm-close summary").click()
    phone.get_by_role("button", name="确认关账").click()
    phone.wait_for_selector("text=已关账")
    reopen = phone.locator("#confirm-reopen")
    expect(reopen.get_by_role("button", name="确认重新打开")).to_be_hidden()
    reopen.locator("summary").click()
    reopen.locator("input[name=reason]").fill("补录三月走访")
    reopen.get_by_role("button", name="确认重新打开").click()
    phone.wait_for_selector("text=未关账")
    assert no_horizontal_scroll(phone)


def test_cancelling_a_print_job_asks_first(app, world, phone):
    job_id = diary_batch(app, world["admin"], MARCH)
    login(phone, "admin", PASSWORD)
    phone.goto("/reports/")
    step = phone.locator(f"#cancel-job-{job_id}")
    step.locator("summary").click()
    phone.wait_for_timeout(2500)  # the list refreshes every 2 s: the open question stays open
    expect(step.get_by_role("button", name="确认取消")).to_be_visible()
    step.get_by_role("button", name="确认取消").click()
    expect(phone.locator("#print-jobs")).to_contain_text("已取消")
    assert no_horizontal_scroll(phone)
    with app.app_context():
        assert db.session.get(PrintJob, job_id).status == "cancelled"

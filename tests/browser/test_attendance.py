"""On a 360×640 phone: a team member checks in and asks for leave; the first secretary approves it
and reads the month table and the member's calendar."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support.factories import PASSWORD
from webapp.extensions import db
from webapp.models import Checkin, Leave, User

from .conftest import login, no_horizontal_scroll

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1200, 900), (120, 160, 90)).save(buf, "PNG")
    return buf.getvalue()


def _second_phone(browser, live_server):
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True, has_touch=True,
        locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server,
    )
    context.set_default_timeout(10000)
    return context


def test_team_member_checks_in_and_first_secretary_approves_leave(app, world, phone, browser, live_server):
    today = datetime.now(SHANGHAI).date()
    with app.app_context():  # posted since the start of the month, so the calendar has a history
        team1 = db.session.get(User, world["team1"])
        team1.created_at = datetime(today.year, today.month, 1, tzinfo=SHANGHAI)
        db.session.commit()

    # the team member, on the phone, at the village (geolocation emulated near 东村's centre)
    login(phone, "team1", PASSWORD)
    phone.locator("nav.bottomnav").get_by_role("link", name="签到", exact=True).click()
    phone.wait_for_url("**/attendance/")
    assert phone.locator("h1").inner_text() == "驻村签到"
    pick = phone.locator("label.photo-pick", has_text="拍照")  # the app's own button, not the bare file picker
    assert pick.is_visible() and pick.bounding_box()["height"] >= 44
    phone.set_input_files("#checkin-photo", files=[{"name": "cun.png", "mimeType": "image/png", "buffer": _png()}])
    assert "已选一张照片" in phone.locator("#checkin-photo-status").inner_text()
    button = phone.locator("#checkin-button")
    assert button.bounding_box()["height"] >= 44
    button.click()
    phone.locator("#checkin-result").get_by_text("签到成功").wait_for()
    assert "距村中心" in phone.locator("#checkin-result").inner_text()
    phone.locator("#checkin-result").get_by_text("照片已上传").wait_for()
    assert phone.locator("#checkin-photo-status").inner_text() == ""  # sent: nothing chosen any more
    phone.wait_for_function(  # the thumbnail is served (through the access-checked route) and decodes
        "() => { const i = document.querySelector('#today .att-photo img'); return i && i.complete && i.naturalWidth > 0; }")
    assert "在村" in phone.locator("#today").inner_text()
    assert no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/bangfu-checkin.png")
    with app.app_context():
        stored = db.session.scalars(db.select(Checkin)).all()
        assert len(stored) == 1 and stored[0].within_geofence and stored[0].user_id == world["team1"]
        assert stored[0].photo_key

    # ... and asks for a day of leave next week
    start = today + timedelta(days=7)
    phone.locator("nav.bottomnav").get_by_role("link", name="请假", exact=True).click()
    phone.wait_for_url("**/attendance/leave")
    phone.get_by_label("病假").check()
    phone.fill("input[name=start_date]", start.isoformat())
    phone.fill("input[name=end_date]", start.isoformat())
    phone.fill("textarea[name=reason]", "去县医院复查")
    phone.get_by_role("button", name="提交请假").click()
    phone.get_by_text("已提交，等待审批").wait_for()
    assert "待审批" in phone.locator(".att-leaves").inner_text()
    assert no_horizontal_scroll(phone)

    # the first secretary, on another phone
    context = _second_phone(browser, live_server)
    sec = context.new_page()
    login(sec, "sec1", PASSWORD)
    sec.goto("/attendance/approvals")
    item = sec.locator("#pending-leaves li").first
    assert "去县医院复查" in item.inner_text() and "队员一" in item.inner_text()
    item.locator("input[name=comment]").fill("好好休息")
    item.get_by_role("button", name="批准", exact=True).click()
    sec.locator("#pending-leaves li[data-status=approved]").wait_for()
    assert "好好休息" in sec.locator("#pending-leaves").inner_text()
    assert no_horizontal_scroll(sec)
    with app.app_context():
        lv = db.session.scalars(db.select(Leave)).one()
        assert (lv.status, lv.approver_id, lv.comment) == ("approved", world["sec1"], "好好休息")

    # the month table
    sec.locator("nav.bottomnav").get_by_role("link", name="考勤", exact=True).click()
    sec.wait_for_url("**/village/team")
    row = sec.locator("tr[data-username=team1]")
    assert row.locator("td[data-col=days_in_village]").inner_text() == "1"
    assert row.locator("td[data-col=checkins]").inner_text().startswith("1")
    assert sec.locator("tr[data-username=sec1]").count() == 1
    assert no_horizontal_scroll(sec)
    sec.screenshot(path="/tmp/bangfu-team-month.png", full_page=True)
    sec.get_by_role("link", name="按季度").click()
    sec.locator("#team h2", has_text="季度").wait_for()
    assert no_horizontal_scroll(sec)

    # the calendar of the member
    sec.get_by_role("link", name="按月").click()
    sec.locator("#team h2", has_text="月").wait_for()
    sec.locator("tr[data-username=team1] th a").click()
    sec.wait_for_url("**/calendar**")
    cell = sec.locator(f"td[data-date='{today.isoformat()}']")
    assert cell.get_attribute("data-status") == "in"
    assert cell.bounding_box()["width"] >= 40
    assert no_horizontal_scroll(sec)
    sec.screenshot(path="/tmp/bangfu-calendar.png", full_page=True)
    if start.month == today.month:
        assert sec.locator(f"td[data-date='{start.isoformat()}']").get_attribute("data-status") in ("leave", "rest")


def test_first_secretary_sends_a_flagged_visit_back(app, world, phone):
    import uuid

    from webapp.models import Visit
    from webapp.services.calendar import now_utc

    with app.app_context():
        v = Visit(client_uuid=str(uuid.uuid4()), household_id=world["hh3"], helper_id=world["h2"],
                  checked_in_at=now_utc() - timedelta(hours=2), latitude=30.35, longitude=109.5, accuracy_m=12,
                  distance_m=5300, within_geofence=False, notes="了解生产生活情况", flags=["outside_geofence"],
                  content_hash="0" * 64)
        db.session.add(v)
        db.session.commit()
        visit_id = v.id
    login(phone, "sec1", PASSWORD)
    phone.locator("nav.bottomnav").get_by_role("link", name="走访", exact=True).click()
    phone.wait_for_url("**/village/helpers")
    card = phone.locator(f"#flagged article[data-visit='{visit_id}']")
    assert "超出范围" in card.inner_text()
    card.locator("summary", has_text="审阅").click()
    card.locator("input[name=comment]").fill("定位离这户 5 公里，请说明")
    card.get_by_role("button", name="退回整改").click()
    phone.locator(f"#flagged article[data-visit='{visit_id}'][data-review='returned']").wait_for()
    assert "定位离这户 5 公里，请说明" in phone.locator(f"#flagged article[data-visit='{visit_id}']").inner_text()
    assert no_horizontal_scroll(phone)
    with app.app_context():
        assert db.session.get(Visit, visit_id).review_status == "returned"


def test_first_secretary_reads_why_and_accepts_a_flagged_visit(app, world, phone):
    """Under the badge, why it was flagged; 待核实 until accepted with a note (360 px)."""
    import uuid

    from webapp.models import Visit
    from webapp.services.calendar import now_utc

    with app.app_context():
        v = Visit(client_uuid=str(uuid.uuid4()), household_id=world["hh3"], helper_id=world["h2"],
                  checked_in_at=now_utc() - timedelta(hours=2), latitude=30.35, longitude=109.5, accuracy_m=12,
                  distance_m=5300, within_geofence=False, notes="了解生产生活情况", flags=["outside_geofence"],
                  flag_details={"outside_geofence": {"distance_m": 5300, "radius_m": 300}}, content_hash="0" * 64)
        db.session.add(v)
        db.session.commit()
        visit_id = v.id
    login(phone, "sec1", PASSWORD)
    phone.goto(phone.url.split("/", 3)[0] + "//" + phone.url.split("/", 3)[2] + "/village/helpers")
    card = phone.locator(f"#flagged article[data-visit='{visit_id}']")
    assert "距这户 5300 米，超出 300 米范围" in card.inner_text() and "待核实" in card.inner_text()
    card.locator("summary", has_text="核实异常").click()
    card.locator("input[name=note]").fill("已电话联系户主，确认在田间走访")
    card.get_by_role("button", name="已核实").click()
    phone.locator(f"#flagged article[data-visit='{visit_id}'] [data-verification='verified']").wait_for()
    assert "已电话联系户主，确认在田间走访" in phone.locator(f"#flagged article[data-visit='{visit_id}']").inner_text()
    assert no_horizontal_scroll(phone)
    with app.app_context():
        assert db.session.get(Visit, visit_id).verified_at is not None


def test_the_leave_forms_drop_downs_show_their_whole_text(world, phone):
    """The half-day drop-downs ("上午（全天）" was cut in the .att-dates grid at 360 px): each select's text fits, both
    before and after choosing the other option, and the page does not scroll sideways."""
    login(phone, "team1", PASSWORD)
    phone.goto("/attendance/leave")
    selects = phone.locator(".att-dates select")
    assert selects.count() == 2
    # a select's scrollWidth does not grow when its text is cut: also lay out a copy at its natural
    # width (widest option + arrow + padding) and compare it with the width the grid gives it
    fits = """el => {
        const copy = el.cloneNode(true);
        copy.style.width = "auto"; copy.style.position = "absolute"; copy.style.visibility = "hidden";
        el.parentNode.appendChild(copy);
        const natural = copy.getBoundingClientRect().width;
        copy.remove();
        const box = el.getBoundingClientRect();
        return el.scrollWidth <= el.clientWidth && natural <= box.width + 0.5 && box.right <= window.innerWidth;
    }"""
    for value in ("0", "1"):
        for i in range(2):
            selects.nth(i).select_option(value)
            assert selects.nth(i).evaluate(fits), (i, value, selects.nth(i).evaluate("el => el.clientWidth"))
    dates = phone.locator(".att-dates input[type=date]")
    for i in range(2):  # the date beside it still has room for a whole date
        dates.nth(i).fill("2026-12-31")
        assert dates.nth(i).evaluate("el => el.scrollWidth <= el.clientWidth")
    assert no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/bangfu-leave-form.png")

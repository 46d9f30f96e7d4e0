"""A helper records a visit on a 360×640 phone: position, two photos, a measure, the history."""
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.support.factories import PASSWORD
from tests.support.visit_data import jpeg
from webapp.extensions import db
from webapp.models import Measure, Photo, Visit

from .conftest import login, no_horizontal_scroll


def _photos(tmp_path, n=2):
    paths = []
    for i in range(n):
        p = tmp_path / f"IMG_{i:04d}.jpg"
        p.write_bytes(jpeg(seed=40 + i, size=(2400, 1800)))
        paths.append(str(p))
    return paths


def _measure(app, household_id, title="发放鸡苗 50 只"):
    with app.app_context():
        m = Measure(household_id=household_id, category="产业", title=title, status="planned")
        db.session.add(m)
        db.session.commit()
        return m.id


def _fill_and_save(page, photos, notes="入户了解春耕情况，宣传产业补贴政策。"):
    page.wait_for_selector("#geo-status.ok, #geo-status.warn")
    if photos:
        page.set_input_files("#photo-input", photos)
        expect(page.locator("#photo-list li.photo")).to_have_count(len(photos))
    page.fill("textarea[name=notes]", notes)
    page.check("input[name=check_food][value=yes]")
    page.check("input[name=check_water][value=no]")
    page.fill("input[name=checknote_water]", "雨季水浑")
    page.click("#save-visit")


def test_helper_checks_in_with_two_photos_and_a_measure(app, world, phone, tmp_path):
    mid = _measure(app, world["hh1"])
    login(phone, "h1", PASSWORD)
    phone.click("a.household:has-text('张一')")
    phone.click("text=签到走访")
    phone.wait_for_selector("#geo-status.ok")
    assert "±15 米" in phone.inner_text("#geo-accuracy")
    assert "在 300 米范围内" in phone.inner_text("#geo-distance")
    assert no_horizontal_scroll(phone)
    phone.check(f"input[name=measures_done][value='{mid}']")
    _fill_and_save(phone, _photos(tmp_path))
    phone.wait_for_url(f"**/households/{world['hh1']}")

    history = phone.locator("#visit-history li.visit")
    assert history.count() == 1
    thumbs = history.first.locator(".thumbs img")
    assert thumbs.count() == 2
    for i in range(2):  # the images really load (an authenticated route, not a static file)
        expect(thumbs.nth(i)).to_have_js_property("complete", True)
        assert thumbs.nth(i).evaluate("i => i.naturalWidth") > 0
    assert history.first.locator(".badge[data-flag]").count() == 0
    assert "已完成" in phone.inner_text(f"#measure-{mid}")
    assert no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/bangfu-visit-history.png", full_page=True)

    with app.app_context():
        v = db.session.scalar(select(Visit))
        assert v.notes.startswith("入户了解春耕")
        assert v.checklist["water"] == {"ok": False, "note": "雨季水浑"}
        assert v.within_geofence is True
        photos = db.session.scalars(select(Photo)).all()
        assert len(photos) == 2
        # downsized on the phone: long edge 1600, and the capture time came separately
        assert all(max(p.width, p.height) == 1600 for p in photos)
        assert all(p.captured_at is not None for p in photos)
        assert db.session.get(Measure, mid).done_visit_id == v.id


def test_a_visit_5_km_away_shows_the_geofence_flag(app, world, phone):
    phone.context.set_geolocation({"latitude": 30.301 + 0.045, "longitude": 109.501, "accuracy": 20})
    login(phone, "h1", PASSWORD)
    phone.goto(f"/households/{world['hh1']}/visits/new")
    phone.wait_for_selector("#geo-status.warn")
    assert "超出 300 米范围" in phone.inner_text("#geo-distance")
    _fill_and_save(phone, [])
    # outside the range: saving asks for a confirmation and a reason first
    expect(phone.locator("#confirm-step")).to_be_visible()
    phone.fill("textarea[name=reason]", "户主在外务工，在田间地头走访")
    phone.click("#confirm-save")
    phone.wait_for_url(f"**/households/{world['hh1']}")
    badge = phone.locator("#visit-history li.visit .badge[data-flag=outside_geofence]")
    assert badge.inner_text() == "超出范围"
    with app.app_context():
        assert db.session.scalar(select(Visit.flags)) == ["outside_geofence"]


def test_denied_location_permission_says_what_to_do(app, world, browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", base_url=live_server)
    page = context.new_page()
    login(page, "h1", PASSWORD)
    page.goto(f"/households/{world['hh1']}/visits/new")
    page.wait_for_selector("#geo-status.error")
    assert "拒绝了定位权限" in page.inner_text("#geo-status")
    page.fill("textarea[name=notes]", "没有定位也想保存试试。")
    page.click("#save-visit")
    assert "还没有定位成功" in page.inner_text("#save-errors")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_a_server_refusal_is_shown_by_the_field(app, world, phone):
    login(phone, "h1", PASSWORD)
    phone.goto(f"/households/{world['hh1']}/visits/new")
    phone.wait_for_selector("#geo-status.ok")
    # the household is re-paired while the form is open
    with app.app_context():
        from webapp.models import Pairing

        for p in db.session.scalars(select(Pairing).where(Pairing.household_id == world["hh1"])):
            p.end_date = p.start_date
        db.session.commit()
    _fill_and_save(phone, [])
    phone.wait_for_selector("#save-errors:not([hidden])")
    assert "不是您当前结对的帮扶户" in phone.inner_text("#save-errors")

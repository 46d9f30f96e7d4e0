"""The print page in Chromium at 360×640: downloads with readable names, htmx batch form and polling."""
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tests.browser.conftest import login, no_horizontal_scroll
from tests.support import factories as f
from webapp.extensions import db
from webapp.models import PrintJob
from webapp.services import storage

CST = timezone(timedelta(hours=8))


def test_helper_downloads_the_diary_with_its_chinese_name(app, world, phone):
    with app.app_context():
        f.visit_row(world["h1"], world["hh1"], datetime(2026, 3, 5, 10, tzinfo=CST), notes="浏览器测试走访")
        db.session.commit()
    login(phone, "h1", f.PASSWORD)
    phone.goto("/reports/?month=2026-03")
    assert no_horizontal_scroll(phone)
    with phone.expect_download() as info:
        phone.click(f"a[href='/reports/diary/{world['h1']}/2026-03.pdf']")
    download = info.value
    assert download.suggested_filename == "帮扶日志-帮扶一-2026-03.pdf"
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"


def test_admin_sees_progress_by_polling_and_starts_a_batch(app, world, phone):
    with app.app_context():
        f.visit_row(world["h1"], world["hh1"], datetime(2026, 3, 5, 10, tzinfo=CST))
        db.session.commit()
    job_id = f.diary_batch(app, world["admin"], "2026-03", "running", done=1)
    app.config["PDF_WORKERS"] = 1
    login(phone, "admin", f.PASSWORD)
    phone.goto("/reports/?month=2026-03")
    assert no_horizontal_scroll(phone)
    progress = phone.locator("#print-jobs progress")
    assert progress.get_attribute("value") == "1" and progress.get_attribute("max") == "3"

    # the job finishes in the background: the polled list shows the download link without a reload
    with app.app_context():
        key = storage.new_key("prints", "ab" * 16, "pdf")
        storage.get().put(key, b"%PDF-1.7 stand-in")
        row = db.session.get(PrintJob, job_id)
        row.status, row.done, row.result_key = "done", 3, key
        row.finished_at = datetime.now(timezone.utc)
        row.expires_at = row.finished_at + timedelta(hours=1)
        db.session.commit()
    phone.wait_for_selector(f"form[action='/reports/jobs/{job_id}/download'] button", timeout=8000)
    assert phone.locator("#print-jobs progress").count() == 0

    # a new batch through the htmx form (immediate mode: done by the time the fragment returns)
    phone.select_option("select[name=village_id]", label="东村")
    phone.check("input[name=format][value=zip]")
    phone.click("#batch button[type=submit]")
    expect(phone.locator("#print-jobs .print-job button.button")).to_have_count(2, timeout=60000)
    assert phone.url.endswith("/reports/?month=2026-03")  # swapped in place, no navigation
    with phone.expect_download() as info:
        phone.click("#print-jobs .print-job:nth-child(1) button.button")
    assert info.value.suggested_filename == "帮扶日志-东村-2026-03.zip"

"""Routes of the printed documents: who may print what, download names, batch jobs with htmx."""
import io
import re
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from pypdf import PdfReader

from tests.support import factories as f
from webapp.extensions import db
from webapp.models import PrintJob

MONTH = "2026-03"
CST = timezone(timedelta(hours=8))


def text_of(data: bytes) -> str:
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


@pytest.fixture
def month_world(app, world):
    with app.app_context():
        v = f.visit_row(world["h1"], world["hh1"], datetime(2026, 3, 5, 10, tzinfo=CST), notes="帮助申请低保。")
        f.photo_row(v, seed=3)
        f.visit_row(world["h3"], world["hh4"], datetime(2026, 3, 6, 10, tzinfo=CST), notes="西村的走访。")
        f.checkin_row(world["sec1"], world["v1"], datetime(2026, 3, 2, 8, tzinfo=CST))
        f.leave_row(world["team1"], date(2026, 3, 9), date(2026, 3, 9))
        db.session.commit()
    return world


def url_diary(uid: int, month: str = MONTH) -> str:
    return f"/reports/diary/{uid}/{month}.pdf"


def url_sheet(vid: int, month: str = MONTH) -> str:
    return f"/reports/attendance/{vid}/{month}.pdf"


def test_helper_prints_own_diary_with_a_readable_name(client, month_world):
    client.login("h1")
    resp = client.get(url_diary(month_world["h1"]))
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    cd = resp.headers["Content-Disposition"]
    assert cd.startswith("attachment;")
    assert f'filename="diary-{month_world["h1"]}-{MONTH}.pdf"' in cd
    assert "filename*=UTF-8''" + quote("帮扶日志-帮扶一-2026-03.pdf", safe="") in cd
    cd.encode("latin-1")  # the header itself is plain ASCII
    assert resp.headers["Cache-Control"] == "private, no-store"
    text = text_of(resp.data)
    assert "帮扶一" in text and "张一" in text and "张二" in text and "帮助申请低保。" in text and "第1页共1页" in text


@pytest.mark.parametrize("who, target, status", [
    ("h1", "h1", 200), ("h1", "h2", 404), ("h1", "h3", 404),
    ("sec1", "h1", 200), ("sec1", "h2", 200), ("sec1", "h3", 404), ("sec1", "team1", 404),
    ("sec2", "h3", 200), ("sec2", "h1", 404),
    ("team1", "h1", 404), ("team1", "team1", 404),
    ("admin", "h1", 200), ("admin", "h3", 200), ("admin", "sec1", 404),
    ("admin_x", "h1", 404),
])
def test_who_may_print_which_diary(client, month_world, who, target, status):
    client.login(who)
    assert client.get(url_diary(month_world[target])).status_code == status


@pytest.mark.parametrize("who, village, status", [
    ("sec1", "v1", 200), ("sec1", "v2", 404), ("sec2", "v2", 200),
    ("admin", "v1", 200), ("admin", "v2", 200), ("admin", "vx", 404), ("admin_x", "v1", 404),
    ("team1", "v1", 403), ("h1", "v1", 403),
])
def test_who_may_print_which_attendance_sheet(client, month_world, who, village, status):
    client.login(who)
    resp = client.get(url_sheet(month_world[village]))
    assert resp.status_code == status
    if status == 200:
        assert resp.mimetype == "application/pdf"
        assert "考勤表" in text_of(resp.data)


def test_attendance_sheet_download(client, month_world):
    client.login("sec1")
    resp = client.get(url_sheet(month_world["v1"]))
    cd = resp.headers["Content-Disposition"]
    assert f'filename="attendance-{month_world["v1"]}-{MONTH}.pdf"' in cd
    assert quote("考勤表-东村-2026-03.pdf", safe="") in cd
    text = text_of(resp.data)
    assert "书记一" in text and "队员一" in text and "√" in text and "假" in text


def test_anonymous_users_are_sent_to_login(client, month_world):
    for url in (url_diary(month_world["h1"]), url_sheet(month_world["v1"]), "/reports/"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize("month", ["2026-13", "2026-3", "march", "2026-03-01"])
def test_a_bad_month_is_not_found(client, month_world, month):
    client.login("h1")
    assert client.get(url_diary(month_world["h1"], month)).status_code == 404


def test_the_reports_page_lists_what_each_role_may_print(client, month_world):
    client.login("h1")
    page = client.get("/reports/?month=2026-03").get_data(as_text=True)
    assert url_diary(month_world["h1"]) in page and url_diary(month_world["h2"]) not in page
    assert "/reports/attendance/" not in page and "批量打印" not in page
    client.post("/logout")
    client.login("sec1")
    page = client.get("/reports/?month=2026-03").get_data(as_text=True)
    assert url_diary(month_world["h1"]) in page and url_diary(month_world["h3"]) not in page
    assert url_sheet(month_world["v1"]) in page and url_sheet(month_world["v2"]) not in page
    assert "批量打印" not in page
    client.post("/logout")
    client.login("admin")
    page = client.get("/reports/?month=2026-03").get_data(as_text=True)
    assert url_sheet(month_world["v1"]) in page and url_sheet(month_world["v2"]) in page
    assert "批量打印" in page and 'hx-post="/reports/batch"' in page


def test_batch_print_with_htmx_then_download(client, month_world, app):
    app.config["PDF_WORKERS"] = 1
    client.login("admin")
    resp = client.post("/reports/batch", data={"month": MONTH, "village_id": "", "format": "pdf"},
                       headers={"HX-Request": "true"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'id="batch"' in html and "<html" not in html  # the fragment alone
    with app.app_context():
        job = db.session.scalar(db.select(PrintJob))
        assert job.status == "done" and job.done == job.total == 3
        job_id, key = job.id, job.result_key
    link = f"/reports/jobs/{job_id}/download"
    assert f'<form method="post" action="{link}"' in html and "every 2s" not in html  # nothing left to poll
    # a GET (a saved link, or one planted on another site) gives the file and changes nothing
    assert client.get(link).status_code == 200
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        assert job.status == "done" and job.expires_at > datetime.now(timezone.utc) + timedelta(hours=1)
    got = client.post(link)  # the page's button
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    cd = got.headers["Content-Disposition"]
    assert f'filename="diaries-{MONTH}-job{job_id}.pdf"' in cd and quote("帮扶日志-测试乡-2026-03.pdf", safe="") in cd
    reader = PdfReader(io.BytesIO(got.data))
    assert [o.title for o in reader.outline if not isinstance(o, list)] == ["帮扶一", "帮扶三", "帮扶二"]
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        assert job.status == "downloaded" and job.result_key == key
        assert job.expires_at <= datetime.now(timezone.utc) + timedelta(minutes=app.config["PRINT_DOWNLOAD_GRACE_MINUTES"])
    assert client.post(link).status_code == 200  # a retry within the grace period
    # once expired, the link is gone
    with app.app_context():
        db.session.get(PrintJob, job_id).expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
        db.session.commit()
    assert client.get(link).status_code == 404


def test_batch_zip_without_htmx_redirects_to_the_page(client, month_world, app):
    app.config["PDF_WORKERS"] = 1
    client.login("admin")
    resp = client.post("/reports/batch", data={"month": MONTH, "village_id": str(month_world["v2"]), "format": "zip"})
    assert resp.status_code == 302 and "/reports/" in resp.headers["Location"]
    with app.app_context():
        job = db.session.scalar(db.select(PrintJob))
        assert job.total == 1 and job.status == "done"
    got = client.get(f"/reports/jobs/{job.id}/download")
    assert got.mimetype == "application/zip" and got.data[:2] == b"PK"
    assert quote("帮扶日志-西村-2026-03.zip", safe="") in got.headers["Content-Disposition"]


def test_batch_input_errors_come_back_in_the_form(client, month_world):
    client.login("admin")
    resp = client.post("/reports/batch", data={"month": "2026-13", "format": "docx"}, headers={"HX-Request": "true"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "月份格式应为" in html and "请选择合并 PDF 或压缩包" in html
    resp = client.post("/reports/batch", data={"month": "2026-13", "format": "pdf"})
    assert resp.status_code == 422
    resp = client.post("/reports/batch", data={"month": MONTH, "village_id": str(month_world["vx"]), "format": "pdf"})
    assert resp.status_code == 404


@pytest.mark.parametrize("who", ["h1", "sec1", "team1"])
def test_only_office_admins_run_batches(client, month_world, who):
    client.login(who)
    assert client.post("/reports/batch", data={"month": MONTH, "format": "pdf"}).status_code == 403
    assert client.get("/reports/jobs").status_code == 403


def test_the_jobs_list_polls_while_a_job_is_running_and_other_units_cannot_see_it(client, make_client, month_world, app):
    job_id = f.diary_batch(app, month_world["admin"], MONTH, "running", done=2, total=5)
    client.login("admin")
    html = client.get("/reports/jobs", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in html and 'value="2"' in html and 'max="5"' in html and "2/5" in html
    assert client.get(f"/reports/jobs/{job_id}/download").status_code == 404  # not finished
    with app.app_context():
        db.session.get(PrintJob, job_id).status = "failed"
        db.session.commit()
    html = client.get("/reports/jobs", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "every 2s" not in html and "失败" in html
    other = make_client()
    other.login("admin_x")
    assert f"/reports/jobs/{job_id}" not in other.get("/reports/jobs").get_data(as_text=True)
    assert other.get(f"/reports/jobs/{job_id}/download").status_code == 404


def test_a_note_with_markup_prints_as_text(client, app, world):
    with app.app_context():
        f.visit_row(world["h1"], world["hh1"], datetime(2026, 3, 5, 10, tzinfo=CST),
                    notes='<img src="file:///etc/passwd"><script>x</script>')
        db.session.commit()
    client.login("h1")
    resp = client.get(url_diary(world["h1"]))
    assert resp.status_code == 200
    assert '<imgsrc="file:///etc/passwd"><script>x</script>' in text_of(resp.data)
    assert b"root:x:0:0" not in resp.data


def test_a_batch_sent_twice_while_the_first_waits_queues_one_job(client, month_world, app, monkeypatch):
    """A double click (or a second tab) on 批量打印 queued the same 40-second job twice (and any
    number of times while it waited for the worker); the job answered again is not queued again."""
    from webapp import tasks

    queued = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: queued.append(args))  # the jobs stay queued
    client.login("admin")
    form = {"month": MONTH, "village_id": "", "format": "pdf"}
    for _ in range(3):
        assert client.post("/reports/batch", data=form, headers={"HX-Request": "true"}).status_code == 200
    other = client.post("/reports/batch", data={**form, "format": "zip"}, headers={"HX-Request": "true"})
    assert other.status_code == 200
    with app.app_context():
        jobs = db.session.scalars(db.select(PrintJob).order_by(PrintJob.id)).all()
        assert [(j.params["format"], j.status) for j in jobs] == [("pdf", "queued"), ("zip", "queued")]
        assert queued == [(jobs[0].id,), (jobs[1].id,)]  # each job's task once

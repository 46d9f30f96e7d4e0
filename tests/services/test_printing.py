"""The printed documents (services/printing: diary, sheet, render) and batch printing (printing/jobs, tasks):
real WeasyPrint output read back with pypdf."""
import io
import re
import zipfile
from datetime import date, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from tests.support import factories as f
from webapp.extensions import db
from webapp.models import PrintJob, User, Village
from webapp.services import storage
from webapp.services.printing import diary as print_diary
from webapp.services.printing import documents as print_docs
from webapp.services.printing import jobs as printjobs
from webapp.services.printing import render as pdf_render
from webapp.services.printing import sheet as print_sheet
from webapp.web import rules as app_rules

MONTH = "2026-03"
CST = timezone(timedelta(hours=8))


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CST)


def text_of(data: bytes) -> str:
    """The PDF's text with all whitespace removed (pypdf adds spaces at line wraps)."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def fonts_of(data: bytes) -> list[dict]:
    """Every font of every page: name and whether its program is embedded."""
    out = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts") or [font]
            for d in descendants:
                desc = d.get_object().get("/FontDescriptor")
                desc = desc.get_object() if desc is not None else {}
                out.append({"name": str(font.get("/BaseFont")),
                            "embedded": any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))})
    return out


def images_of(data: bytes) -> int:
    """Distinct image objects (pages may share one resource dictionary)."""
    seen = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        for ref in xobjects.values():
            if ref.get_object().get("/Subtype") == "/Image":
                seen.add(getattr(ref, "idnum", id(ref)))
    return len(seen)


@pytest.fixture
def diary_world(app, world):
    """h1's March: 4 visits at hh1 and hh2 with 2 photos each (8 thumbnails)."""
    with app.app_context():
        visits = []
        for i, (hh, day) in enumerate((("hh1", 3), ("hh2", 10), ("hh1", 17), ("hh2", 24))):
            v = f.visit_row(world["h1"], world[hh], at(day, 9 + i), notes=f"第{i + 1}次走访：了解家庭收入，宣传教育资助政策。",
                            problems="冬季取暖困难" if i == 0 else "", next_steps="联系村委会落实危房改造" if i == 0 else "",
                            checklist={"food": {"ok": True, "note": ""}, "water": {"ok": False, "note": "雨季水浑"}},
                            distance_m=42.0 if i < 3 else 1800.0, within_geofence=i < 3,
                            review_comment="记录完整，请跟进住房问题。" if i == 0 else None)
            for k in range(2):
                f.photo_row(v, seed=10 * i + k)
            visits.append(v.id)
        # another helper's visit and one from another month stay out of h1's March
        f.visit_row(world["h2"], world["hh3"], at(5), notes="别人的走访")
        f.visit_row(world["h1"], world["hh1"], at(2, month=4), notes="四月的走访")
        db.session.commit()
    return {**world, "visits": visits}


def diary(app, helper_id: int, month: str = MONTH) -> tuple[print_docs.Document, bytes]:
    with app.test_request_context():
        return print_diary.diary_pdf(db.session.get(User, helper_id), month)


def test_diary_has_the_helper_households_notes_and_page_footer(app, diary_world):
    doc, data = diary(app, diary_world["h1"])
    text = text_of(data)
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    assert "帮扶日志" in text and "帮扶一" in text and "测试乡" in text and "2026年3月" in text
    for head in ("张一", "张二"):
        assert head in text
    for i in range(1, 5):
        assert f"第{i}次走访：了解家庭收入，宣传教育资助政策。" in text
    assert "冬季取暖困难" in text and "联系村委会落实危房改造" in text
    assert "记录完整，请跟进住房问题。" in text
    assert "不愁吃：是" in text and "饮水安全有保障：否（雨季水浑）" in text
    assert "超出范围" in text and "1.8公里" in text and "42米" in text
    assert pages == 2
    for n, page in enumerate(reader.pages, start=1):  # header and footer on every page
        page_text = re.sub(r"\s+", "", page.extract_text())
        assert f"第{n}页共{pages}页" in page_text
        assert "帮扶日志·2026年3月" in page_text and "测试乡·帮扶责任人帮扶一" in page_text and "打印于" in page_text
        # no visit is split across pages: each one starting on this page ends on it
        assert page_text.count("次走访：") == page_text.count("第一书记意见：")
    assert "别人的走访" not in text and "四月的走访" not in text
    # the closing table and the signature lines
    assert "本月走访汇总" in text and "3日、17日" in text and "10日、24日" in text
    assert "帮扶责任人（签字）" in text and "户主张一（签字）" in text and "驻村第一书记（签字）" in text
    # visits in date order
    positions = [text.index(f"第{i}次走访") for i in range(1, 5)]
    assert positions == sorted(positions)
    assert doc.filename == "帮扶日志-帮扶一-2026-03.pdf"


def test_diary_embeds_the_cjk_font_and_the_thumbnails(app, diary_world):
    _, data = diary(app, diary_world["h1"])
    fonts = fonts_of(data)
    assert fonts and all(font["embedded"] for font in fonts)
    assert any("Noto-Sans-CJK-SC" in font["name"] for font in fonts)
    assert images_of(data) == 8
    assert data.count(b"/Subtype /Image") + data.count(b"/Subtype/Image") == 8
    assert len(data) < 1_000_000


def test_diary_prints_at_most_four_thumbnails_per_visit(app, diary_world):
    with app.app_context():
        v = f.visit_row(diary_world["h1"], diary_world["hh1"], at(28), notes="九张照片的走访")
        for k in range(6):
            f.photo_row(v, seed=100 + k)
        db.session.commit()
    _, data = diary(app, diary_world["h1"])
    assert images_of(data) == 8 + 4
    assert "另有2张照片" in text_of(data)


def test_an_empty_month_still_prints_households_and_signatures(app, world):
    _, data = diary(app, world["h1"], "2026-02")
    text = text_of(data)
    assert "本月没有走访记录。" in text and "张一" in text and "张二" in text and "本月未走访" in text
    assert "第1页共1页" in text


def test_the_score_summary_appears_once_the_month_is_closed(app, diary_world):
    _, data = diary(app, diary_world["h1"])
    assert "月度考核结果" not in text_of(data)
    with app.app_context():
        f.month_result(diary_world["unit"], diary_world["h1"], MONTH, 92.5, "优秀", {
            "rules": [{"code": "coverage", "label": "走访覆盖", "points": 50, "max_points": 50,
                       "facts": "2户全部走访", "missing": None, "evidence": []}],
            "flags": [], "veto": None})
        db.session.commit()
    text = text_of(diary(app, diary_world["h1"])[1])
    assert "月度考核结果（已结账）" in text and "92.5" in text and "优秀" in text and "走访覆盖" in text
    assert "50/50" in text and "2户全部走访" in text


def test_user_text_is_escaped_and_an_img_in_a_note_is_never_fetched(app, world):
    evil = '<img src="file:///etc/passwd"> & <b>粗</b>'
    with app.app_context():
        f.visit_row(world["h1"], world["hh1"], at(6), notes=evil, problems='<link rel="attachment" href="file:///etc/passwd">')
        db.session.commit()
    with app.test_request_context():
        doc = print_diary.diary_document(db.session.get(User, world["h1"]), MONTH)
        assert '&lt;img src=&#34;file:///etc/passwd&#34;&gt;' in doc.html or "&lt;img src=&quot;file:///etc/passwd" in doc.html
        assert '<img src="file:' not in doc.html and '<link rel="attachment"' not in doc.html
        fetcher = pdf_render.AppURLFetcher(print_docs.read_thumb)
        data = pdf_render.render_pdf(doc.html, fetcher)
    assert fetcher.refused == []  # nothing even asked
    text = text_of(data)
    assert '<imgsrc="file:///etc/passwd">&<b>粗</b>' in text
    assert images_of(data) == 0
    assert "root:" not in text


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "http://127.0.0.1:5000/static/css/app.css",
    "https://example.com/a.png",
    "data:image/png;base64,iVBORw0KGgo=",
    "ftp://example.com/a.png",
    "bangfu:static/../../../../etc/passwd",
    "bangfu:static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "bangfu:static/",
    "bangfu:static/nope.css",
    "bangfu:thumb/../../../etc/passwd",
    "bangfu:thumb//etc/passwd",
    "bangfu:thumb/thumbs/ab/" + "ab" * 16 + ".jpg",  # well-formed key, no such file
    "bangfu:other/x",
])
def test_the_fetcher_refuses_everything_but_static_files_and_thumbnails(app, url):
    with app.app_context():
        fetcher = pdf_render.AppURLFetcher(print_docs.read_thumb)
        with pytest.raises(pdf_render.FetchRefused):
            fetcher.fetch(url)
        assert fetcher.refused == [url]


def test_the_fetcher_serves_static_files_and_stored_thumbnails(app, world):
    with app.app_context():
        v = f.visit_row(world["h1"], world["hh1"], at(6))
        photo = f.photo_row(v, seed=1)
        fetcher = pdf_render.AppURLFetcher(print_docs.read_thumb)
        css = fetcher.fetch(print_docs.pdf_static("css/app.css"))
        assert css.read().startswith(b"/*") and css.content_type == "text/css"
        thumb = fetcher.fetch(print_docs.pdf_thumb(photo.thumb_key))
        assert thumb.read()[:3] == b"\xff\xd8\xff" and thumb.content_type == "image/jpeg"
        assert fetcher.refused == []


def test_raw_html_asking_for_local_files_renders_without_them(app, world):
    """Even HTML that bypassed escaping cannot read the disk: the fetcher is asked and refuses."""
    html = ('<html lang="zh-CN"><body><p>正文</p><img src="file:///etc/passwd">'
            '<img src="https://example.com/x.png"><link rel="stylesheet" href="file:///etc/passwd">'
            '<link rel="attachment" href="file:///etc/passwd"></body></html>')
    with app.app_context():
        fetcher = pdf_render.AppURLFetcher(print_docs.read_thumb)
        data = pdf_render.render_pdf(html, fetcher)
    assert "file:///etc/passwd" in fetcher.refused and "https://example.com/x.png" in fetcher.refused
    assert images_of(data) == 0
    assert b"/EmbeddedFile" not in data and b"root:x:0:0" not in data
    assert "正文" in text_of(data)


# --- attendance sheet -------------------------------------------------------------------------

@pytest.fixture
def sheet_world(app, world):
    """March 2026 in 东村: sec1 in the village every working day to the 13th; team1 on leave 9–10 March,
    in the village on the 2nd and a Saturday, and outside the geofence on the 3rd."""
    with app.app_context():
        for uid in (world["sec1"], world["team1"]):
            db.session.get(User, uid).created_at = datetime(2025, 1, 1, tzinfo=timezone.utc)
        for day in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13):
            f.checkin_row(world["sec1"], world["v1"], at(day, 8))
        f.checkin_row(world["team1"], world["v1"], at(2, 8))
        f.checkin_row(world["team1"], world["v1"], at(7, 8))  # Saturday
        f.checkin_row(world["team1"], world["v1"], at(3, 8), inside=False)
        f.leave_row(world["team1"], date(2026, 3, 9), date(2026, 3, 10))
        f.leave_row(world["team1"], date(2026, 3, 11), date(2026, 3, 11), status="rejected")
        db.session.commit()
    return world


def test_attendance_sheet_grid_and_totals(app, sheet_world):
    with app.test_request_context():
        village = db.session.get(Village, sheet_world["v1"])
        sheet = print_sheet.attendance_data(app_rules.attendance(), village, MONTH)
        doc, data = print_sheet.attendance_pdf(app_rules.attendance(), village, MONTH)
    rows = {r.person.username: r for r in sheet.rows}
    assert list(rows) == ["sec1", "team1"]  # the first secretary first
    sec, team = rows["sec1"].cells, rows["team1"].cells
    assert sec[1] == "√" and sec[6] == "" and sec[7] == "" and sec[15] == "×"  # 2nd in; 7th/8th weekend; 16th absent
    assert team[1] == "√" and team[6] == "√" and team[2] == "×"  # Saturday check-in counts; outside is absent
    assert team[8] == "假" and team[9] == "假" and team[10] == "×"  # approved leave; rejected leave is absent
    assert sheet.working_days == 22
    assert rows["sec1"].summary.days_in_village == 10 and rows["sec1"].summary.absent_days == 12
    assert rows["team1"].summary.leave_days == 2 and rows["team1"].summary.days_in_village == 2

    text = text_of(data)
    assert "东村驻村工作队考勤表" in text and "书记一" in text and "队员一" in text
    assert "第1页共1页" in text and doc.filename == "考勤表-东村-2026-03.pdf"
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # A4 landscape
    assert all(font["embedded"] for font in fonts_of(data))


# --- batch printing through Huey (immediate mode in tests) ----------------------------------------

def _more_helpers(app, world, n: int) -> list[int]:
    with app.app_context():
        u = db.session.get(User, world["admin"]).unit
        v1 = db.session.get(Village, world["v1"])
        ids = []
        for i in range(n):
            h = f.user(u, f"bh{i}", "helper", name=f"批量{i}")
            hh = f.household(v1, f"户主{i}")
            f.pair(h, hh)
            f.visit_row(h.id, hh.id, at(5 + i), notes=f"批量走访{i}")
            ids.append(h.id)
        db.session.commit()
    return ids


def _start(app, admin_id: int, village_id: int | None, fmt: str) -> int:
    from webapp import tasks

    with app.test_request_context():
        job, _ = printjobs.start(db.session.get(User, admin_id), MONTH, village_id, fmt)
        job_id = job.id
        db.session.commit()
        tasks.enqueue(tasks.print_diaries, job_id)  # immediate mode: runs now, in worker processes
    return job_id


def test_batch_pdf_has_one_bookmark_per_helper_and_every_page(app, diary_world):
    app.config["PDF_WORKERS"] = 2
    app.config["PDF_TASKS_PER_CHILD"] = 2  # processes are replaced during the job
    _more_helpers(app, diary_world, 3)
    job_id = _start(app, diary_world["admin"], diary_world["v1"], "pdf")
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        assert job.status == "done", job.error
        assert job.done == job.total == 5  # h1, h2 and three more paired in 东村; h3 is in 西村
        assert job.expires_at > job.finished_at
        with storage.get().open(job.result_key) as fh:
            data = fh.read()
        helpers = [db.session.get(User, i) for i in job.params["helper_ids"]]
    reader = PdfReader(io.BytesIO(data))
    top = [o for o in reader.outline if not isinstance(o, list)]  # nested lists: each diary's own headings
    titles = [o.title for o in top]
    assert titles == [h.display_name for h in helpers] and "帮扶三" not in titles
    def flat(items):
        for o in items:
            yield from flat(o) if isinstance(o, list) else [o.title.replace(" ", "")]

    inner = list(flat([o for o in reader.outline if isinstance(o, list)]))
    assert "走访记录" in inner and any("户主张一" in t for t in inner)
    singles = {h.display_name: len(PdfReader(io.BytesIO(diary(app, h.id)[1])).pages) for h in helpers}
    assert len(reader.pages) == sum(singles.values())
    # each bookmark points at the first page of that helper's diary
    for item in top:
        first = reader.get_destination_page_number(item)
        page_text = re.sub(r"\s+", "", reader.pages[first].extract_text())
        assert item.title in page_text and "第1页共" in page_text
    text = text_of(data)
    assert "第1次走访" in text and "批量走访2" in text


def test_batch_zip_has_one_pdf_per_helper_of_the_unit(app, diary_world):
    app.config["PDF_WORKERS"] = 1
    job_id = _start(app, diary_world["admin"], None, "zip")
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        assert job.status == "done" and job.done == job.total == 3
        with storage.get().open(job.result_key) as fh:
            zf = zipfile.ZipFile(io.BytesIO(fh.read()))
    names = zf.namelist()
    assert len(names) == 3 and all(n.endswith(".pdf") for n in names)
    assert any("帮扶一" in n for n in names) and any("帮扶三" in n for n in names)
    one = next(n for n in names if "帮扶一" in n)
    assert "第1次走访" in text_of(zf.read(one))


def test_batch_job_runs_only_once_and_refuses_bad_input(app, diary_world):
    from webapp.services.errors import Forbidden, NotFound, ValidationFailed

    app.config["PDF_WORKERS"] = 1
    job_id = _start(app, diary_world["admin"], diary_world["v2"], "pdf")
    with app.test_request_context():
        job = db.session.get(PrintJob, job_id)
        key, done = job.result_key, job.finished_at
        printjobs.run(job_id, app_rules.printing())  # a replayed task does nothing
        db.session.refresh(job)
        assert job.result_key == key and job.finished_at == done and job.total == 1
        admin = db.session.get(User, diary_world["admin"])
        with pytest.raises(ValidationFailed):
            printjobs.start(admin, "2026-13", None, "pdf")
        with pytest.raises(ValidationFailed):
            printjobs.start(admin, MONTH, None, "docx")
        with pytest.raises(NotFound):
            printjobs.start(admin, MONTH, diary_world["vx"], "pdf")  # another unit's village
        with pytest.raises(Forbidden):
            printjobs.start(db.session.get(User, diary_world["sec1"]), MONTH, None, "pdf")


def test_a_failing_job_is_marked_failed(app, diary_world, tmp_path):
    app.config["PDF_WORKERS"] = 1
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with app.test_request_context():
        job, _ = printjobs.start(db.session.get(User, diary_world["admin"]), MONTH, diary_world["v2"], "pdf")
        job_id = job.id
        db.session.commit()
        app.config["UPLOAD_DIR"] = str(not_a_dir)  # the result cannot be stored
        printjobs.run(job_id, app_rules.printing())
        job = db.session.get(PrintJob, job_id)
        assert job.status == "failed" and job.error and job.result_key is None


def test_expired_results_are_deleted(app, diary_world):
    app.config["PDF_WORKERS"] = 1
    job_id = _start(app, diary_world["admin"], diary_world["v2"], "pdf")
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        key = job.result_key
        assert storage.get().exists(key)
        assert printjobs.purge_expired(job.expires_at - timedelta(seconds=1)) == 0
        assert printjobs.purge_expired(job.expires_at + timedelta(seconds=1)) == 1
        db.session.commit()
        job = db.session.get(PrintJob, job_id)
        assert job.status == "expired" and job.result_key is None and not storage.get().exists(key)


def test_documents_render_in_separate_processes_that_are_replaced(app):
    import os

    app.config["PDF_TASKS_PER_CHILD"] = 1
    with app.app_context(), printjobs._pool(1, app_rules.printing().tasks_per_child) as pool:
        pids = [pool.submit(os.getpid).result() for _ in range(3)]
        html = pdf_render.WARM_UP_HTML
        data = pool.submit(pdf_render.render_in_worker, html, {}).result()
    assert os.getpid() not in pids and len(set(pids)) == 3  # a new process after each document
    assert "帮扶日志" in text_of(data)


def test_stale_jobs_whose_worker_died_are_failed(app, world):
    with app.app_context():
        old = PrintJob(kind="diaries", requested_by_id=world["admin"], status="running", total=3,
                       created_at=datetime.now(timezone.utc) - timedelta(minutes=61), params={"month": MONTH})
        fresh = PrintJob(kind="diaries", requested_by_id=world["admin"], status="running", total=3, params={"month": MONTH})
        db.session.add_all([old, fresh])
        db.session.commit()
        assert printjobs.fail_stale(app_rules.printing()) == 1
        db.session.commit()
        assert db.session.get(PrintJob, old.id).status == "failed" and "中断" in db.session.get(PrintJob, old.id).error
        assert db.session.get(PrintJob, fresh.id).status == "running"


def test_the_periodic_task_purges_and_fails_stale_jobs(app, diary_world):
    from webapp import tasks

    app.config["PDF_WORKERS"] = 1
    job_id = _start(app, diary_world["admin"], diary_world["v2"], "pdf")
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        job.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
        key = job.result_key
        db.session.commit()
        tasks.purge_print_results.call_local()
        db.session.remove()
        assert db.session.get(PrintJob, job_id).status == "expired" and not storage.get().exists(key)


def test_each_flag_prints_its_reason_and_whether_it_was_accepted(app, world):
    """The printed diary says why a visit is flagged, with the numbers, and 待核实/已核实."""
    with app.app_context():
        f.visit_row(world["h1"], world["hh1"], at(6), notes="在学校填写的走访", distance_m=2002.0, within_geofence=False,
                    flags=["outside_geofence"], flag_details={"outside_geofence": {"distance_m": 2002, "radius_m": 300}})
        ok = f.visit_row(world["h1"], world["hh2"], at(7), notes="信号差的走访", accuracy_m=260.0, flags=["poor_accuracy"],
                         flag_details={"poor_accuracy": {"accuracy_m": 260, "limit_m": 200}})
        ok.verified_at, ok.verified_by_id, ok.verify_note = at(8), world["sec1"], "电话核实属实"
        db.session.commit()
    text = text_of(diary(app, world["h1"])[1])
    assert "超出范围：距这户2002米，超出300米范围" in text and "待核实：核实前不计入走访和考核" in text
    assert "定位不准：定位精度±260米，超过200米" in text and "已核实（书记一）：电话核实属实" in text

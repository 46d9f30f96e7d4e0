"""Bench: the monthly diary PDF, one through the route and 200 as a batch job.

Data: a scratch instance (SQLite in a temp folder) with N helpers (default 200), each with two
households and four visits in the month, two photos per visit (8 thumbnails of 320×240 in photo
storage), notes, problems, next steps and checklist answers: a diary of 2 A4 pages.

Timings (median of --repeats after two warm-ups; route, WeasyPrint and template runs are
interleaved so background load hits them alike):
- route:  GET /reports/diary/<id>/<YYYY-MM>.pdf through the Flask test client (the real route: login
          session, access check, queries, template, thumbnails from storage, WeasyPrint, response;
          no HTTP socket), and the same URL over HTTP from gunicorn started as `make run` does;
- weasy:  WeasyPrint alone on the same HTML with the same fetcher and stylesheet
          (printing.render.render_pdf = HTML(...).write_pdf);
- batch:  services.printing.jobs.run for all N diaries merged into one PDF with a bookmark each (the
          Huey task body, PDF_WORKERS processes, spawned fresh), end to end including merging and
          storing the result.

    .venv/bin/python bench/pdf.py                       # 200 diaries, 2 worker processes
    .venv/bin/python bench/pdf.py --helpers 50 --workers 2 --repeats 21
"""
from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MONTH = "2026-03"
CST = timezone(timedelta(hours=8))
PASSWORD = "bench-password-1"
NOTES = ("入户了解家庭收入和务工情况，宣讲教育资助、医疗保障和产业扶持政策，"
         "查看住房安全和饮水情况，与户主商量下一步帮扶措施。")


def photo_like_jpeg(rng: random.Random, size=(320, 240)) -> bytes:
    """A thumbnail with a photo's kind of detail (gradient, shapes, noise), JPEG quality 75."""
    from PIL import Image, ImageDraw, ImageFilter

    w, h = size
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    tint = Image.new("RGB", size, tuple(rng.randrange(60, 200) for _ in range(3)))
    img = Image.blend(base, tint, 0.6)
    draw = ImageDraw.Draw(img)
    for _ in range(25):
        x, y = rng.randrange(w), rng.randrange(h)
        draw.ellipse([x, y, x + rng.randrange(20, 90), y + rng.randrange(20, 70)],
                     fill=tuple(rng.randrange(256) for _ in range(3)))
    noise = Image.effect_noise(size, 40).convert("RGB")
    img = Image.blend(img, noise, 0.18).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=75)
    return out.getvalue()


def seed(n_helpers: int) -> int:
    """Return the id of the office admin."""
    import hashlib
    import uuid

    from webapp.extensions import db
    from webapp.models import Household, Pairing, Photo, Unit, User, Village, Visit
    from webapp.services import storage

    rng = random.Random(7)
    thumbs = [photo_like_jpeg(rng) for _ in range(40)]
    store = storage.get()
    unit = Unit(name="清江乡人民政府")
    db.session.add(unit)
    db.session.flush()
    villages = [Village(unit_id=unit.id, name=n, latitude=30.3, longitude=109.5) for n in ("青山村", "石桥村", "柳树湾村")]
    db.session.add_all(villages)
    db.session.flush()
    admin = User(username="admin", display_name="覃主任", role="office_admin", unit_id=unit.id)
    admin.set_password(PASSWORD)
    db.session.add(admin)
    pw_hash = admin.password_hash
    for i in range(n_helpers):
        helper = User(username=f"helper{i:03d}", display_name=f"帮扶教师{i:03d}", role="helper", unit_id=unit.id,
                      password_hash=pw_hash)
        db.session.add(helper)
        db.session.flush()
        v = villages[i % 3]
        hhs = []
        for k in range(2):
            head = rng.choice("王李张刘陈杨黄赵吴周") + rng.choice(["建国", "秀英", "德福", "桂兰", "志刚"])
            hh = Household(village_id=v.id, head_name=head, citizen_id=f"4228011970{i:04d}{k:04d}",
                           latitude=30.3, longitude=109.5)
            db.session.add(hh)
            db.session.flush()
            db.session.add(Pairing(helper_id=helper.id, household_id=hh.id, start_date=date(2025, 1, 1)))
            hhs.append(hh)
        for j in range(4):
            visit = Visit(client_uuid=str(uuid.uuid4()), household_id=hhs[j % 2].id, helper_id=helper.id,
                          checked_in_at=datetime(2026, 3, 2 + 7 * j, 9 + j, 30, tzinfo=CST),
                          latitude=30.3, longitude=109.5, accuracy_m=12.0, distance_m=35.0 + 40 * j,
                          within_geofence=j != 3, notes=NOTES, problems="孩子上学路远，冬季取暖困难。",
                          next_steps="联系村委会落实危房改造补助，下次带去学生资助申请表。",
                          checklist={c: {"ok": c != "housing", "note": "屋顶漏雨" if c == "housing" else ""}
                                     for c in ("food", "clothing", "education", "medical", "housing", "water")},
                          content_hash="0" * 64, review_status="reviewed" if j == 0 else "pending",
                          review_comment="记录完整，请跟进住房问题。" if j == 0 else None)
            db.session.add(visit)
            db.session.flush()
            for p in range(2):
                hex_ = uuid.uuid4().hex
                key = storage.new_key("thumbs", hex_)
                data = thumbs[(i * 8 + j * 2 + p) % len(thumbs)]
                store.put(key, data)
                db.session.add(Photo(client_uuid=str(uuid.uuid4()), visit_id=visit.id,
                                     sha256=hashlib.sha256(hex_.encode()).hexdigest(), storage_key=key,
                                     thumb_key=key, width=1600, height=1200, size_bytes=len(data)))
        if i % 50 == 49:
            db.session.commit()
    db.session.commit()
    return admin.id


class ProcessSampler:
    """Samples this process's descendants (the fork server's workers are not our children, so
    getrusage(RUSAGE_CHILDREN) misses them): largest RSS and CPU time last seen per process."""

    def __init__(self, interval: float = 0.2):
        import threading

        self.interval, self.rss, self.cpu, self.pids = interval, {}, {}, set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _children() -> dict[int, int]:
        parents = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
                except OSError:
                    pass
        return parents

    def _run(self):
        tick = os.sysconf("SC_CLK_TCK")
        me = os.getpid()
        while not self._stop.is_set():
            parents = self._children()
            family, grew = {me}, True
            while grew:
                more = {p for p, pp in parents.items() if pp in family} - family
                family |= more
                grew = bool(more)
            for pid in family - {me}:
                try:
                    with open(f"/proc/{pid}/stat") as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                    with open(f"/proc/{pid}/status") as fh:
                        rss = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))
                except (OSError, StopIteration):
                    continue
                self.pids.add(pid)
                self.cpu[pid] = (int(fields[11]) + int(fields[12])) / tick
                self.rss[pid] = max(self.rss.get(pid, 0), rss / 1024)
            self._stop.wait(self.interval)


def start_gunicorn(tmp: str, url: str):
    """gunicorn as `make run` starts it (2 workers × 4 threads) on the bench instance; returns the
    process and a function that GETs the diary over HTTP as the logged-in helper."""
    import socket
    import subprocess

    import requests

    (Path(tmp) / "config.py").write_text(
        f"SECRET_KEY = 'bench'\nSQLALCHEMY_DATABASE_URI = 'sqlite:///{tmp}/bench.sqlite'\n"
        f"UPLOAD_DIR = '{tmp}/uploads'\n", encoding="utf-8")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}",
                             "--log-level", "warning", "webapp:create_app()"],
                            env={**os.environ, "INSTANCE_PATH": tmp}, cwd=str(Path(__file__).resolve().parent.parent))
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    try:
        for _ in range(150):
            try:
                page = session.get(base + "/login", timeout=120)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        import re

        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
        r = session.post(base + "/login", data={"username": "helper000", "password": PASSWORD, "csrf_token": token},
                         allow_redirects=False)
        assert r.status_code == 302, r.status_code
    except BaseException:
        proc.terminate()
        proc.wait(10)
        raise

    def http():
        r = session.get(base + url)
        assert r.status_code == 200 and r.content[:5] == b"%PDF-", r.status_code

    return proc, http


def medians(fns: dict, repeats: int) -> dict[str, tuple[float, float]]:
    """(wall, CPU) median of each function, run interleaved so background load hits them alike.
    CPU time (this process) is what the work costs when the machine is otherwise idle."""
    for fn in fns.values():
        fn(), fn()  # warm-up: fonts, caches
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t, c = time.perf_counter(), time.process_time()
            fn()
            times[name].append((time.perf_counter() - t, time.process_time() - c))
    return {name: (statistics.median(w for w, _ in ts), statistics.median(c for _, c in ts))
            for name, ts in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--helpers", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--skip-batch", action="store_true")
    ap.add_argument("--no-gunicorn", action="store_true", help="skip the HTTP measurement through gunicorn")
    args = ap.parse_args()

    load_before = f"{os.getloadavg()[0]:.2f}"
    tmp = tempfile.mkdtemp(prefix="bangfu-bench-pdf-")
    os.environ["INSTANCE_PATH"] = tmp
    os.environ["HUEY_SQLITE_PATH"] = str(Path(tmp) / "huey.sqlite")
    from pypdf import PdfReader

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import PrintJob, User
    from webapp.services import storage
    from webapp.services.printing import diary as print_diary
    from webapp.services.printing import documents as print_docs
    from webapp.services.printing import jobs as printjobs
    from webapp.services.printing import render as pdf_render
    from webapp.web import rules as app_rules

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                      "UPLOAD_DIR": f"{tmp}/uploads", "PDF_WORKERS": args.workers, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        import logging

        from flask_migrate import upgrade
        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade()
        t = time.perf_counter()
        admin_id = seed(args.helpers)
        print(f"seeded {args.helpers} helpers × 4 visits × 2 photos in {time.perf_counter() - t:.1f} s ({tmp})")
        helper = db.session.scalar(db.select(User).where(User.username == "helper000"))
        helper_id = helper.id

    # --- one diary: the route vs WeasyPrint on the same HTML --------------------------------------
    client = app.test_client()
    resp = client.post("/login", data={"username": "helper000", "password": PASSWORD})
    assert resp.status_code == 302, resp.status_code
    url = f"/reports/diary/{helper_id}/{MONTH}.pdf"
    body = client.get(url).data
    reader = PdfReader(io.BytesIO(body))
    images = {ref.idnum for page in reader.pages
              for ref in (page["/Resources"].get("/XObject") or {}).values()
              if ref.get_object().get("/Subtype") == "/Image"}

    def route():
        r = client.get(url)
        assert r.status_code == 200, (r.status_code, r.get_data(as_text=True)[:300])

    with app.test_request_context():
        doc = print_diary.diary_document(db.session.get(User, helper_id), MONTH)
        thumb_bytes = sum(len(print_docs.read_thumb(k) or b"") for k in doc.thumb_keys)

    def weasy():
        with app.app_context():  # the fetcher reads thumbnails from the app's storage
            pdf_render.render_pdf(doc.html, pdf_render.AppURLFetcher(print_docs.read_thumb))

    def html():
        with app.test_request_context():
            print_diary.diary_document(db.session.get(User, helper_id), MONTH)

    fns = {"route": route, "weasy": weasy, "html": html}
    server = None
    if not args.no_gunicorn:
        server, http = start_gunicorn(tmp, url)
        fns["http"] = http
    try:
        m = medians(fns, args.repeats)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    (route_s, route_c), (weasy_s, weasy_c), (html_s, html_c) = m["route"], m["weasy"], m["html"]

    print(f"load average before: {load_before}; now: {os.getloadavg()[0]:.2f}")
    print(f"one diary: {len(reader.pages)} pages, {len(images)} thumbnails ({thumb_bytes / 1024:.0f} KiB), "
          f"PDF {len(body) / 1024:.0f} KiB   target ≤ 1 MB")
    print("                       wall median   CPU median")
    print(f"  route (test client)  {route_s * 1000:8.1f} ms  {route_c * 1000:8.1f} ms   target ≤ 300 ms")
    if "http" in m:
        http_s = m["http"][0]
        print(f"  route (gunicorn HTTP){http_s * 1000:8.1f} ms      (other process)   "
              f"{http_s / weasy_s:.2f}× WeasyPrint")
    print(f"  WeasyPrint alone     {weasy_s * 1000:8.1f} ms  {weasy_c * 1000:8.1f} ms")
    print(f"  queries + template   {html_s * 1000:8.1f} ms  {html_c * 1000:8.1f} ms")
    print(f"  route / WeasyPrint   {route_s / weasy_s:8.2f}×    {route_c / weasy_c:8.2f}×      target ≤ 1.30×")
    if args.skip_batch:
        return

    # --- the batch: N diaries, one merged PDF with a bookmark each --------------------------------
    with app.test_request_context():
        admin = db.session.get(User, admin_id)
        job, _ = printjobs.start(admin, MONTH, None, "pdf")
        job_id = job.id
        db.session.commit()
        t, c = time.perf_counter(), time.process_time()
        with ProcessSampler() as sampler:
            printjobs.run(job_id, app_rules.printing())
        batch_s, parent_c = time.perf_counter() - t, time.process_time() - c
        job = db.session.get(PrintJob, job_id)
        assert job.status == "done", job.error
        with storage.get().open(job.result_key) as fh:
            merged = fh.read()
    merged_reader = PdfReader(io.BytesIO(merged))
    bookmarks = [o for o in merged_reader.outline if not isinstance(o, list)]
    child_c = sum(sampler.cpu.values())
    worker_rss = sorted(sampler.rss.values())
    print(f"batch of {job.total} diaries with {args.workers} worker processes (cores: {os.cpu_count()}):")
    print(f"  {batch_s:.1f} s end to end   target ≤ 40 s   ({batch_s / job.total * 1000:.0f} ms per diary)")
    print(f"  {len(merged_reader.pages)} pages, {len(bookmarks)} bookmarks, {len(merged) / 2**20:.1f} MiB "
          f"({len(merged) / job.total / 1024:.0f} KiB per diary)")
    print(f"  CPU: job process {parent_c:.1f} s + other processes {child_c:.1f} s (sampled) "
          f"→ {(parent_c + child_c) / os.cpu_count():.1f} s on {os.cpu_count()} idle cores")
    print(f"  {len(sampler.pids)} processes besides the job (fork server + workers); largest RSS "
          f"{worker_rss[-1]:.0f} MiB, median {statistics.median(worker_rss):.0f} MiB; load average now {os.getloadavg()[0]:.2f}")

if __name__ == "__main__":
    main()

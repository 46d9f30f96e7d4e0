"""A printed document for a web request is bounded: rendered in a separate process, one
per user at a time, N per server, within a time and a page limit, with Chinese answers otherwise."""
import io
import os
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests
from pypdf import PdfReader

from tests.support import factories as f
from webapp.extensions import db
from webapp.services.printing import pool as pdf_pool
from webapp.services.printing import render as pdf_render

MONTH = "2026-03"
CST = timezone(timedelta(hours=8))


def url(uid: int) -> str:
    return f"/reports/diary/{uid}/{MONTH}.pdf"


def limits(app) -> pdf_pool.Limits:
    return pdf_pool.limits_from(app.config, app.instance_path)


def long_month(app, world, days: int, per_day: int = 2, chars: int = 1500):
    """h1's March with long notes (a diary of many pages)."""
    rng = random.Random(7)
    words = [chr(c) for c in range(0x4e00, 0x4e00 + 2000)]
    with app.app_context():
        for d in range(days):
            for k in range(per_day):
                text = "".join(rng.choice(words) for _ in range(chars))
                f.visit_row(world["h1"], world["hh1"], datetime(2026, 3, d + 1, 9 + k, tzinfo=CST), notes=text)
        db.session.commit()


def test_the_diary_is_not_rendered_in_the_request_process(app, client, world, monkeypatch):
    def in_request_worker(*args, **kwargs):
        raise AssertionError("WeasyPrint ran in the request worker")

    monkeypatch.setattr(pdf_render, "render_pdf", in_request_worker)  # this process only, not the render process
    client.login("h1")
    resp = client.get(url(world["h1"]))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert f'filename="diary-{world["h1"]}-{MONTH}.pdf"' in resp.headers["Content-Disposition"]
    assert len(PdfReader(io.BytesIO(resp.data)).pages) == 1
    client.login("sec1")
    assert client.get(f"/reports/attendance/{world['v1']}/{MONTH}.pdf").status_code == 200


def test_one_document_per_user_at_a_time(app, client, make_client, world):
    app.config["PDF_RENDER_SLOTS"] = 2  # the document held below takes one
    client.login("h1")
    with pdf_pool.reserved(limits(app), world["h1"]):  # h1's previous document is still being made
        resp = client.get(url(world["h1"]))
        assert resp.status_code == 429
        assert "正在生成，请稍后再试" in resp.get_data(as_text=True)
        assert resp.headers["Retry-After"] == "10"
        other = make_client()
        other.login("sec1")  # someone else is not held up by h1
        assert other.get(url(world["h1"])).status_code == 200
    assert client.get(url(world["h1"])).status_code == 200


def test_no_free_slot_answers_503_after_a_short_wait(app, client, world):
    app.config.update(PDF_RENDER_SLOTS=2, PDF_SLOT_WAIT_SECONDS=0.3)
    lim = limits(app)
    lim.lock_dir.mkdir(parents=True, exist_ok=True)
    held = [pdf_pool._try_lock(lim.lock_dir / f"slot-{n}.lock") for n in range(2)]  # two renders elsewhere
    try:
        client.login("h1")
        resp = client.get(url(world["h1"]))
        assert resp.status_code == 503 and "正在生成的文档较多，请稍后再试" in resp.get_data(as_text=True)
        os.close(held.pop())  # one finishes
        assert client.get(url(world["h1"])).status_code == 200
    finally:
        for fd in held:
            os.close(fd)


def test_a_render_beyond_the_time_limit_is_stopped(app, client, world):
    long_month(app, world, days=10)  # ≈ 20 pages: seconds of layout
    app.config["PDF_RENDER_TIMEOUT_SECONDS"] = 0.3
    client.login("h1")
    resp = client.get(url(world["h1"]))
    assert resp.status_code == 503 and "文档生成超时" in resp.get_data(as_text=True)
    import multiprocessing

    assert not [p for p in multiprocessing.active_children() if p.name == "bangfu-pdf"]
    # the locks were given back: the next request gets its turn
    app.config["PDF_RENDER_TIMEOUT_SECONDS"] = 300
    assert client.get(url(world["h1"])).status_code == 200


def test_a_document_beyond_the_page_limit_is_refused(app, client, world):
    long_month(app, world, days=3)
    app.config["PDF_MAX_PAGES"] = 2
    client.login("h1")
    resp = client.get(url(world["h1"]))
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "超过一次可打印的 2 页" in body and "Traceback" not in body


def test_parallel_requests_of_one_user_get_one_render(app, world, live_server):
    """8 requests at once from one helper's session for a long diary: one is rendered, the others
    answered 429 at once (a real threaded server, so the requests overlap)."""
    long_month(app, world, days=10)
    s = requests.Session()
    token = s.get(f"{live_server}/api/v1/csrf").json()["csrf_token"]
    assert s.post(f"{live_server}/login", data={"username": "h1", "password": f.PASSWORD, "csrf_token": token},
                  allow_redirects=False).status_code == 302
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: s.get(f"{live_server}{url(world['h1'])}", timeout=120), range(8)))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) >= 1 and set(codes) <= {200, 429}
    assert codes.count(429) >= 4, codes  # at most a few finish before the next arrives
    ok = next(a for a in answers if a.status_code == 200)
    assert ok.content.startswith(b"%PDF") and len(PdfReader(io.BytesIO(ok.content)).pages) > 5


@pytest.mark.parametrize("setting, value", [("PDF_RENDER_SLOTS", 0), ("PDF_RENDER_SLOTS", 3)])
def test_slots_setting(app, setting, value):
    app.config[setting] = value
    assert limits(app).slots == (value or max(2, (os.cpu_count() or 1) // 2))

"""Page weight on a weak signal: bytes a phone moves for the login page and for login → home.

Starts the app on a threaded server on 127.0.0.1 (scratch instance, SQLite, the demo township), opens
Debian's Chromium on a 360×640 phone with Playwright and logs in as the demo helper `helper01`.

Two counts:
- the page's own requests, from the DevTools protocol (Network.loadingFinished encodedDataLength:
  headers and body as they came over the wire);
- everything the server sent, counted below Flask (status line, headers, body): this includes the
  service worker's precache and the pages the worker keeps for offline use, which the page's
  DevTools session does not see.

    python bench/page_weight.py            # with gzip (the app's default)
    python bench/page_weight.py --compare  # also without (GZIP_RESPONSES = False), for the ratio

Goals (issue "Light on a weak signal"): login page ≤ 40 KB, login → home incl. precache ≤ 150 KB.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GOAL_LOGIN_KB = 40
GOAL_HOME_KB = 150


class ByteCounter:
    """WSGI middleware: bytes of every response (status line, headers, body) by path."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.lock = threading.Lock()
        self.by_path: dict[str, int] = defaultdict(int)

    def total(self) -> int:
        with self.lock:
            return sum(self.by_path.values())

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.by_path)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING") and not path.startswith("/static/"):
            path += "?" + environ["QUERY_STRING"]

        def counting_start(status, headers, exc_info=None):
            n = len(f"HTTP/1.1 {status}\r\n") + sum(len(k) + len(v) + 4 for k, v in headers) + 2
            with self.lock:
                self.by_path[path] += n
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, counting_start)
        try:
            for chunk in body:
                with self.lock:
                    self.by_path[path] += len(chunk)
                yield chunk
        finally:
            if hasattr(body, "close"):
                body.close()


def make_app(tmp: Path, gzip_on: bool):
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")
    from webapp import create_app
    from webapp.extensions import db
    from webapp.services import demo
    from webapp.web import rules as app_rules

    app = create_app({
        "SECRET_KEY": "bench-page-weight",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite'}",
        "UPLOAD_DIR": str(tmp / "uploads"),
        "HUEY_IMMEDIATE": True,
        "GZIP_RESPONSES": gzip_on,
    })
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        demo.seed(app_rules.current())
        db.session.commit()
        db.session.remove()
    return app


def serve(app):
    from werkzeug.serving import make_server

    counter = ByteCounter(app.wsgi_app)
    app.wsgi_app = counter
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, counter, f"http://127.0.0.1:{server.server_port}"


def settle(counter: ByteCounter, quiet: float = 1.5, limit: float = 30) -> None:
    """Wait until the server has sent nothing for `quiet` seconds (worker install, offline warm-up)."""
    end = time.time() + limit
    last, since = counter.total(), time.time()
    while time.time() < end:
        time.sleep(0.25)
        now = counter.total()
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= quiet:
            return


def measure(browser, base: str, counter: ByteCounter, password: str) -> dict:
    context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=base)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    page_bytes = {"n": 0}
    cdp.on("Network.loadingFinished", lambda e: page_bytes.__setitem__("n", page_bytes["n"] + e["encodedDataLength"]))

    start = counter.total()
    page.goto("/login", wait_until="load")
    page.wait_for_load_state("networkidle")
    login_page_cdp = page_bytes["n"]
    login_page_server = counter.total() - start
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    settle(counter)
    login_with_worker = counter.total() - start

    page.fill("input[name=username]", "helper01")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.wait_for_load_state("networkidle")
    settle(counter)
    home_cdp = page_bytes["n"]
    total = counter.total() - start
    paths = counter.snapshot()
    context.close()
    return {"login_page_cdp": login_page_cdp, "login_page_server": login_page_server,
            "login_with_worker": login_with_worker, "home_cdp": home_cdp, "total": total,
            "url": page.url, "paths": paths}


def run(gzip_on: bool) -> dict:
    from playwright.sync_api import sync_playwright

    from webapp.services import demo

    with tempfile.TemporaryDirectory(prefix="bangfu-weight-") as tmp:
        app = make_app(Path(tmp), gzip_on)
        server, counter, base = serve(app)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    return measure(browser, base, counter, demo.PASSWORD)
                finally:
                    browser.close()
        finally:
            server.shutdown()


def kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def report(label: str, r: dict) -> None:
    print(f"== {label}")
    print(f"login page (page's requests, DevTools)        {kb(r['login_page_cdp']):>10}   goal ≤ {GOAL_LOGIN_KB} KB")
    print(f"login page (server, before the worker)        {kb(r['login_page_server']):>10}")
    print(f"login page + service worker precache (server) {kb(r['login_with_worker']):>10}")
    print(f"login → home, page's requests (DevTools)      {kb(r['home_cdp']):>10}")
    print(f"login → home incl. precache and offline pages {kb(r['total']):>10}   goal ≤ {GOAL_HOME_KB} KB")
    print(f"ended on {r['url']}")
    top = sorted(r["paths"].items(), key=lambda kv: -kv[1])[:14]
    print("largest: " + ", ".join(f"{p} {kb(n)}" for p, n in top))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--compare", action="store_true", help="also measure with GZIP_RESPONSES = False")
    args = ap.parse_args()
    on = run(True)
    report("gzip (default)", on)
    if args.compare:
        off = run(False)
        report("no compression (GZIP_RESPONSES = False)", off)
        print(f"ratio login page {on['login_page_cdp'] / off['login_page_cdp']:.2f}, "
              f"login → home {on['total'] / off['total']:.2f}")
    ok = on["login_page_cdp"] <= GOAL_LOGIN_KB * 1024 and on["total"] <= GOAL_HOME_KB * 1024
    print("goals met" if ok else "goals NOT met")


if __name__ == "__main__":
    main()

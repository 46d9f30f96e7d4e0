"""Cross-site scripting: hostile text entered through the app's own forms and APIs (roster import,
user accounts, visits, measures, reviews, leave) comes out escaped on every page and fragment that
shows it, and literally (as text, nothing fetched) in the printed PDFs.

A page passes when, parsed as HTML:
- no element has an event-handler attribute (on*) or hx-on*, and no attribute other than the
  text-bearing ones (value, title, alt, placeholder, aria-label, data-household-label) carries a
  payload's marker (xssNN): so no hx-get, src, href, action, data-hx-* … comes from user text;
- no inline <script>, no script from outside /static/, no <iframe>, <object>, <embed>, <base>,
  <style>, <svg>, <math>, no javascript: URL;
- no payload with a character that needs escaping occurs verbatim in the source, and the text the
  page shows (entities decoded) contains the payloads it is expected to show.
"""
import io
import re
import unicodedata
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.support.factories import citizen_id
from tests.support.roster_files import household_row, upload, xlsx_bytes
from tests.support.visit_data import visit_body
from webapp.extensions import db
from webapp.models import Household, Leave, Measure, User
from webapp.services.calendar import local_today, month_key

from .conftest import login

PAYLOADS = [
    '<script>alert("xss01")</script>',
    '"><img src=x onerror=alert("xss02")>',
    "'><svg onload=alert('xss03')>",
    '<div hx-get="/xss04" hx-trigger="load">x</div>',
    '<button hx-post="/logout?xss05" hx-trigger="load">b</button>',
    "<b hx-on:click=\"alert('xss06')\">b</b>",
    "<i hx-on::load=\"alert('xss07')\">i</i>",
    "<a href=\"javascript:alert('xss08')\">x</a>",
    "javascript:alert('xss09')",
    "{{7*7}}xss10",
    "{{ config.SECRET_KEY }}xss11",
    "{% for x in range(3) %}xss12{% endfor %}",
    "${7*7}#{7*7}xss13",
    '<iframe src="//evil.example/xss14"></iframe>',
    '<body onload=alert("xss15")>',
    '<style>@import "//evil.example/xss16.css";</style>',
    "<link rel=stylesheet href=//evil.example/xss17.css>",
    '<meta http-equiv=refresh content="0;url=//evil.example/xss18">',
    '<base href="//evil.example/xss19/">',
    '</textarea><script>alert("xss20")</script>',
    '</title><script>alert("xss21")</script>',
    '<!--<script>alert("xss22")//-->',
    '＜script＞alert("xss23")＜/script＞',
    "张三\u202egpj.xss24.exe",
    '<scr\u200bipt>alert("xss25")</scr\u200bipt>',
    '%3Cscript%3Ealert("xss26")%3C/script%3E',
    '&lt;script&gt;alert("xss27")&lt;/script&gt;',
    '<svg><animate onbegin=alert("xss28") attributeName=x>',
    '<x data-hx-get="/xss29" data-hx-trigger="load">x</x>',
    "<div hx-vals='{\"xss30\":1}' hx-post=\"/logout\">d</div>",
    "\" autofocus onfocus=\"alert('xss31')",
    "' onmouseover='alert(`xss32`)",
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">xss33',
    "<a href=\"&#106;avascript:alert('xss34')\">j</a>",
    '<form action="//evil.example/xss35"><input name=csrf_token>',
    "<math><mtext><table><mglyph><style><img src=x onerror=xss36>",
]
MARKER = re.compile(r"xss\d\d")
TEXT_ATTRS = {"value", "title", "alt", "placeholder", "aria-label", "data-household-label"}
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "style", "svg", "math", "frame", "frameset", "applet", "xmp"}
NEEDS_ESCAPING = set("<>&\"'")


def chunks(items: list[str], limit: int) -> list[str]:
    """Join payloads with newlines into texts of at most `limit` characters."""
    out, cur = [], ""
    for p in items:
        if cur and len(cur) + 1 + len(p) > limit:
            out.append(cur)
            cur = ""
        cur = f"{cur}\n{p}" if cur else p
    return out + [cur]


# --- reading a page ---------------------------------------------------------------------------------

class Scan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script: list | None = None

    def handle_starttag(self, tag, attrs):
        where = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attrs)[:160]}>"
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"forbidden element {where}")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"event handler attribute {where}")
            if MARKER.search(value) and name not in TEXT_ATTRS:
                self.problems.append(f"user text in attribute {name!r}: {where}")
            if MARKER.search(name):
                self.problems.append(f"user text as an attribute name: {where}")
            if name in ("href", "src", "action", "formaction", "hx-get", "hx-post") and \
                    re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "data:text/html")):
                self.problems.append(f"script URL {where}")
        attrs_d = dict(attrs)
        if tag == "script":
            src = attrs_d.get("src")
            if not src:
                self._script = []
            elif not src.startswith("/static/"):
                self.problems.append(f"script from elsewhere {where}")
        if tag == "link" and (attrs_d.get("href") or "/").startswith("//"):
            self.problems.append(f"link to elsewhere {where}")
        if tag == "meta" and "http-equiv" in attrs_d:
            self.problems.append(f"meta http-equiv {where}")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            body = "".join(self._script).strip()
            if body:
                self.problems.append(f"inline script: {body[:120]!r}")
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)


def problems_in(html: str, expected: list[str] = ()) -> list[str]:
    scan = Scan()
    scan.feed(html)
    scan.close()
    out = list(scan.problems)
    for p in PAYLOADS:
        if NEEDS_ESCAPING & set(p) and p in html:
            out.append(f"payload not escaped: {p!r}")
    shown = unescape(html)
    out += [f"payload not shown: {p!r}" for p in expected if p not in shown]
    if "test-secret" in html:
        out.append("the secret key was rendered")
    return out


class Crawl:
    """GETs and POSTs as some user; every HTML answer is checked and the problems kept."""

    def __init__(self, app, make_client):
        self.app, self.make_client = app, make_client
        self.clients: dict = {}
        self.problems: list[str] = []
        self.pages = 0

    def client(self, who):
        if who not in self.clients:
            c = self.make_client()
            if who:
                login(c, self.app, who)
            self.clients[who] = c
        return self.clients[who]

    def check(self, who, resp, label, expected=()):
        assert resp.status_code < 500, label
        if resp.mimetype != "text/html":
            return resp
        self.pages += 1
        for p in problems_in(resp.get_data(as_text=True), expected):
            self.problems.append(f"{who} {label} [{resp.status_code}]: {p}")
        return resp

    def get(self, who, url, expected=(), htmx=False):
        headers = {"HX-Request": "true"} if htmx else {}
        resp = self.client(who).get(url, headers=headers)
        assert resp.status_code in (200, 422), (who, url, resp.status_code)
        return self.check(who, resp, ("htmx " if htmx else "") + url, expected)

    def post(self, who, url, data, expected=(), htmx=False, **kw):
        headers = {"HX-Request": "true"} if htmx else {}
        resp = self.client(who).post(url, data=data, headers=headers, **kw)
        return self.check(who, resp, f"POST {url}", expected)


# --- putting the payloads in through the app ------------------------------------------------------

@pytest.fixture
def poisoned(app, world, make_client):
    """Every payload entered where people type text, through the app's forms and APIs."""
    crawl = Crawl(app, make_client)
    admin, h1, sec1, team1 = (crawl.client(u) for u in ("admin", "h1", "sec1", "team1"))
    assert all(len(p) <= 64 for p in PAYLOADS)  # fits names (户主姓名, 姓名 ≤ 64)

    # accounts: display names through the admin form (a few: each hashes a password) and directly
    for i, p in enumerate(PAYLOADS[:4]):
        role, extra = ("team_member", {"village_id": str(world["v1"])}) if i == 3 else ("helper", {})
        resp = admin.post("/admin/users", data={"username": f"x{i}", "display_name": p, "role": role,
                                                "password": "long-enough-1", **extra})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    with app.app_context():
        from tests.support import factories
        from webapp.models import Unit

        unit = db.session.get(Unit, world["unit"])
        for i, p in enumerate(PAYLOADS[4:], start=4):
            factories.user(unit, f"x{i}", "helper", name=p)
        db.session.commit()
        db.session.remove()

    # households: head names, addresses, villages and members through a roster import (.xlsx)
    rows, members = [], []
    for i, p in enumerate(PAYLOADS):
        village = p if i in (1, 3, 5) else "东村"
        helper = "h1" if i in (0, 1, 2) else ("x0" if i in (3, 4) else "")
        row = household_row(**{"户主姓名": p, "身份证号": citizen_id("19700101"), "村名": village,
                               "家庭住址": f"{p} 门牌", "帮扶责任人": helper, "联系电话": ""})
        rows.append(row)
        if i < 6:
            members.append({"户主身份证号": row["身份证号"], "姓名": PAYLOADS[-1 - i], "与户主关系": "子女",
                            "出生日期": "2014-03-01", "在读学段": "小学", "就读学校": PAYLOADS[i]})
    preview, resp = upload(admin, xlsx_bytes(rows, members), "花名册.xlsx", create_villages="1")
    assert resp is not None and resp.status_code == 200, preview.get_data(as_text=True)[:2000]
    crawl.check("admin", preview, "roster import preview")
    crawl.check("admin", resp, "roster import result")
    with app.app_context():
        poisoned_ids = db.session.scalars(select(Household.id).where(Household.head_name.in_(PAYLOADS))).all()
        mine = db.session.scalars(select(Household.id).where(Household.head_name.in_(PAYLOADS[:3]))).all()
        db.session.remove()
    assert len(poisoned_ids) == len(PAYLOADS)

    # measures on hh1 (the helper's own), one per payload, through the form
    for p in PAYLOADS:
        resp = h1.post(f"/households/{world['hh1']}/measures", data={"category": "产业", "title": p, "due_date": ""})
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    with app.app_context():
        measure_ids = db.session.scalars(select(Measure.id).where(Measure.household_id == world["hh1"])).all()
        db.session.remove()

    # visits through the API: notes/problems/next steps carry every payload; checklist notes too
    all_text = "\n".join(PAYLOADS)
    visit_ids = []
    comments = chunks(PAYLOADS, 500)
    for n, comment in enumerate(comments):
        body = visit_body(world["hh1"], notes=all_text, problems=all_text, next_steps=all_text,
                          checklist={"food": {"ok": False, "note": chunks(PAYLOADS, 500)[0]},
                                     "water": {"ok": True, "note": chunks(PAYLOADS, 500)[-1]}},
                          measures_done=measure_ids if n == 0 else [])
        resp = h1.post("/api/v1/visits", json=body)
        assert resp.status_code == 201, resp.get_json()
        visit_ids.append(resp.get_json()["id"])
    # the first secretary's review comments (批注 / 退回整改), each a chunk of payloads
    for vid, comment in zip(visit_ids, comments):
        resp = sec1.post(f"/village/visits/{vid}/review", data={"action": "returned", "comment": comment},
                         headers={"HX-Request": "true"})
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        crawl.check("sec1", resp, "review fragment", expected=comment.split("\n"))

    # leave requests with payload reasons; one refused with a payload comment
    with app.app_context():
        today = local_today()
    leave_reasons = chunks(PAYLOADS, 500)
    for n, reason in enumerate(leave_reasons):
        start = today + timedelta(days=3 + 3 * n)
        resp = team1.post("/attendance/leave", data={"start_date": start.isoformat(), "end_date": start.isoformat(),
                                                     "kind": "事假", "reason": reason})
        assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    with app.app_context():
        leave_ids = db.session.scalars(select(Leave.id).order_by(Leave.id)).all()
        db.session.remove()
    resp = sec1.post(f"/attendance/leave/{leave_ids[0]}/decide", data={"decision": "reject", "comment": leave_reasons[-1]},
                     headers={"HX-Request": "true"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    crawl.check("sec1", resp, "leave decision fragment", expected=leave_reasons[-1].split("\n"))

    with app.app_context():
        helper_ids = {u.username: u.id for u in db.session.scalars(select(User))}
        db.session.remove()
    return {"crawl": crawl, "households": poisoned_ids, "mine": mine, "visits": visit_ids,
            "leaves": leave_ids, "users": helper_ids, "world": world}


# --- the tests ------------------------------------------------------------------------------------

def test_at_least_30_payloads():
    assert len(PAYLOADS) >= 30 and len(set(PAYLOADS)) == len(PAYLOADS)
    assert len({MARKER.search(p).group() for p in PAYLOADS if MARKER.search(p)}) >= 30
    assert any("hx-get" in p for p in PAYLOADS) and any("hx-on" in p for p in PAYLOADS)


def test_payloads_are_escaped_on_every_page(app, poisoned):
    c, w = poisoned["crawl"], poisoned["world"]
    users, vid = poisoned["users"], poisoned["visits"][0]
    with app.app_context():
        month = month_key(local_today())
    everything = PAYLOADS
    names = PAYLOADS  # head names, display names

    # the helper
    c.get("h1", "/", expected=PAYLOADS[:3])
    for hid in poisoned["mine"]:
        c.get("h1", f"/households/{hid}")
        c.get("h1", f"/households/{hid}/visits/new")
    c.get("h1", f"/households/{w['hh1']}", expected=everything)
    c.get("h1", f"/households/{w['hh1']}/visits", expected=PAYLOADS[:1])  # notes shortened in the list
    c.get("h1", f"/households/{w['hh1']}/visits", htmx=True, expected=PAYLOADS[:1])
    c.get("h1", f"/households/{w['hh1']}/measures", expected=everything)
    c.get("h1", f"/households/{w['hh1']}/measures", htmx=True, expected=everything)
    c.get("h1", f"/households/{w['hh1']}/visits/new")
    for v in poisoned["visits"]:
        c.get("h1", f"/visits/{v}", expected=everything)
    c.get("h1", "/visits/month")
    c.get("h1", "/visits/month", htmx=True)
    c.get("h1", "/reviews/", expected=everything)
    c.get("h1", "/performance/me")
    c.get("h1", "/reports/")
    c.get("h1", "/account")
    # a helper with a hostile display name sees their own pages
    c.get("x0", "/", expected=[PAYLOADS[0]])
    c.get("x0", "/account", expected=[PAYLOADS[0]])
    c.get("x0", "/performance/me")

    # the village team
    c.get("team1", "/village/", expected=PAYLOADS[:1])
    c.get("team1", "/attendance/")
    c.get("team1", "/attendance/leave", expected=everything)
    c.get("team1", "/attendance/leave", htmx=True, expected=everything)
    c.get("team1", "/attendance/calendar")
    c.get("x3", "/attendance/", expected=[PAYLOADS[3]])

    # the first secretary
    c.get("sec1", "/village/", expected=[p for i, p in enumerate(PAYLOADS) if i not in (1, 3, 5)])
    c.get("sec1", "/village/team", expected=[PAYLOADS[3]])
    c.get("sec1", "/village/team", htmx=True, expected=[PAYLOADS[3]])
    c.get("sec1", f"/village/team/{users['team1']}/calendar")
    c.get("sec1", "/village/helpers", expected=PAYLOADS[:1])
    c.get("sec1", "/attendance/approvals", expected=everything)
    c.get("sec1", "/performance/village")
    for v in poisoned["visits"]:
        c.get("sec1", f"/visits/{v}", expected=everything)
    c.get("sec1", f"/households/{w['hh1']}", expected=everything)

    # the office
    for url in ("/admin/", "/admin/villages", "/admin/pairings", "/performance/unit", "/performance/unit/quarter",
                "/performance/spot-checks", "/attendance/approvals", "/reports/"):
        c.get("admin", url)
    # the long lists come a page at a time: every payload on one of the pages
    for url, want in (("/admin/users", names), ("/admin/pairings", PAYLOADS)):
        shown = " ".join(unescape(c.get("admin", f"{url}?page={n}").get_data(as_text=True)) for n in (1, 2, 3, 4))
        c.problems += [f"admin {url}: payload not shown on any page: {p!r}" for p in want if p not in shown]
    c.get("admin", "/admin/users?q=x", htmx=True)
    c.get("admin", "/admin/villages", expected=[PAYLOADS[i] for i in (1, 3, 5)])
    c.get("admin", "/performance/unit", expected=PAYLOADS[:1])
    c.get("admin", "/performance/unit", htmx=True, expected=PAYLOADS[:1])
    c.get("admin", f"/performance/helpers/{users['x0']}?month={month}", expected=PAYLOADS[:1])
    c.get("admin", f"/performance/helpers/{users['x0']}/year", expected=PAYLOADS[:1])
    c.get("admin", f"/village/team?village_id={w['v1']}", expected=[PAYLOADS[3]])
    c.get("admin", f"/village/helpers?village_id={w['v1']}")
    for hid in poisoned["households"]:
        c.get("admin", f"/households/{hid}")
    c.get("admin", f"/visits/{vid}", expected=everything)
    c.get("admin", f"/visits/month?helper_id={users['h1']}", expected=everything[:0])

    assert c.pages >= 70, c.pages
    assert not c.problems, "\n".join(c.problems[:40])


def test_payloads_echoed_by_forms_and_errors_are_escaped(app, poisoned):
    """Forms re-rendered with what was typed (validation errors), and the login page."""
    c, w = poisoned["crawl"], poisoned["world"]
    for p in PAYLOADS:
        # a measure with a bad category: the form comes back with the title typed
        resp = c.post("h1", f"/households/{w['hh1']}/measures", {"category": p, "title": p, "due_date": p}, htmx=True)
        assert resp.status_code == 200
    for p in PAYLOADS[:8]:
        resp = c.post("admin", "/admin/users", {"username": p, "display_name": p, "role": p, "password": "x"})
        assert resp.status_code == 422
        resp = c.post("team1", "/attendance/leave", {"start_date": p, "end_date": p, "kind": p, "reason": p}, htmx=True)
        assert resp.status_code == 200
        resp = c.post("sec1", f"/village/visits/{poisoned['visits'][0]}/review", {"action": p, "comment": p}, htmx=True)
        assert resp.status_code == 200
        c.get(None, "/login?" + __import__("urllib.parse", fromlist=["urlencode"]).urlencode({"next": p}))
        resp = c.post(None, "/login", {"username": p, "password": "wrong", "next": p})
        assert resp.status_code in (401, 429)
    assert not c.problems, "\n".join(c.problems[:40])


def _pdf_text(data: bytes) -> str:
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return _norm(text)


def _norm(text: str) -> str:
    """Without whitespace and format characters (pypdf adds spaces at line wraps; RTL marks)."""
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")


def _printed(payload: str, text: str) -> bool:
    """The payload in the extracted text; after a right-to-left override (U+202E) the characters
    are laid out reversed, as a reader sees them."""
    if "\u202e" in payload:
        head, tail = payload.split("\u202e", 1)
        return _norm(head + tail[::-1]) in text or _norm(payload) in text
    return _norm(payload) in text


def test_pdfs_print_the_payloads_as_text_and_fetch_nothing(app, poisoned, monkeypatch):
    from webapp.services.printing import render as pdf_render

    fetched: list[str] = []
    original = pdf_render.AppURLFetcher.fetch

    def recording(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf_render.AppURLFetcher, "fetch", recording)
    c, users, w = poisoned["crawl"], poisoned["users"], poisoned["world"]
    with app.app_context():
        month = month_key(local_today())

    resp = c.client("h1").get(f"/reports/diary/{users['h1']}/{month}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = _pdf_text(resp.data)
    missing = [p for p in PAYLOADS if not _printed(p, text)]
    assert not missing, missing  # notes, problems, next steps, measures, comments: printed literally

    resp = c.client("admin").get(f"/reports/diary/{users['x0']}/{month}.pdf")
    assert resp.status_code == 200
    text = _pdf_text(resp.data)
    assert _norm(PAYLOADS[0]) in text                      # the helper's display name
    assert _norm(PAYLOADS[3]) in text and _norm(PAYLOADS[4]) in text  # their households' head names

    resp = c.client("sec1").get(f"/reports/attendance/{w['v1']}/{month}.pdf")
    assert resp.status_code == 200
    assert _norm(PAYLOADS[3]) in _pdf_text(resp.data)      # a team member's display name

    assert all(u.startswith((pdf_render.STATIC_PREFIX, pdf_render.THUMB_PREFIX)) for u in fetched), fetched
    assert not [u for u in fetched if "xss" in u or "evil" in u], fetched


def test_helpers_name_in_the_month_api_is_plain_json(app, poisoned):
    """The JSON API returns names as data (application/json, nosniff), never as HTML."""
    resp = poisoned["crawl"].client("admin").get("/api/v1/performance")
    assert resp.mimetype == "application/json"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    names = {h.get("display_name") or h.get("name") for h in resp.get_json()["helpers"]}
    assert PAYLOADS[0] in names, names


def test_no_template_marks_user_text_safe():
    """The escaping above holds because nothing opts out of it: no |safe, Markup or autoescape off."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "webapp"
    server = ("|safe", "| safe", "Markup(", "autoescape false", "autoescape=False", "hx-on", "render_template_string")
    browser = (".innerHTML", "insertAdjacentHTML", ".outerHTML", "document.write", "eval(", "new Function")
    hits = []
    for path in list(root.rglob("*.html")) + list(root.rglob("*.py")) + list(root.rglob("*.js")):
        if "vendor" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in browser if path.suffix == ".js" else server:
            if pattern in text:
                hits.append(f"{path.relative_to(root)}: {pattern}")
    assert not hits, hits


@pytest.mark.parametrize("html", [
    '<p><div hx-get="/xss04" hx-trigger="load">x</div></p>',
    "<p><b hx-on:click=\"alert('xss06')\">b</b></p>",
    '<p>"><img src=x onerror=alert("xss02")></p>',
    '<p><script>alert("xss01")</script></p>',
    '<p><a href="javascript:alert(1)">x</a></p>',
    '<input value=""><img src=x onerror=alert(1)>',
    '<p><x data-hx-get="/xss29">x</x></p>',
    '<p><style>@import "//evil.example/xss16.css";</style></p>',
])
def test_the_page_check_sees_an_unescaped_payload(html):
    """The page check above fails on markup that came through unescaped (so it can fail)."""
    assert problems_in(html)


def test_the_page_check_accepts_escaped_text_in_attributes():
    from markupsafe import escape

    html = "".join(f'<p title="{escape(p)}" data-household-label="{escape(p)}">{escape(p)}</p>' for p in PAYLOADS)
    assert problems_in(html, PAYLOADS) == []

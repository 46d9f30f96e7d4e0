"""Bad API input, property-based (hypothesis): wrong types, missing and unknown fields, huge
strings, NaN/Infinity, nested junk, non-JSON bodies, wrong content types, bad UUIDs, out-of-range
numbers, dates and ids.

Every answer is a 4xx from {400, 404, 409, 413, 415, 422} with `{"errors": {...}}` in Chinese, and
a refused value is named: the field itself (or `field.sub.path`), `_body` for a body that is not a
JSON object. Nothing is ever written: every table's row count and the file store are the same after
each request. Zero 5xx (the test client re-raises an unhandled exception, so a 500 fails too).

Generators produce only invalid input by construction (each strategy below says why its values are
wrong), and every property test checks, on its own, that it sent at least half of its examples
(together over 140 bad API inputs, about 300 when hypothesis runs them all).
"""
import json
import math
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tests.support.visit_data import jpeg, visit_body

from .conftest import checkin_body, has_chinese, login, state

ALLOWED = {400, 404, 409, 413, 415, 422}
SENT: Counter = Counter()


def fuzz(n: int):
    """n examples; the test fails unless at least n // 2 of them were sent (`_sent_enough`)."""
    conf = settings(max_examples=n, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.filter_too_much])

    def apply(test):
        test = conf(test)
        test.min_sent = n // 2
        return test
    return apply


@pytest.fixture(autouse=True)
def _sent_enough(request):
    """A property test that sent (almost) nothing proved nothing: each counts its own requests."""
    before = sum(SENT.values())
    yield
    sent, wanted = sum(SENT.values()) - before, getattr(request.function, "min_sent", 0)
    assert sent >= wanted, f"{request.function.__name__} sent {sent} bad inputs, fewer than {wanted}"


# --- what makes a value wrong ---------------------------------------------------------------------

def is_uuid(v) -> bool:
    try:
        uuid.UUID(v if isinstance(v, str) else "")
        return True
    except (ValueError, AttributeError, TypeError):
        return False


def as_number(v):
    """What marshmallow's Float would make of v (None when it refuses it)."""
    if isinstance(v, bool) or v is None or isinstance(v, (list, dict)):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def in_range(lo, hi):
    def ok(v) -> bool:
        f = as_number(v)
        return f is not None and lo <= f <= hi
    return ok


MB = 1024 * 1024
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=40))
junk = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=10)
not_a_string = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.lists(scalars, max_size=3),
                         st.dictionaries(st.text(max_size=5), scalars, max_size=3))
nul_or_surrogate = st.builds(lambda a, bad, b: a + bad + b, st.text(min_size=5, max_size=20),
                             st.sampled_from(["\x00", "\ud800", "\udfff", "\ud83d"]), st.text(max_size=20))
too_long = lambda n: st.builds(lambda ch, extra: ch * (n + 1 + extra), st.sampled_from(["字", "a", "<", "\u200b"]),  # noqa: E731
                               st.integers(0, 50))

bad_uuid = st.one_of(st.text(max_size=60).filter(lambda s: not is_uuid(s)), not_a_string,
                     st.sampled_from(["00000000-0000-0000-0000-00000000000g", "{" * 36, "urn:uuid:", "../../etc/passwd"]))
bad_id = st.one_of(st.integers(max_value=0), st.integers(min_value=2**31), st.integers(min_value=2**63, max_value=10**40),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.booleans(), st.none(),
                   st.lists(st.integers(), max_size=2))


def bad_coordinate(limit: float):
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: not in_range(-limit, limit)(f)),
        st.integers(min_value=int(limit) + 1), st.integers(max_value=-int(limit) - 1),
        st.just(10**400), st.just(-(10**400)),
        st.text(max_size=20).filter(lambda s: not in_range(-limit, limit)(s)),
        st.none(), st.booleans(), st.lists(st.floats(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.floats(), max_size=2),
    )


bad_accuracy = st.one_of(st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: not in_range(0, math.inf)(f)),
                         st.integers(max_value=-1), st.text(max_size=10).filter(lambda s: not in_range(0, math.inf)(s)),
                         st.none(), st.booleans(), st.lists(st.integers(), max_size=2))

offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


def outside_window(dt: datetime) -> bool:
    now = datetime.now(timezone.utc)
    try:
        utc = dt.astimezone(timezone.utc)
    except OverflowError:
        return True
    return utc > now + timedelta(minutes=30) or utc < now - timedelta(days=8)


bad_time = st.one_of(
    # aware but too early (offline window), in the future, or in years nobody records
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets)
    .filter(outside_window).map(lambda d: d.isoformat()),
    # no time zone
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)).map(lambda d: d.isoformat()),
    st.text(max_size=30).filter(lambda s: not s[:4].isdigit()),
    st.sampled_from(["2026-02-30T10:00:00+08:00", "2026-13-01T00:00:00Z", "9999-12-31T23:59:59-14:00",
                     "0001-01-01T00:00:00+14:00", "2026-05-06 08:30", "yesterday", "", "2026-05-06T25:00:00Z",
                     "+275760-09-13T00:00:00Z"]),
    not_a_string,
)

# a photo's capture time may be any time of the years 2000–2099, but must be an aware ISO time
bad_capture_time = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets)
    .filter(lambda d: not 2000 <= d.astimezone(timezone.utc).year <= 2099 if d.year not in (1, 9999) else True)
    .map(lambda d: d.isoformat()),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)).map(lambda d: d.isoformat()),
    st.text(min_size=1, max_size=30).filter(lambda s: not s[:4].isdigit()),
    st.sampled_from(["2026-02-30T10:00:00+08:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                     "2026-05-06 08:30", "1999-12-31T23:59:59Z", "2100-01-01T00:00:00Z"]),
)

# marshmallow's Boolean takes true/false, 1/0 and words such as "yes"/"off": these are none of them
TRUTHY = {"t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1", 1, True}
FALSY = {"f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0", 0, 0.0, False}
bad_bool = st.one_of(st.text(min_size=1, max_size=8), st.integers(2), st.floats(0.1, 0.9), st.lists(st.booleans(), max_size=2),
                     st.dictionaries(st.text(max_size=2), st.booleans(), max_size=1)).filter(
    lambda v: not isinstance(v, (str, int, float)) or v not in TRUTHY | FALSY)

CHECKLIST_CODES = ("food", "clothing", "education", "medical", "housing", "water")
bad_checklist = st.one_of(
    st.lists(scalars, max_size=3), st.text(max_size=10), st.integers(), st.none(),
    st.dictionaries(st.text(max_size=12).filter(lambda k: k not in CHECKLIST_CODES), st.fixed_dictionaries({"ok": st.booleans()}),
                    min_size=1, max_size=3),
    st.dictionaries(st.sampled_from(CHECKLIST_CODES), junk.filter(lambda v: not isinstance(v, dict)), min_size=1, max_size=2),
    st.dictionaries(st.sampled_from(CHECKLIST_CODES), st.fixed_dictionaries({"ok": bad_bool}), min_size=1, max_size=2),
    st.dictionaries(st.sampled_from(CHECKLIST_CODES), st.fixed_dictionaries({"ok": st.booleans(), "note": too_long(500)}),
                    min_size=1, max_size=1),
    st.dictionaries(st.sampled_from(CHECKLIST_CODES), st.fixed_dictionaries({"ok": st.booleans(), "extra": scalars}),
                    min_size=1, max_size=1),
)
bad_measures = st.one_of(
    st.text(max_size=10), st.integers(), st.none(), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.lists(bad_id.filter(lambda v: v is not None or True), min_size=1, max_size=4),
    st.lists(st.integers(1, 2**31 - 1), min_size=1, max_size=4),      # no such measure in this household
    st.lists(st.integers(1, 1000), min_size=101, max_size=120),        # too many
)
bad_subsidies = st.one_of(
    st.text(max_size=10), st.integers(), st.none(), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.lists(scalars, min_size=1, max_size=3),
    st.lists(st.fixed_dictionaries({"member_id": bad_id, "item": st.text(max_size=10), "answer": st.text(max_size=5)}),
             min_size=1, max_size=3),
    st.lists(st.fixed_dictionaries({"member_id": st.integers(1, 2**31 - 1), "item": st.text(max_size=10),
                                    "answer": st.sampled_from(["已享受", "未享受", "不适用"])}), min_size=1, max_size=3),
    st.lists(st.fixed_dictionaries({"item": st.text(max_size=10)}), min_size=1, max_size=2),
)
short_notes = st.text(max_size=8).filter(lambda s: len(s.strip()) < 5)

VISIT_BAD = {
    "client_uuid": bad_uuid,
    "household_id": bad_id,
    "checked_in_at": bad_time,
    "latitude": bad_coordinate(90),
    "longitude": bad_coordinate(180),
    "accuracy_m": bad_accuracy,
    "notes": st.one_of(short_notes, too_long(5000), nul_or_surrogate, not_a_string),
    "problems": st.one_of(too_long(5000), nul_or_surrogate, not_a_string),
    "next_steps": st.one_of(too_long(5000), nul_or_surrogate, not_a_string),
    "checklist": bad_checklist,
    "measures_done": bad_measures,
    "subsidies": bad_subsidies,
    "confirm_location": bad_bool,
}
VISIT_REQUIRED = ("client_uuid", "household_id", "checked_in_at", "latitude", "longitude", "accuracy_m", "notes")
VISIT_FIELDS = set(VISIT_BAD)

CHECKIN_BAD = {k: VISIT_BAD[k] for k in ("client_uuid", "checked_in_at", "latitude", "longitude", "accuracy_m")}


def mutation(bad: dict, required: tuple[str, ...], unknown_allowed: bool):
    """(changes, named): up to three fields given a wrong value, dropped, or an unknown field added."""
    one = st.one_of(
        st.sampled_from(sorted(bad)).flatmap(lambda f: bad[f].map(lambda v, f=f: ("set", f, v))),
        st.sampled_from(required).map(lambda f: ("drop", f, None)),
        *([st.text(min_size=1, max_size=15).filter(lambda k: k not in bad and k != "csrf_token")
           .flatmap(lambda k: junk.map(lambda v, k=k: ("add", k, v)))] if unknown_allowed else []),
    )
    return st.lists(one, min_size=1, max_size=3, unique_by=lambda m: m[1])


def apply(body: dict, changes) -> dict:
    body = dict(body)
    for kind, name, value in changes:
        if kind == "drop":
            body.pop(name, None)
        else:
            body[name] = value
    return body


# --- checking an answer ---------------------------------------------------------------------------

def check_refused(resp, named: set[str] | None) -> dict:
    assert resp.status_code in ALLOWED, (resp.status_code, resp.get_data(as_text=True)[:500])
    body = resp.get_json(silent=True)
    assert isinstance(body, dict) and isinstance(body.get("errors"), dict) and body["errors"], resp.get_data()[:300]
    errors = body["errors"]
    for key, messages in errors.items():
        assert isinstance(messages, list) and messages, errors
        assert all(isinstance(m, str) and has_chinese(m) for m in messages), errors
    if named is not None and resp.status_code in (400, 413, 415, 422):
        hit = [k for k in errors if any(k == n or k.startswith(n + ".") for n in named)]
        assert hit, (named, errors)
    return errors


class Api:
    """The test client with one CSRF token for the whole test (one request per example)."""

    def __init__(self, app, client, username: str):
        self.app, self.client = app, client
        login(client, app, username)
        self.token = client.get("/api/v1/csrf").get_json()["csrf_token"]

    def post(self, url, **kw):
        headers = {"X-CSRFToken": self.token, **kw.pop("headers", {})}
        return self.client.post(url, csrf=False, headers=headers, **kw)

    def post_json(self, url, value, content_type="application/json"):
        data = value if isinstance(value, (bytes, str)) else json.dumps(value, allow_nan=True, ensure_ascii=False)
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        return self.post(url, data=data, content_type=content_type)


def unchanged(app, before, resp):
    after = state(app)
    assert after == before, (resp.status_code, resp.get_data(as_text=True)[:300])


# --- POST /api/v1/visits --------------------------------------------------------------------------

@fuzz(90)
@given(changes=mutation(VISIT_BAD, VISIT_REQUIRED, unknown_allowed=True))
@example(changes=[("set", "latitude", float("nan"))])
@example(changes=[("set", "longitude", float("inf"))])
@example(changes=[("set", "accuracy_m", float("-inf"))])
@example(changes=[("set", "household_id", 10**30)])
@example(changes=[("set", "checked_in_at", "9999-12-31T23:59:59-14:00")])
@example(changes=[("set", "notes", "走访内容\x00写在这里")])
@example(changes=[("set", "notes", "走访内容\ud800写在这里")])
@example(changes=[("set", "measures_done", [2**63])])
@example(changes=[("set", "checklist", {"food": {"ok": True, "note": "x" * 501}})])
@example(changes=[("add", "__proto__", {"admin": True})])
@example(changes=[("add", "helper_id", 1)])  # not a field: the server decides who wrote the visit
def test_bad_visits_are_refused_and_write_nothing(app, world, client, changes):
    api = _api(app, client, "h1")
    body = apply(visit_body(world["hh1"]), changes)
    before = state(app)
    resp = api.post_json("/api/v1/visits", body)
    check_refused(resp, {name for _, name, _ in changes})
    unchanged(app, before, resp)
    SENT["visits"] += 1


BODY_JUNK = st.one_of(
    junk.filter(lambda v: not isinstance(v, dict)).map(lambda v: ("json", v)),
    st.binary(max_size=200).filter(lambda b: not b.strip().startswith(b"{")).map(lambda b: ("raw", b)),
    st.sampled_from(["text/plain", "application/x-www-form-urlencoded", "application/xml", "text/html",
                     "application/javascript", "multipart/form-data; boundary=x", "application/jsonx",
                     "image/jpeg", ""]).map(lambda ct: ("ctype", ct)),
    st.integers(50, 3000).map(lambda depth: ("deep", depth)),
    st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"null", b"{", b'{"a":', b"{'a': 1}", b'{"a": 1,}',
                     b"\xef\xbb\xbf[]", b"\xff\xfe[\x00]\x00", b'{"notes": "\xff\xfe"}']).map(lambda b: ("raw", b)),
)


def _send_body(api, url, kind, value, valid_body):
    if kind == "json":
        return api.post_json(url, value)
    if kind == "raw":
        return api.post_json(url, value)
    if kind == "ctype":
        return api.post_json(url, valid_body, content_type=value)
    if kind == "deep":  # arrays in arrays: not an object at any depth
        return api.post_json(url, "[" * value + "]" * value)
    if kind == "deep object":  # deeper than the JSON parser's recursion limit
        return api.post_json(url, '{"a":' * value + "1" + "}" * value)
    raise AssertionError(kind)


@fuzz(30)
@given(junk_body=BODY_JUNK, endpoint=st.sampled_from(["visits", "attendance"]))
@example(junk_body=("deep", 100_000), endpoint="visits")
@example(junk_body=("deep object", 100_000), endpoint="visits")
@example(junk_body=("deep object", 100_000), endpoint="attendance")
def test_bodies_that_are_not_a_json_object_are_refused(app, world, client, junk_body, endpoint):
    api = _api(app, client, "h1" if endpoint == "visits" else "team1")
    valid = visit_body(world["hh1"]) if endpoint == "visits" else checkin_body()
    before = state(app)
    resp = _send_body(api, f"/api/v1/{endpoint}", *junk_body, valid)
    check_refused(resp, {"_body"})
    unchanged(app, before, resp)
    SENT["bodies"] += 1


def test_a_body_beyond_the_request_limit_is_413(app, world, client):
    api = _api(app, client, "h1")
    before = state(app)
    body = visit_body(world["hh1"], notes="长" * (app.config["MAX_CONTENT_LENGTH"] // 3 + 10))
    resp = api.post_json("/api/v1/visits", body)
    assert resp.status_code == 413
    check_refused(resp, {"_request"})
    unchanged(app, before, resp)
    SENT["bodies"] += 1


# --- POST /api/v1/attendance ----------------------------------------------------------------------

@fuzz(50)
@given(changes=mutation(CHECKIN_BAD, tuple(CHECKIN_BAD), unknown_allowed=False))
@example(changes=[("set", "checked_in_at", "0001-01-01T00:00:00+14:00")])
@example(changes=[("set", "latitude", 10**400)])
@example(changes=[("set", "client_uuid", "'; DROP TABLE checkin; --")])
def test_bad_checkins_are_refused_and_write_nothing(app, world, client, changes):
    api = _api(app, client, "team1")
    body = apply(checkin_body(), changes)
    before = state(app)
    resp = api.post_json("/api/v1/attendance", body)
    check_refused(resp, {name for _, name, _ in changes})
    unchanged(app, before, resp)
    SENT["checkins"] += 1


# --- query strings: GET /api/v1/attendance/summary and GET /api/v1/performance --------------------

def not_a(pattern_ok):
    return st.one_of(st.text(max_size=16), st.sampled_from(["9999-12", "0000-01", "1999-12", "2100-01", "2026-00", "2026-13",
                                                           "2026-1", "26-01", "2026-Q0", "2026-Q5", "0001-Q1", "9999-Q4",
                                                           "２０２６-０１", "2026-01-01", "2026/01", "%00", "2026-01\n1"])
                     ).filter(lambda s: s.strip() and not pattern_ok(s.strip()))


def month_ok(s: str) -> bool:
    import re
    m = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", s)
    return bool(m) and 2000 <= int(m.group(1)) <= 2099


def quarter_ok(s: str) -> bool:
    import re
    m = re.fullmatch(r"(\d{4})-Q([1-4])", s)
    return bool(m) and 2000 <= int(m.group(1)) <= 2099


def village_junk(own: set[int]):
    def is_own(s: str) -> bool:
        try:
            return int(s) in own
        except ValueError:
            return False
    return st.one_of(st.text(max_size=12), st.integers().map(str), st.integers(2**31, 10**30).map(str),
                     st.sampled_from(["1.0", "1e3", "0x1", "-1", "１", "٣", "1 OR 1=1", "1;--", "9" * 40])
                     ).filter(lambda s: s.strip() and not is_own(s.strip()))


@fuzz(35)
@given(data=st.data())
def test_bad_summary_queries_are_refused(app, world, client, data):
    api = _api(app, client, "sec1")
    params = data.draw(st.fixed_dictionaries({}, optional={
        "month": not_a(month_ok), "quarter": not_a(quarter_ok), "village_id": village_junk({world["v1"]})}))
    assume(params)
    before = state(app)
    resp = api.client.get("/api/v1/attendance/summary?" + urlencode(params))
    named = set(params) if len(params) == 1 else set(params) | {"month"}
    check_refused(resp, named)
    unchanged(app, before, resp)
    SENT["summary"] += 1


@fuzz(35)
@given(data=st.data())
def test_bad_performance_queries_are_refused(app, world, client, data):
    api = _api(app, client, "admin")
    params = data.draw(st.fixed_dictionaries({}, optional={
        "month": not_a(month_ok), "village_id": village_junk({world["v1"], world["v2"]})}))
    assume(params)
    before = state(app)
    resp = api.client.get("/api/v1/performance?" + urlencode(params))
    check_refused(resp, set(params))
    unchanged(app, before, resp)
    SENT["performance"] += 1


# --- ids in paths ---------------------------------------------------------------------------------

path_junk = st.one_of(st.text(min_size=1, max_size=40), st.integers(2**31, 10**40).map(str),
                      st.integers(max_value=-1).map(str), st.uuids().map(str),
                      st.sampled_from(["..", "%2e%2e", "0", "1.5", "1e9", "ffffffff-ffff-ffff-ffff-ffffffffffff"]))


@fuzz(30)
@given(value=path_junk, route=st.sampled_from([
    ("GET", "/api/v1/visits/{}"), ("GET", "/api/v1/photos/{}"), ("GET", "/api/v1/photos/{}/thumb"),
    ("POST", "/api/v1/visits/{}/photos"), ("POST", "/api/v1/attendance/{}/photo")]))
def test_unknown_or_malformed_ids_in_paths_are_404(app, world, client, value, route):
    api = _api(app, client, "h1" if "visits" in route[1] else "team1")
    method, template = route
    url = template.format(quote(value, safe=""))
    before = state(app)
    if method == "GET":
        resp = api.client.get(url)
    else:
        resp = api.post(url, data={"client_uuid": str(uuid.uuid4()), "photo": (__import__("io").BytesIO(_tiny()), "a.jpg")},
                        content_type="multipart/form-data")
    assert resp.status_code in (404, 405), (url, resp.status_code)
    check_refused(resp, None)
    unchanged(app, before, resp)
    SENT["paths"] += 1


# --- the fields beside an uploaded photo ----------------------------------------------------------

def _multipart_names(name: str) -> set[str]:
    """The field names werkzeug's multipart parser reads for a part named `name` (a backslash is
    taken as an escape, a quote ends the name)."""
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    try:
        environ = EnvironBuilder(method="POST", data={name: "x"}, content_type="multipart/form-data").get_environ()
        return set(Request(environ).form.keys())
    except ValueError:
        return set()


@fuzz(25)
@given(fields=st.fixed_dictionaries({}, optional={
    "client_uuid": bad_uuid.filter(lambda v: isinstance(v, str)),
    "captured_at": bad_capture_time,
    "unknown": st.text(min_size=1, max_size=10).filter(lambda k: k not in ("client_uuid", "captured_at", "csrf_token", "photo")),
}))
def test_bad_photo_form_fields_are_refused(app, world, client, fields):
    assume(fields)
    api = _api(app, client, "h1")
    owner = _own_visit(app, world, api)
    form = {"client_uuid": str(uuid.uuid4()), "photo": (__import__("io").BytesIO(_tiny()), "a.jpg")}
    named = set()
    for name, value in fields.items():
        if name == "unknown":
            form[value] = "x"
            named.add(value.replace("\x00", "") or "_request")  # a NUL in a name: refused before the view
            if any(ch in value for ch in '\x00\r\n"\\'):
                named.update(("_request", ""))  # a name multipart cannot carry: a nameless part, or a NUL
                named.update(_multipart_names(value))  # what the server's parser reads for that name
        else:
            form[name] = value
            named.add(name)
    before = state(app)
    resp = api.post(f"/api/v1/visits/{owner}/photos", data=form, content_type="multipart/form-data")
    check_refused(resp, named)
    unchanged(app, before, resp)
    SENT["photo fields"] += 1


# --- HTML pages with query strings: no 5xx, nothing written ---------------------------------------

PAGES = [
    ("h1", "/visits/month", ("month", "helper_id")),
    ("sec1", "/village/team", ("month", "quarter", "village_id")),
    ("sec1", "/village/helpers", ("village_id",)),
    ("team1", "/attendance/calendar", ("month",)),
    ("admin", "/performance/unit", ("month", "village_id", "rating")),
    ("admin", "/performance/unit/quarter", ("quarter", "village_id", "rating")),
    ("admin", "/performance/unit/export", ("month", "format", "village_id")),
    ("admin", "/admin/pairings", ("village_id",)),
    ("h1", "/performance/me/year", ("year",)),
    ("admin", "/reports/", ("month",)),
]


@fuzz(40)
@given(page=st.sampled_from(PAGES), data=st.data())
def test_pages_with_odd_query_strings_never_fail(app, world, client, page, data):
    who, url, names = page
    api = _api(app, client, who)
    params = data.draw(st.dictionaries(st.sampled_from(names), st.one_of(
        st.text(max_size=20), st.integers(2**31, 10**30).map(str), not_a(month_ok), not_a(quarter_ok)), min_size=1))
    before = state(app)
    resp = api.client.get(url + "?" + urlencode(params))
    assert resp.status_code in {200, 302} | ALLOWED, (url, params, resp.status_code)
    if resp.status_code >= 400:  # the Chinese error page says what was wrong
        assert has_chinese(resp.get_data(as_text=True)), (url, params)
    unchanged(app, before, resp)
    SENT["pages"] += 1


# --- helpers and the count ------------------------------------------------------------------------

_APIS: dict = {}


def _api(app, client, username) -> Api:
    """One logged-in Api per test function and user (hypothesis calls the test body many times)."""
    key = (id(client), username)
    if key not in _APIS:
        _APIS.clear()
        _APIS[key] = Api(app, client, username)
    return _APIS[key]


_TINY: list[bytes] = []


def _tiny() -> bytes:
    if not _TINY:
        _TINY.append(jpeg(seed=3, size=(32, 24)))
    return _TINY[0]


_OWNER: dict = {}


def _own_visit(app, world, api) -> str:
    key = api  # the object, not its id: a later Api may reuse a freed id
    if key not in _OWNER:
        _OWNER.clear()
        body = visit_body(world["hh1"])
        assert api.post_json("/api/v1/visits", body).status_code == 201
        _OWNER[key] = body["client_uuid"]
    return _OWNER[key]

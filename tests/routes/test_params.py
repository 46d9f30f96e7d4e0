"""The request boundary (webapp/web/params.py): every id, month, quarter and year a route reads from
its query string, form or path, tried with the values that used to slip through or crash: a huge
number, full-width, Arabic-Indic and superscript digits, a sign, inner spaces. A query-string or
form value answers 422 naming the field (JSON on the API, the Chinese page elsewhere); a path that
does not parse is a 404; a blank value takes the default. Never a 500, nothing written."""
import re
from pathlib import Path

import pytest

from webapp.extensions import db
from webapp.models import AuditLog, MonthClosure, PrintJob, SpotCheckDraw, Village

BAD = {
    "id": ["99999999999999999999", "2147483648", "１", "²", "١", "-1", "1 2", "0", "1.0", "0x1", "+1"],
    "month": ["２０２６-０３", "2026-0³", "٢٠٢٦-03", "-2026-03", "2026 -03", "99999999999999999999-01", "2026-3",
              "2026-13", "1999-12", "2026-03-01"],
    "quarter": ["２０２６-Q3", "2026-Q³", "٢٠٢٦-Q3", "-2026-Q3", "2026 -Q3", "99999999999999999999-Q1", "2026-Q5",
                "2026-q3"],
    "year": ["２０２６", "²⁰²⁶", "٢٠٢٦", "-2026", "20 26", "99999999999999999999", "1999", "2100", "26"],
    "int": ["99999999999999999999", "２０００", "²", "-5", "1 0"],
    "float": ["３０.１", "٣٠", "nan", "inf", "1e5", "30.1.2", "--1"],
}

# (who, method, url, parameter, kind); {h1} etc. are filled from the world
QUERY = [
    ("sec1", "GET", "/village/team", "village_id", "id"),
    ("admin", "GET", "/village/team", "village_id", "id"),
    ("sec1", "GET", "/village/team", "month", "month"),
    ("sec1", "GET", "/village/team", "quarter", "quarter"),
    ("sec1", "GET", "/village/team/{team1}/calendar", "month", "month"),
    ("admin", "GET", "/village/helpers", "village_id", "id"),
    ("team1", "GET", "/attendance/calendar", "month", "month"),
    ("h1", "GET", "/visits/month", "month", "month"),
    ("h1", "GET", "/visits/month", "helper_id", "id"),
    ("h1", "GET", "/performance/me", "month", "month"),
    ("h1", "GET", "/performance/me/year", "year", "year"),
    ("admin", "GET", "/performance/helpers/{h1}", "month", "month"),
    ("admin", "GET", "/performance/helpers/{h1}/year", "year", "year"),
    ("sec1", "GET", "/performance/village", "month", "month"),
    ("admin", "GET", "/performance/unit", "month", "month"),
    ("admin", "GET", "/performance/unit", "village_id", "id"),
    ("admin", "GET", "/performance/unit/quarter", "quarter", "quarter"),
    ("admin", "GET", "/performance/unit/quarter", "village_id", "id"),
    ("admin", "GET", "/performance/unit/export", "month", "month"),
    ("admin", "GET", "/performance/unit/export", "village_id", "id"),
    ("admin", "GET", "/performance/unit/quarter/export", "quarter", "quarter"),
    ("admin", "GET", "/performance/unit/quarter/export", "village_id", "id"),
    ("admin", "GET", "/performance/spot-checks", "month", "month"),
    ("admin", "GET", "/admin/pairings", "village_id", "id"),
    ("admin", "GET", "/reports/", "month", "month"),
    ("admin", "GET", "/reports/jobs", "month", "month"),
    ("sec1", "GET", "/api/v1/attendance/summary", "village_id", "id"),
    ("sec1", "GET", "/api/v1/attendance/summary", "month", "month"),
    ("sec1", "GET", "/api/v1/attendance/summary", "quarter", "quarter"),
    ("admin", "GET", "/api/v1/performance", "month", "month"),
    ("admin", "GET", "/api/v1/performance", "village_id", "id"),
    ("admin", "POST", "/performance/unit/close", "month", "month"),
    ("admin", "POST", "/performance/unit/reopen", "month", "month"),
    ("admin", "POST", "/performance/unit/recompute", "month", "month"),
    ("admin", "POST", "/performance/spot-checks/draw", "month", "month"),
    ("admin", "POST", "/admin/villages", "village_id", "id"),
    ("admin", "POST", "/admin/villages", "geofence_m", "int"),
    ("admin", "POST", "/admin/villages", "latitude", "float"),
    ("admin", "POST", "/admin/users", "village_id", "id"),
    ("admin", "POST", "/admin/households/{hh1}/pairing", "helper_id", "id"),
    ("admin", "POST", "/reports/batch", "village_id", "id"),
]

# the other fields a form needs so that only the parameter under test is wrong
FORMS = {
    "/admin/villages": {"name": "新村", "latitude": "30.1", "longitude": "109.1", "geofence_m": "2000"},
    "/admin/users": {"username": "newuser", "display_name": "新人", "role": "helper", "password": "a-long-password-1"},
    "/admin/households/{hh1}/pairing": {"reason": "调整"},
    "/reports/batch": {"month": "2026-03", "format": "pdf"},
    "/performance/unit/reopen": {"reason": "核对"},
    "/performance/unit/recompute": {"reason": "核对"},
}


def _written(app) -> tuple:
    with app.app_context():
        return tuple(db.session.query(m).count() for m in (AuditLog, MonthClosure, PrintJob, SpotCheckDraw, Village))


@pytest.mark.parametrize("who,method,url,name,kind", QUERY, ids=[f"{q[1]} {q[2]} {q[3]}" for q in QUERY])
def test_a_malformed_parameter_is_422_naming_it(app, client, world, who, method, url, name, kind):
    client.login(who)
    url = url.format(**world)
    before = _written(app)
    for value in BAD[kind]:
        if method == "GET":
            resp = client.get(url, query_string={name: value})
        else:
            resp = client.post(url, data={**FORMS.get(url.replace(str(world["hh1"]), "{hh1}"), {}), name: value})
        assert resp.status_code == 422, (url, name, value, resp.status_code)
        if url.startswith("/api/"):
            errors = resp.get_json()["errors"]
            assert name in errors and re.search(r"[\u4e00-\u9fff]", errors[name][0]), errors
        else:
            page = resp.get_data(as_text=True)
            assert "Traceback" not in page and re.search(r"[\u4e00-\u9fff]", page)
    assert _written(app) == before, "a refused value wrote something"


@pytest.mark.parametrize("who,url,name", [
    ("sec1", "/village/team", "village_id"), ("sec1", "/village/team", "month"), ("h1", "/visits/month", "month"),
    ("admin", "/performance/unit", "village_id"), ("admin", "/performance/unit/quarter", "quarter"),
    ("h1", "/performance/me/year", "year"), ("admin", "/reports/", "month"), ("admin", "/api/v1/performance", "month"),
])
def test_a_blank_parameter_takes_the_default(client, world, who, url, name):
    client.login(who)
    for value in ("", "   "):
        assert client.get(url, query_string={name: value}).status_code == 200, (url, name, repr(value))


def test_the_values_from_the_bug_reports(client, world):
    """`village_id=99999999999999999999` or `²` on the team page and `quarter=２０２６-Q3` on the
    quarter export answered 500."""
    client.login("admin")
    for url in ("/village/team?village_id=99999999999999999999", "/village/team?village_id=%C2%B2",
                "/performance/unit/quarter/export?quarter=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-Q3&format=csv"):
        resp = client.get(url)
        assert resp.status_code == 422, (url, resp.status_code)
        assert "编号" in resp.get_data(as_text=True) or "季度" in resp.get_data(as_text=True)
    assert client.get(f"/village/team?village_id={world['v2']}").status_code == 200
    assert client.get("/performance/unit/quarter/export?quarter=2026-Q3&format=csv").status_code == 200


@pytest.mark.parametrize("template", ["/reports/diary/{h1}/{bad}.pdf", "/reports/attendance/{v1}/{bad}.pdf"])
@pytest.mark.parametrize("bad", BAD["month"])
def test_a_malformed_month_in_a_path_is_404(client, world, template, bad):
    client.login("admin")
    assert client.get(template.format(bad=bad, **world)).status_code == 404


@pytest.mark.parametrize("url", ["/households/{}", "/performance/helpers/{}", "/performance/helpers/{}/year",
                                 "/visits/{}", "/village/team/{}/calendar", "/api/v1/photos/{}"])
def test_a_malformed_id_in_a_path_is_404(client, world, url):
    client.login("admin")
    for bad in ("99999999999999999999", "2147483648", "１", "²", "١", "-1", "1.0"):
        resp = client.get(url.format(bad))
        assert resp.status_code == 404, (url, bad, resp.status_code)
    # the same ids in ASCII resolve: it is the digits that were refused, not the route
    assert client.get(url.format(world["hh1"] if url.startswith("/households") else world["h1"])).status_code != 500


def test_no_route_parses_numbers_itself():
    """Ids, months, quarters and years are parsed in webapp/web/params.py only: a new route that
    calls int() or isdigit() on request input would bring back the 500s."""
    routes = Path(__file__).resolve().parents[2] / "webapp" / "routes"
    offenders = []
    for path in routes.glob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "config[" not in line and re.search(r"\bint\(|\bfloat\(|\.isdigit\(|parse_month|parse_quarter|MAX_ID", line):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert not offenders, offenders


def test_a_malformed_id_in_a_path_is_404_whatever_the_method(app, client, world):
    """A path whose GET and POST are two rules (GET and POST /admin/households/<id>/pairing): an id
    past the column's range was a 405 on the POST (werkzeug's matcher met the GET rule first and
    the POST rule's converter refused the number), not the 404 of a path that names no page."""
    client.login("admin")
    checked = 0
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for bad in ("99999999999999999999", "2147483648", "１"):
                path = re.sub(r"<int:\w+>", bad, rule.rule)
                resp = client.open(path, method=method)
                assert resp.status_code == 404, (method, path, resp.status_code)
                checked += 1
    assert checked > 50

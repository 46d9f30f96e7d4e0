"""The office home's month at a glance: every figure counts the admin's own township only
and links to the page where it is worked on, with the filter applied."""
import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.dialects import postgresql, sqlite

from tests.support import factories
from webapp.extensions import db
from webapp.models import PrintJob, User
from webapp.models.visit import UNVERIFIED_WHERE
from webapp.services import month_glance, performance, review_queue
from webapp.services.calendar import local_today, month_utc_range
from webapp.web import rules as app_rules

PARAMS = {"month": "2026-03", "format": "pdf", "village_id": None, "village_name": None, "unit_name": "测试乡",
          "helper_ids": []}


def _figure(html: str, figure_id: str) -> str:
    row = html.split(f'id="{figure_id}"')[1].split("</li>")[0]
    return re.search(r'class="glance-n[^"]*">([^<]*)</b>', row).group(1)


def _township_month(app) -> dict:
    """Unit 1 (测试乡) and unit 2 (别的乡, a whole township) each with this month's work waiting."""
    with app.app_context():
        w = factories.second_unit(factories.world())
        o = w.objects
        now = datetime.now(timezone.utc) - timedelta(minutes=5)
        today = local_today()
        # 测试乡: hh1 visited (pending review), hh4 visited flagged (pending, 待核实); 4 of 6 not visited
        factories.visit_row(o["h1"].id, o["hh1"].id, now)
        factories.visit_row(o["h3"].id, o["hh4"].id, now, flags=["outside_geofence"], within_geofence=False,
                            distance_m=900.0)
        factories.leave_row(o["sec1"].id, today + timedelta(days=3), today + timedelta(days=3), status="pending")
        for status in ("queued", "running", "failed", "failed", "done"):
            db.session.add(PrintJob(kind="diaries", requested_by_id=o["admin"].id, status=status, total=3, params=PARAMS))
        o["v2"].latitude = o["v2"].longitude = None  # 西村 has no confirmed centre
        # 别的乡: more of everything, none of which may show on 测试乡's home
        for _ in range(3):
            factories.visit_row(o["h_x"].id, o["hhx1"].id, now, flags=["outside_geofence"], within_geofence=False)
        factories.leave_row(o["sec_x"].id, today + timedelta(days=3), today + timedelta(days=3), status="pending")
        factories.leave_row(o["team_x"].id, today + timedelta(days=4), today + timedelta(days=4), status="pending")
        for status in ("queued", "queued", "failed"):
            db.session.add(PrintJob(kind="diaries", requested_by_id=o["admin_x"].id, status=status, total=3, params=PARAMS))
        o["vx"].latitude = o["vx"].longitude = None
        db.session.commit()
        ids = w.ids()
        db.session.remove()
        return ids


def test_the_office_home_counts_its_own_township_and_links_each_figure(app, client, make_client):
    ids = _township_month(app)
    client.login("admin")
    resp = client.get("/admin/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="month-glance"' in html
    assert _figure(html, "glance-leave") == "1"  # sec1's leave; not 别的乡's two
    assert _figure(html, "glance-unvisited") == "4"  # 6 households, hh1 and hh4 visited this month
    assert _figure(html, "glance-review") == "2 / 1"  # 待审阅 2, 待核实 1 (hh4's flagged visit)
    assert _figure(html, "glance-jobs") == "4" and "排队 1 · 生成中 1 · 本月失败 2" in html
    assert _figure(html, "villages-without-centre") == "1" and "西村" in html.split('id="villages-without-centre"')[1]
    assert "外村" not in html and "外帮扶" not in html and "外书记" not in html
    # each figure links to where it is worked on, the filter applied
    assert 'id="glance-leave" href="/attendance/approvals"' in html
    assert 'href="/reports/#print-jobs"' in html
    table = html.split('id="glance-villages"')[1].split("</table>")[0]
    east = table.split(f'data-village="{ids["v1"]}"')[1].split("</tr>")[0]
    west = table.split(f'data-village="{ids["v2"]}"')[1].split("</tr>")[0]
    assert f'href="/village/helpers?village_id={ids["v1"]}" data-figure="unvisited">3</a>' in east  # hh2, hh3, hh6
    assert f'href="/village/helpers/queue?village_id={ids["v1"]}&amp;filter=pending" data-figure="pending">1</a>' in east
    assert ">0</td>" in east  # nothing to verify in 东村
    assert 'filter=unverified" data-figure="unverified">1</a>' in west
    # the linked pages hold what the figures say
    queue = client.get(f"/village/helpers/queue?village_id={ids['v2']}&filter=unverified").get_data(as_text=True)
    assert "李四" in queue
    approvals = client.get("/attendance/approvals").get_data(as_text=True)
    assert "书记一" in approvals and "外书记" not in approvals

    # the other township's admin sees theirs only
    other = make_client()
    other.login("admin_x")
    html_x = other.get("/admin/").get_data(as_text=True)
    assert _figure(html_x, "glance-leave") == "1"  # sec_x's (a team member's leave is the first secretary's to decide)
    assert _figure(html_x, "glance-unvisited") == "0" and _figure(html_x, "glance-review") == "3 / 3"
    assert _figure(html_x, "glance-jobs") == "3" and "排队 2 · 生成中 0 · 本月失败 1" in html_x
    assert "外村" in html_x and "东村" not in html_x and "西村" not in html_x and "帮扶一" not in html_x


def test_helpers_at_risk_are_the_performance_flags_of_the_open_month(app, client, make_client):
    """Loaded after the page (the month's performance takes a second at 10,000 households)."""
    ids = _township_month(app)
    with app.app_context():
        admin = db.session.get(User, ids["admin"])
        month = f"{local_today():%Y-%m}"
        flagged = {r.helper_id: r for r in performance.month_results(app_rules.scoring(), admin, month) if r.flags}
        risk = month_glance.at_risk(app_rules.scoring(), admin)
        assert {r.helper_id for r in risk.helpers} == set(flagged) and risk.provisional
        assert len(flagged) == 3  # h1..h3 have no help plan (第九条(三)4); 别的乡's h_x is not counted
        names = [r.display_name for r in risk.helpers]
    client.login("admin")
    home = client.get("/admin/").get_data(as_text=True)
    assert 'hx-get="/admin/glance/at-risk" hx-trigger="load"' in home
    assert f'id="glance-at-risk" href="/performance/unit?month={month}"' in home  # without JS: the ranking
    resp = client.get("/admin/glance/at-risk", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html  # the fragment alone
    assert _figure(html, "glance-at-risk") == "3"
    assert f'id="glance-at-risk" href="/performance/unit?month={month}"' in html
    for name in names:
        assert name in html
    assert f'href="/performance/helpers/{ids["h1"]}?month={month}"' in html
    assert "本月暂计：诫勉谈话" in html and "候选" not in html and "外帮扶" not in html
    other = make_client()
    other.login("admin_x")
    html_x = other.get("/admin/glance/at-risk").get_data(as_text=True)
    assert "外帮扶" in html_x and "帮扶一" not in html_x


def test_village_counts_equal_the_review_queue_at_the_months_edges(app):
    """A household visited twice counts once; a visit at the month's first instant (Asia/Shanghai) and
    one at its last count, one at the next month's first instant or just before the month does not;
    待审阅 / 待核实 are the review queue's own counts of each village."""
    today = date(2026, 3, 15)
    start, end = month_utc_range(2026, 3)
    mid = start + timedelta(days=10)
    with app.app_context():
        w = factories.world()
        o = w.objects
        factories.visit_row(o["h1"].id, o["hh1"].id, mid)
        factories.visit_row(o["h1"].id, o["hh1"].id, mid + timedelta(hours=2), review_status="reviewed")
        factories.visit_row(o["h2"].id, o["hh2"].id, start, flags=["outside_geofence"], within_geofence=False)
        factories.visit_row(o["h2"].id, o["hh3"].id, end - timedelta(microseconds=1), review_status="returned")
        factories.visit_row(o["h3"].id, o["hh6"].id, end, flags=["outside_geofence"], within_geofence=False,
                            verified_at=mid)  # next month's; verified
        factories.visit_row(o["h3"].id, o["hh6"].id, start - timedelta(microseconds=1), flags=[])
        factories.visit_row(o["h3"].id, o["hh4"].id, mid, flags=["poor_accuracy"], review_status="fixed")
        db.session.commit()
        admin = db.session.get(User, w.ids()["admin"])
        rows = {r.village.id: r for r in month_glance._village_counts(admin, today)}
        east, west = rows[o["v1"].id], rows[o["v2"].id]
        assert (east.households, east.unvisited, east.pending, east.unverified) == (4, 1, 4, 1)  # hh6 unvisited; 待审阅 any month
        assert (west.households, west.unvisited, west.pending, west.unverified) == (2, 1, 0, 1)  # hh5
        for row in rows.values():
            queue = review_queue.counts(admin, row.village, today)
            assert (row.pending, row.unverified) == (queue["pending"], queue["unverified"])


def test_the_unverified_index_is_the_review_queues_condition():
    """The partial index serves the 待核实 count only while its predicate is the queue's condition."""
    cond = review_queue.conditions(date(2026, 3, 15))["unverified"]
    for dialect in (postgresql.dialect(), sqlite.dialect()):
        sql = str(cond.compile(dialect=dialect)).replace("visit.", "")
        parts = sorted(p.strip() for p in sql.split(" AND "))
        assert parts == sorted(p.strip() for p in UNVERIFIED_WHERE[dialect.name].split(" AND ")), dialect.name

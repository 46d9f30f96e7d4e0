"""Every route × every role, on their own and on someone else's records.

The records all belong to helper h1 / village 东村 (v1) / unit 测试乡: for each route the matrix says
which of the roles below may use it. h3 is a helper of another village, sec2 the first secretary of
another village; admin_x, sec_x and h_x are the office admin, first secretary and helper of another
unit (别的乡, factories.second_unit) — so "someone else's records" is tested for every role, within
the unit and across units. The other unit's people never see a name or ID number of unit 1 in any
answer, and a route they are refused stores nothing. A route missing from the matrix fails the
test: a new route cannot forget its line.
"""
import io
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.support import factories
from tests.support.visit_data import jpeg, visit_body
from webapp.extensions import db
from webapp.models import PrintJob, SpotCheckDraw, SpotCheckItem
from webapp.services.calendar import local_today, month_key

from .conftest import login, row_counts

ROLES = ("anon", "h1", "h3", "team1", "sec1", "sec2", "admin", "admin_x", "sec_x", "h_x", "county", "county_x")
ALL = set(ROLES) - {"anon"}
PUBLIC = set(ROLES)
HELPERS = {"h1", "h3", "h_x"}
TEAM = {"team1", "sec1", "sec2", "sec_x"}
SECRETARIES = {"sec1", "sec2", "sec_x"}
ADMIN = {"admin"}
ADMINS = {"admin", "admin_x"}
# the other unit's people (factories.second_unit)
OUTSIDERS = ("admin_x", "sec_x", "h_x", "county_x")
# the county over unit 1 reads its townships: visits read-only, rankings, printing
COUNTIES = {"county", "county_x"}
READS_VISIT = {"h1", "team1", "sec1", "admin", "county"}
# what unit 1's records are called: none of it may reach an outsider (not "管理员": a role label)
UNIT1_NAMES = ("测试乡", "东村", "西村", "张一", "张二", "张三", "李四", "李五", "王六", "帮扶一", "帮扶二", "帮扶三",
               "书记一", "书记二", "队员一", "队员二", "张一家走访")

# endpoint -> (method, url template, roles allowed, form/json maker or None)
# url templates use the ids of the records made below.
MATRIX = {
    "static": ("GET", "/static/css/app.css", PUBLIC),
    "auth.login": ("GET", "/login", PUBLIC),
    "auth.logout": ("POST", "/logout", PUBLIC),
    "main.home": ("GET", "/", ALL),
    "main.account": ("GET", "/account", ALL),
    "pwa.manifest": ("GET", "/manifest.webmanifest", PUBLIC),
    "pwa.offline": ("GET", "/offline", PUBLIC),
    "pwa.service_worker": ("GET", "/sw.js", PUBLIC),
    "pwa.outbox": ("GET", "/outbox", ALL),
    "pwa.me": ("GET", "/api/v1/me", ALL),
    "api_visits.csrf_token": ("GET", "/api/v1/csrf", PUBLIC),
    # households: the helper paired now, the village team, the unit's office
    "households.show": ("GET", "/households/{hh1}", {"h1", "team1", "sec1", "admin"}),
    "households.reveal_id": ("POST", "/households/{hh1}/citizen-id", {"sec1", "admin"}),
    "visits.history": ("GET", "/households/{hh1}/visits", {"h1", "team1", "sec1", "admin"}),
    "visits.new": ("GET", "/households/{hh1}/visits/new", {"h1"}),
    "visits.measure_list": ("GET", "/households/{hh1}/measures", {"h1", "team1", "sec1", "admin"}),
    "visits.measure_list:POST": ("POST", "/households/{hh1}/measures", {"h1", "sec1", "admin"}),
    "visits.show": ("GET", "/visits/{visit}", READS_VISIT),
    "visits.month": ("GET", "/visits/month?helper_id={h1}", {"h1", "sec1", "admin"}),
    # the visit API
    "api_visits.my_households": ("GET", "/api/v1/me/households", ALL),  # each sees their own scope
    "api_visits.create_visit": ("POST", "/api/v1/visits", {"h1"}),
    "api_visits.get_visit": ("GET", "/api/v1/visits/{visit_uuid}", READS_VISIT),
    "api_visits.add_photo": ("POST", "/api/v1/visits/{visit_uuid}/photos", {"h1"}),
    "api_visits.amend_visit": ("POST", "/api/v1/visits/{returned_visit_uuid}/amendments", {"h1"}),
    "api_visits.photo_image": ("GET", "/api/v1/photos/{photo}", READS_VISIT),
    "api_visits.photo_thumb": ("GET", "/api/v1/photos/{photo}/thumb", READS_VISIT),
    # reviews
    "reviews.index": ("GET", "/reviews/", HELPERS),
    "reviews.fixed": ("POST", "/reviews/{returned_visit}/fixed", {"h1"}),
    "village.review_visit": ("POST", "/village/visits/{visit}/review", {"sec1"}),
    "village.verify_visit": ("POST", "/village/visits/{flagged_visit}/verify", {"sec1", "admin"}),
    # the village team
    "village.home": ("GET", "/village/", TEAM),
    "village.helpers_work": ("GET", "/village/helpers?village_id={v1}", {"sec1", "admin"}),
    "village.review_queue_page": ("GET", "/village/helpers/queue?village_id={v1}", {"sec1", "admin"}),
    "village.team": ("GET", "/village/team?village_id={v1}", {"sec1", "admin"}),
    "village.member_calendar": ("GET", "/village/team/{team1}/calendar", {"sec1", "admin"}),
    # attendance
    "attendance.checkin_page": ("GET", "/attendance/", TEAM),
    "attendance.today_fragment": ("GET", "/attendance/today", TEAM),
    "attendance.my_calendar": ("GET", "/attendance/calendar", TEAM),
    "attendance.leave_page": ("GET", "/attendance/leave", TEAM),
    "attendance.leave_request": ("POST", "/attendance/leave", TEAM),
    "attendance.leave_cancel": ("POST", "/attendance/leave/{pending_leave}/cancel", {"team1"}),
    "attendance.leave_decide": ("POST", "/attendance/leave/{pending_leave}/decide", {"sec1"}),
    "attendance.leave_return": ("POST", "/attendance/leave/{approved_leave}/return", {"team1", "sec1"}),
    "attendance.approvals": ("GET", "/attendance/approvals", SECRETARIES | ADMINS),
    "attendance.checkin_photo": ("GET", "/attendance/checkins/{checkin}/photo", {"team1", "sec1", "admin"}),
    "attendance.checkin_photo:thumb": ("GET", "/attendance/checkins/{checkin}/photo/thumb", {"team1", "sec1", "admin"}),
    "api_attendance.create_checkin": ("POST", "/api/v1/attendance", TEAM),
    "api_attendance.checkin_photo": ("POST", "/api/v1/attendance/{checkin_uuid}/photo", {"team1"}),
    "api_attendance.summary": ("GET", "/api/v1/attendance/summary?village_id={v1}&month={month}", {"sec1", "admin"}),
    # performance
    "performance.index": ("GET", "/performance/", ALL),
    "performance.my_month": ("GET", "/performance/me", HELPERS),
    "performance.my_year": ("GET", "/performance/me/year", HELPERS),
    "performance.helper_month": ("GET", "/performance/helpers/{h1}?month={month}", {"sec1", "admin"}),
    "performance.helper_year": ("GET", "/performance/helpers/{h1}/year", {"sec1", "admin"}),
    "performance.village": ("GET", "/performance/village", SECRETARIES),
    "performance.unit": ("GET", "/performance/unit", ADMINS),
    "performance.unit_quarter": ("GET", "/performance/unit/quarter", ADMINS),
    "performance.export_month": ("GET", "/performance/unit/export?month={month}&format=csv", ADMINS),
    "performance.export_quarter": ("GET", "/performance/unit/quarter/export?format=csv", ADMINS),
    "performance.close_month": ("POST", "/performance/unit/close", ADMINS),
    "performance.reopen_month": ("POST", "/performance/unit/reopen", ADMINS),
    "performance.recompute_month": ("POST", "/performance/unit/recompute", ADMINS),
    "performance.spot_checks": ("GET", "/performance/spot-checks", ADMINS),
    "performance.spot_check_draw": ("POST", "/performance/spot-checks/draw", ADMINS),
    "performance.spot_check_result": ("POST", "/performance/spot-checks/items/{spot_item}", ADMIN),
    # a reviewer confirms a fake visit (the village's first secretary, the unit's office)
    "performance.confirm_fake_visit": ("POST", "/performance/visits/{visit}/fake", {"sec1", "admin"}),
    "api_performance.month": ("GET", "/api/v1/performance?month={month}", ALL),  # scoped rows
    # printed documents
    "printing.index": ("GET", "/reports/", ALL),
    "printing.diary": ("GET", "/reports/diary/{h1}/{month}.pdf?unit_id={unit}", {"h1", "sec1", "admin", "county"}),
    "printing.attendance": ("GET", "/reports/attendance/{v1}/{month}.pdf", {"sec1", "admin"}),
    "printing.batch": ("POST", "/reports/batch", ADMINS),
    "printing.job_list": ("GET", "/reports/jobs", ADMINS),
    "printing.download": ("GET", "/reports/jobs/{job}/download", ADMIN),
    "printing.cancel_job": ("POST", "/reports/jobs/{job}/cancel", ADMIN),  # a finished job: 409, not refused
    # office admin
    "admin.index": ("GET", "/admin/", ADMINS),
    "admin.glance_at_risk": ("GET", "/admin/glance/at-risk", ADMINS),
    "admin.village_list": ("GET", "/admin/villages", ADMINS),
    "admin.user_list": ("GET", "/admin/users", ADMINS),
    "admin.user_active": ("POST", "/admin/users/{h2}/active", ADMIN),
    "admin.user_password": ("POST", "/admin/users/{h2}/password", ADMIN),
    "admin.pairing_list": ("GET", "/admin/pairings", ADMINS),
    "admin.change_pairing": ("POST", "/admin/households/{hh6}/pairing", ADMIN),
    "admin.pairing_form": ("GET", "/admin/households/{hh6}/pairing", ADMIN),
    "admin.roster": ("GET", "/admin/roster", ADMINS),
    "admin.roster_confirm": ("POST", "/admin/roster/confirm", ADMINS),  # no token: 400, nothing imported
    # the would-be flags before saving, the household's signature
    "api_visit_checks.preview_visit": ("POST", "/api/v1/visits/preview", {"h1"}),
    "api_visit_checks.add_signature": ("POST", "/api/v1/visits/{visit_uuid}/signature", {"h1"}),
    "api_visit_checks.signature_image": ("GET", "/api/v1/visits/{signed_visit}/signature", READS_VISIT),
    "api_visit_checks.signature_thumb": ("GET", "/api/v1/visits/{signed_visit}/signature/thumb", READS_VISIT),
    # the county: its townships, and the pairing changes they propose
    "county.index": ("GET", "/county/", COUNTIES),
    "county.decide": ("POST", "/county/pairing-changes/{pairing_change}", {"county"}),
    "county.township": ("GET", "/county/units/{unit}", {"county"}),
    # the office's assessments; the county reads them per township
    "assessments.villages": ("GET", "/assessments/villages?unit_id={unit}", ADMINS | {"county"}),
    "assessments.village_year_end": ("POST", "/assessments/villages/{v1}/year-end", ADMIN),
    "assessments.onsite_list": ("GET", "/assessments/onsite?unit_id={unit}", ADMINS | {"county"}),
    "assessments.onsite_record": ("POST", "/assessments/onsite/{h1}", ADMIN),
    "assessments.teams": ("GET", "/assessments/teams?unit_id={unit}", ADMINS | {"county"}),
}

# bodies that pass validation, so an allowed role is seen doing the thing (not just failing a check)
def _body(key: str, ids: dict) -> dict:
    now_cst = datetime.now(timezone(timedelta(hours=8))).replace(microsecond=0)
    if key == "api_visits.create_visit":
        return {"json": visit_body(ids["hh1"])}
    if key == "api_visits.add_photo":
        return {"data": {"client_uuid": str(uuid.uuid4()), "photo": (io.BytesIO(jpeg(seed=7)), "p.jpg")},
                "content_type": "multipart/form-data"}
    if key == "api_visit_checks.preview_visit":
        return {"json": {k: v for k, v in visit_body(ids["hh1"]).items()
                         if k in ("household_id", "checked_in_at", "latitude", "longitude", "accuracy_m")}}
    if key == "api_visit_checks.add_signature":
        return {"data": {"client_uuid": str(uuid.uuid4()), "status": "thumbprint", "image": (io.BytesIO(jpeg(seed=9)), "s.jpg")},
                "content_type": "multipart/form-data"}
    if key == "api_attendance.create_checkin":
        return {"json": {"client_uuid": str(uuid.uuid4()), "checked_in_at": now_cst.isoformat(),
                         "latitude": 30.3, "longitude": 109.5, "accuracy_m": 10}}
    if key == "api_attendance.checkin_photo":
        return {"data": {"photo": (io.BytesIO(jpeg(seed=8)), "c.jpg")}, "content_type": "multipart/form-data"}
    if key == "visits.measure_list:POST":
        return {"data": {"category": "产业", "title": "发展养殖", "due_date": (local_today() + timedelta(days=30)).isoformat()}}
    if key == "attendance.leave_request":
        d = (local_today() + timedelta(days=3)).isoformat()
        return {"data": {"start_date": d, "end_date": d, "kind": "事假", "reason": "家中有事"}}
    if key == "attendance.leave_decide":
        return {"data": {"decision": "approve", "comment": "同意"}}
    if key == "api_visits.amend_visit":
        return {"json": {"client_uuid": str(uuid.uuid4()), "reply": "已补充走访内容。"}}
    if key == "village.verify_visit":
        return {"data": {"note": "已电话核实"}}
    if key == "village.review_visit":
        return {"data": {"action": "review", "comment": "已阅"}}
    if key in ("performance.close_month", "performance.reopen_month", "performance.recompute_month",
               "performance.spot_check_draw"):
        return {"data": {"month": ids["month"], "reason": "测试"}}
    if key == "performance.spot_check_result":
        return {"data": {"result": "符合", "note": "核查"}}
    if key == "performance.confirm_fake_visit":
        return {"data": {"fake_note": "户主称无人来过"}}
    if key == "printing.batch":
        return {"data": {"month": ids["month"], "format": "pdf"}}
    if key == "admin.user_active":
        return {"data": {"active": "0"}}
    if key == "admin.user_password":
        return {"data": {"password": "another-password-1"}}
    if key == "assessments.village_year_end":
        return {"data": {"score": "80", "note": "年终检查"}}
    if key == "assessments.onsite_record":
        return {"data": {"quarter": "2026-Q1", "result": "合格", "satisfaction": "满意"}}
    if key == "county.decide":
        return {"data": {"decision": "reject", "note": "不同意"}}
    if key == "admin.change_pairing":
        return {"data": {"helper_id": str(ids["h2"]), "reason": "测试调整"}}
    return {}


def _records(app) -> dict:
    """The world plus one of every record, all belonging to h1 / 东村 / 测试乡."""
    with app.app_context():
        w = factories.counties(factories.second_unit(factories.world()))
        o = w.objects
        now = datetime.now(timezone.utc) - timedelta(hours=1)
        visit = factories.visit_row(o["h1"].id, o["hh1"].id, now, notes="张一家走访：了解家庭情况。")
        photo = factories.photo_row(visit)
        returned = factories.visit_row(o["h1"].id, o["hh2"].id, now - timedelta(hours=2),
                                       review_status="returned", review_comment="请补充")
        flagged = factories.visit_row(o["h1"].id, o["hh2"].id, now - timedelta(hours=3), within_geofence=False,
                                      distance_m=900.0, flags=["outside_geofence"],
                                      flag_details={"outside_geofence": {"distance_m": 900, "radius_m": 300}})
        checkin = factories.checkin_row(o["team1"].id, o["v1"].id, now)
        from webapp.services import storage
        from webapp.services.attendance.checkins import _photo_keys

        key, thumb = _photo_keys(uuid.uuid4().hex)
        storage.get().put(key, factories.thumb_jpeg(3))
        storage.get().put(thumb, factories.thumb_jpeg(4))
        checkin.photo_key = key
        today = local_today()
        for person in (o["team1"], o["sec1"], o["sec2"]):
            person.created_at = now - timedelta(days=60)
        pending = factories.leave_row(o["team1"].id, today + timedelta(days=10), today + timedelta(days=10), status="pending")
        approved = factories.leave_row(o["team1"].id, today - timedelta(days=1), today + timedelta(days=1), status="approved")
        draw = SpotCheckDraw(unit_id=o["unit"].id, month=month_key(today), seed="s", ratio=0.3, drawn_by_id=o["admin"].id)
        db.session.add(draw)
        db.session.flush()
        item = SpotCheckItem(draw_id=draw.id, helper_id=o["h1"].id)
        db.session.add(item)
        job_key = storage.new_key("prints", uuid.uuid4().hex)
        storage.get().put(job_key, b"%PDF-1.4 test")
        job = PrintJob(kind="diary_batch", params={"month": month_key(today), "format": "pdf"}, requested_by_id=o["admin"].id,
                       status="done", done=1, total=1, result_key=job_key,
                       expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
        db.session.add(job)
        db.session.flush()
        from webapp.models import VisitSignature  # the returned visit carries a signature

        sig_key, sig_thumb = storage.new_key("photos", uuid.uuid4().hex), storage.new_key("thumbs", uuid.uuid4().hex)
        storage.get().put(sig_key, factories.thumb_jpeg(5))
        storage.get().put(sig_thumb, factories.thumb_jpeg(6))
        db.session.add(VisitSignature(client_uuid=str(uuid.uuid4()), visit_id=returned.id, status="signed", sha256="0" * 64,
                                      storage_key=sig_key, thumb_key=sig_thumb, content_hash="0" * 64))

        ids = w.ids()
        ids.update(citizen_ids=[o[k].citizen_id for k in ("hh1", "hh2", "hh3", "hh4", "hh5", "hh6")])
        ids.update(citizen_id=o["hh1"].citizen_id, visit=visit.id, visit_uuid=visit.client_uuid, photo=photo.id,
                   returned_visit=returned.id, returned_visit_uuid=returned.client_uuid, flagged_visit=flagged.id,
                   checkin=checkin.id, checkin_uuid=checkin.client_uuid, pending_leave=pending.id,
                   approved_leave=approved.id, spot_item=item.id, job=job.id, month=month_key(today))
        ids["signed_visit"] = returned.id
        from webapp.models import PairingChange

        change = PairingChange(unit_id=o["unit"].id, household_id=o["hh3"].id, from_helper_id=o["h2"].id,
                               to_helper_id=o["h1"].id, reason="测试调整", proposed_by_id=o["admin"].id)
        db.session.add(change)
        db.session.flush()
        ids["pairing_change"] = change.id
        db.session.commit()
        db.session.remove()
    return ids


def _denied(key: str, resp) -> bool:
    if resp.status_code in (401, 403, 404):
        return True
    # logging out ends on the login page too: that is its success, not a refusal
    return key != "auth.logout" and resp.status_code == 302 and "/login" in resp.headers.get("Location", "")


def test_every_route_is_in_the_matrix(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    keys = {k.split(":")[0] for k in MATRIX}
    assert endpoints - keys == set(), f"routes missing from the access matrix: {sorted(endpoints - keys)}"
    assert keys - endpoints == set(), f"matrix lines for routes that no longer exist: {sorted(keys - endpoints)}"


@pytest.mark.parametrize("key", sorted(MATRIX))
def test_route_access_for_every_role(key, app, make_client):
    method, template, allowed = MATRIX[key]
    ids = _records(app)
    url = template.format(**ids)
    with app.test_request_context():
        bodies = {role: _body(key, ids) for role in ROLES}  # fresh files for every request
    wrong = []
    # denied roles first, so an allowed role's write cannot hide a denied one
    for role in sorted(ROLES, key=lambda r: r in allowed):
        client = make_client()
        if role != "anon":
            login(client, app, role)
        kwargs = bodies[role]
        headers = {"HX-Request": "true"} if "today" in key else {}
        before = row_counts(app) if role in OUTSIDERS and role not in allowed else None
        resp = client.open(url, method=method, headers=headers, **kwargs)
        assert resp.status_code < 500, f"{key} as {role}: {resp.status_code}"
        body = resp.get_data()
        if key != "households.reveal_id":  # the one audited place a full ID number is shown
            assert ids["citizen_id"].encode() not in body, f"{key} as {role} shows a full ID number"
        if role in OUTSIDERS:
            text = _text(resp)
            shown = [n for n in UNIT1_NAMES + tuple(ids["citizen_ids"]) if n in text]
            assert not shown, f"{key} as {role} (another unit) shows unit 1's {shown}"
            if before is not None:
                assert row_counts(app) == before, f"{key} as {role} (another unit, refused) stored something"
        if (role in allowed) == _denied(key, resp):
            wrong.append(f"{role}: {resp.status_code} {resp.headers.get('Location', '')}")
    assert not wrong, f"{method} {url} — unexpected: {wrong}"


def _text(resp) -> str:
    """The answer as text a person would read: a PDF's extracted text, else the body decoded."""
    data = resp.get_data()
    if data.startswith(b"%PDF"):
        from pypdf import PdfReader

        return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)
    if resp.is_json:
        return json.dumps(resp.get_json(), ensure_ascii=False)
    return data.decode("utf-8", "replace")

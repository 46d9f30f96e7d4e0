"""JSON API v1 for attendance: check-ins (the phone and its offline outbox) and team summaries."""
from flask import Blueprint, jsonify, request
from flask_login import current_user

from ..extensions import db
from ..jsonapi import json_body, login_required
from ..schemas.attendance import checkin_json, load_checkin, team_summary_json
from ..services import access, attendance
from ..services.calendar import parse_period
from ..services.errors import ValidationFailed
from ..web import params, rules

bp = Blueprint("api_attendance", __name__, url_prefix="/api/v1")


@bp.post("/attendance")
@login_required
def create_checkin():
    """{client_uuid, checked_in_at, latitude, longitude, accuracy_m} → 201 new, 200 replay, 409 clash."""
    body = json_body()
    attendance.check_may_check_in(current_user)
    checkin, created = attendance.record_checkin(rules.attendance(), current_user, load_checkin(body))
    db.session.commit()
    return jsonify(checkin_json(checkin)), 201 if created else 200


@bp.get("/attendance/summary")
@login_required
def summary():
    """Per member of the village team: username, days_in_village, checkins (every check-in),
    checkins_counted (those counting towards the quarter's target: inside the geofence, at most
    CHECKINS_COUNTED_PER_DAY a day), leave_days, absent_days.

    `village_id` (a first secretary may omit it: their own village), and `month=YYYY-MM` or
    `quarter=YYYY-Qn` (neither: the current month). First secretary of that village and the
    unit's office admins only."""
    village = access.attendance_village(current_user, params.id_arg("village_id", request.args))
    period = parse_period(params.month_arg(source=request.args, default=False),
                                     params.quarter_arg(source=request.args, default=False))
    resp = jsonify(team_summary_json(attendance.team_summary(rules.attendance(), village, period)))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/attendance/<uuid:client_uuid>/photo")
@login_required
def checkin_photo(client_uuid):
    """Multipart `photo`: one optional photo on the caller's own check-in. 201 stored, 200 the same
    photo again, 409 another photo, 404 no such check-in of the caller."""
    upload = request.files.get("photo")
    if upload is None:
        raise ValidationFailed("请选择照片文件（表单字段 photo）。", field="photo")
    checkin, created = attendance.attach_photo(current_user, str(client_uuid), upload.read(), rules.photos())
    if created:
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
            attendance.discard_photo(checkin)
            raise
    return jsonify(checkin_json(checkin)), 201 if created else 200

"""Attendance in the API: a check-in as the phone (or its offline outbox) sends it, and what it gets back;
the leave form as the service's typed arguments."""
from collections.abc import Mapping
from datetime import date
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from ..services.attendance import CheckinIn
from ..services.calendar import local_date
from ..services.errors import ValidationFailed
from . import validators

REQUIRED_MSG = {"required": "必填。", "null": "必填。"}
NUMBER_MSG = {**REQUIRED_MSG, "invalid": "应为数字。", "special": "应为有限的数字。", "too_large": "数值太大。"}


class CheckinSchema(Schema):
    """`POST /api/v1/attendance`: {client_uuid, checked_in_at, latitude, longitude, accuracy_m}."""

    class Meta:
        unknown = EXCLUDE

    client_uuid = fields.UUID(required=True, error_messages={**REQUIRED_MSG, "invalid_uuid": "应为 UUID。"})
    checked_in_at = fields.AwareDateTime(
        required=True, format="iso", validate=validators.moment,
        error_messages={**REQUIRED_MSG, "invalid": "应为带时区的 ISO 8601 时间，如 2026-05-06T08:30:00+08:00。",
                        "invalid_awareness": "时间必须带时区（如 +08:00 或 Z）。"},
    )
    latitude = fields.Float(required=True, validate=validators.latitude, error_messages=NUMBER_MSG)
    longitude = fields.Float(required=True, validate=validators.longitude, error_messages=NUMBER_MSG)
    accuracy_m = fields.Float(required=True, validate=validate.Range(min=0, error="精度不能为负数。"),
                              error_messages=NUMBER_MSG)

    @post_load
    def _typed(self, values: dict[str, Any], **kwargs) -> CheckinIn:
        return CheckinIn(client_uuid=str(values["client_uuid"]), checked_in_at=values["checked_in_at"],
                         latitude=values["latitude"], longitude=values["longitude"], accuracy_m=values["accuracy_m"])


def load_checkin(data: Any) -> CheckinIn:
    """The check-in the phone sent, as attendance.record_checkin's typed argument; a field that is
    missing or wrong is the API's 422 with the fields named."""
    if not isinstance(data, dict):
        raise ValidationFailed("请求应为 JSON 对象。")
    try:
        return CheckinSchema().load(data)
    except ValidationError as err:
        raise ValidationFailed("签到数据有误。", errors=err.messages) from None


def _form_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _form_flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def leave_request_args(form: Mapping[str, Any]) -> dict[str, Any]:
    """The leave form (请假) as attendance.request_leave's typed arguments; a date that is missing or
    not YYYY-MM-DD is None (the service answers "请填写日期" for it, with the form's other errors)."""
    return {
        "start_date": _form_date(form.get("start_date")), "end_date": _form_date(form.get("end_date")),
        "start_half": _form_flag(form.get("start_half")), "end_half": _form_flag(form.get("end_half")),
        "kind": str(form.get("kind") or "").strip(), "reason": str(form.get("reason") or "").strip(),
    }


def checkin_json(c) -> dict[str, Any]:
    """A check-in as `POST /api/v1/attendance` (and its photo) answer it."""
    return {
        "id": c.id, "client_uuid": c.client_uuid, "user_id": c.user_id, "village_id": c.village_id,
        "checked_in_at": c.checked_in_at.isoformat(), "received_at": c.received_at.isoformat(),
        "local_date": local_date(c.checked_in_at).isoformat(),
        "latitude": c.latitude, "longitude": c.longitude, "accuracy_m": c.accuracy_m,
        "distance_m": c.distance_m, "within_geofence": c.within_geofence, "has_photo": bool(c.photo_key),
    }


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def member_json(m) -> dict[str, Any]:
    """One member's days in a period (services.attendance.MemberSummary)."""
    return {
        "user_id": m.user.id, "username": m.user.username, "display_name": m.user.display_name,
        "role": m.user.role, "days_in_village": m.days_in_village, "checkins": m.checkins,
        "checkins_counted": m.checkins_counted,  # towards the quarter's target (services.checkin_count)
        "leave_days": _num(m.leave_days), "absent_days": _num(m.absent_days),
        "working_days": m.working_days,
    }


def team_summary_json(team) -> dict[str, Any]:
    """`GET /api/v1/attendance/summary`: the village, the period and each member with their quarter pace."""
    village, period = team.village, team.period
    return {
        "village_id": village.id, "village": village.name, "period": period.key, "kind": period.kind,
        "start": period.start.isoformat(), "end": period.end.isoformat(),
        "members": [member_json(m) | {
            "quarter_days": m.progress.days, "quarter_checkins": m.progress.checkins_all,
            "quarter_checkins_counted": m.progress.checkins,
            "days_pace": m.progress.days_pace, "checkins_pace": m.progress.checkins_pace,
        } for m in team.members],
    }

"""The visit API: what a phone (or its offline outbox) sends, and what it gets back."""
from datetime import timezone

from flask import url_for
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from ..models.vocab import CHECKLIST_CODES, SUBSIDY_ANSWERS
from ..services import amendments, verification, visit_flags
from ..services.rules import VisitRules
from ..services.visits import flag_labels, is_offline
from . import validators
from .signatures import signature_json

REQUIRED_MSG = {"required": "必填。", "null": "必填。"}
NUMBER_MSG = {**REQUIRED_MSG, "invalid": "应为数字。", "special": "应为有限的数字。", "too_large": "数值太大。"}
INT_MSG = {**REQUIRED_MSG, "invalid": "应为整数。", "too_large": "数值太大。"}
TIME_MSG = {**REQUIRED_MSG, "invalid": "应为带时区的 ISO 8601 时间，如 2026-05-06T08:30:00+08:00。",
            "invalid_awareness": "时间必须带时区（如 +08:00 或 Z）。"}
UUID_MSG = {**REQUIRED_MSG, "invalid_uuid": "应为 UUID。"}
NESTED_MSG = {"null": "不能为 null。", "type": "格式有误：应为 JSON 对象。"}


class _Strict(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "未知字段。", "type": "格式有误：应为 JSON 对象。"}


def _text(max_len: int, **kw) -> fields.String:
    return fields.String(validate=[validate.Length(max=max_len, error=f"不能超过 {max_len} 字。"), validators.plain_text],
                         error_messages={**REQUIRED_MSG, "invalid": "应为文字。"}, **kw)


class ChecklistAnswer(_Strict):
    ok = fields.Boolean(required=True, allow_none=True,
                        error_messages={"required": "请选择是或否。", "invalid": "应为 true/false。"})
    note = _text(500, load_default="")


class SubsidyIn(_Strict):
    member_id = fields.Integer(required=True, strict=True, validate=validators.record_id, error_messages=INT_MSG)
    item = fields.String(required=True, validate=[validate.Length(max=100, error="不能超过 100 字。"), validators.plain_text],
                         error_messages={**REQUIRED_MSG, "invalid": "应为文字。"})
    answer = fields.String(required=True,
                           validate=validate.OneOf(SUBSIDY_ANSWERS, error=f"应为 {'、'.join(SUBSIDY_ANSWERS)} 之一。"),
                           error_messages=REQUIRED_MSG)


class VisitIn(_Strict):
    """`POST /api/v1/visits`."""

    client_uuid = fields.UUID(required=True, error_messages=UUID_MSG)
    household_id = fields.Integer(required=True, strict=True, validate=validators.record_id, error_messages=INT_MSG)
    checked_in_at = fields.AwareDateTime(required=True, format="iso", validate=validators.moment, error_messages=TIME_MSG)
    latitude = fields.Float(required=True, validate=validators.latitude, error_messages=NUMBER_MSG)
    longitude = fields.Float(required=True, validate=validators.longitude, error_messages=NUMBER_MSG)
    accuracy_m = fields.Float(required=True, validate=validate.Range(min=0, error="定位精度不能为负数。"),
                              error_messages=NUMBER_MSG)
    notes = _text(5000, required=True)
    problems = _text(5000, load_default="")
    next_steps = _text(5000, load_default="")
    checklist = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CHECKLIST_CODES, error=f"检查项应为 {'、'.join(CHECKLIST_CODES)} 之一。")),
        values=fields.Nested(ChecklistAnswer, error_messages=NESTED_MSG), load_default=dict,
        error_messages={"invalid": "应为对象。", "null": "不能为 null。"},
    )
    measures_done = fields.List(fields.Integer(strict=True, validate=validators.record_id, error_messages=INT_MSG),
                                load_default=list, validate=validate.Length(max=100, error="措施太多。"),
                                error_messages={"invalid": "应为数组。", "null": "不能为 null。"})
    subsidies = fields.List(fields.Nested(SubsidyIn, error_messages=NESTED_MSG), load_default=list,
                            validate=validate.Length(max=200, error="条目太多。"),
                            error_messages={"invalid": "应为数组。", "null": "不能为 null。"})
    # 原因说明: why the check-in is outside the geofence or imprecise; the server decides the flags
    reason = _text(500, load_default="", allow_none=True)
    # the household has no location yet and the helper confirmed: this visit's position becomes it
    confirm_location = fields.Boolean(load_default=False,
                                      error_messages={"invalid": "应为 true/false。", "null": "不能为 null。"})

    @validates("notes")
    def _notes_long_enough(self, value: str, **kwargs) -> None:
        if len(value.strip()) < 5:
            raise ValidationError("请填写走访内容（至少 5 个字）。")


class PhotoIn(_Strict):
    """The form fields beside the `photo` file of `POST /api/v1/visits/<client_uuid>/photos`."""

    client_uuid = fields.UUID(required=True, error_messages=UUID_MSG)
    captured_at = fields.AwareDateTime(format="iso", load_default=None, allow_none=True, validate=validators.moment,
                                       error_messages=TIME_MSG)


class AmendmentIn(_Strict):
    """`POST /api/v1/visits/<client_uuid>/amendments`: correcting a returned visit."""

    client_uuid = fields.UUID(required=True, error_messages=UUID_MSG)
    notes = _text(5000, load_default=None, allow_none=True)
    reply = _text(500, load_default="")

    @validates("notes")
    def _notes_long_enough(self, value: str | None, **kwargs) -> None:
        if value is not None and len(value.strip()) < 5:
            raise ValidationError("请填写走访内容（至少 5 个字）。")


def load(schema: Schema, data) -> dict:
    """Validate; a marshmallow error becomes the API's 422 with the fields named."""
    from ..services.errors import ValidationFailed

    try:
        return schema.load(data)
    except ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise ValidationFailed("提交的数据有误。", errors=_flatten(messages)) from None


def _flatten(messages: dict, prefix: str = "") -> dict[str, list[str]]:
    """{"checklist": {"food": {"ok": [..]}}} → {"checklist.food.ok": [..]}: every field named."""
    out: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return out


def _iso(value):
    """Times go out in UTC, whatever offset they came in with."""
    return value.astimezone(timezone.utc).isoformat() if value is not None else None


def photo_json(photo) -> dict:
    return {
        "id": photo.id,
        "client_uuid": photo.client_uuid,
        "visit_id": photo.visit_id,
        "width": photo.width,
        "height": photo.height,
        "size_bytes": photo.size_bytes,
        "sha256": photo.sha256,
        "captured_at": _iso(photo.captured_at),
        "received_at": _iso(photo.received_at),
        "url": url_for("api_visits.photo_image", photo_id=photo.id),
        "thumb_url": url_for("api_visits.photo_thumb", photo_id=photo.id),
    }


def amendment_json(a) -> dict:
    return {"client_uuid": a.client_uuid, "visit_id": a.visit_id, "author_id": a.author_id,
            "created_at": _iso(a.created_at), "changed": amendments.changes(a), "notes_before": a.notes_before,
            "notes_after": a.notes_after, "reply": a.reply, "review_comment": a.review_comment}


def visit_json(visit, household_location_set: bool = False, viewer=None, *, rules: VisitRules) -> dict:
    """The visit as the API shows it; `viewer` decides which other visits the flag evidence links,
    `rules` when a visit counts as sent later (离线补传)."""
    return {
        "id": visit.id,
        "client_uuid": visit.client_uuid,
        "household_id": visit.household_id,
        "helper_id": visit.helper_id,
        "checked_in_at": _iso(visit.checked_in_at),
        "received_at": _iso(visit.received_at),
        "latitude": visit.latitude,
        "longitude": visit.longitude,
        "accuracy_m": visit.accuracy_m,
        "distance_m": round(visit.distance_m, 1) if visit.distance_m is not None else None,
        "within_geofence": visit.within_geofence,
        "flags": list(visit.flags or []),
        "flag_labels": flag_labels(visit),
        "flag_details": flag_details_for(visit, viewer),
        "verification": verification.summary(visit),
        "counts": verification.counts(visit),
        "offline": is_offline(visit, rules),
        "notes": visit.notes,
        "problems": visit.problems,
        "next_steps": visit.next_steps,
        "checklist": visit.checklist or {},
        "reason": visit.reason or "",  # the helper's 原因说明
        "signature": signature_json(visit),  # the household's word
        "measures_done": sorted(m.id for m in visit.measures_done),
        "subsidies": [{"member_id": a.member_id, "item": a.item, "answer": a.answer}
                      for a in sorted(visit.subsidy_answers, key=lambda a: (a.member_id, a.item))],
        "photos": [photo_json(p) for p in visit.photos],
        "household_location_set": household_location_set,
        "review_status": visit.review_status,
        "review_comment": visit.review_comment,
        "amendments": [amendment_json(a) for a in visit.amendments],
    }


def household_json(hh, last_visit=None) -> dict:
    """A household in `GET /api/v1/me/households`: where it is and when it was last visited."""
    return {
        "id": hh.id,
        "name": hh.head_name,
        "village": hh.village.name,
        "address": hh.address,
        "latitude": hh.latitude,
        "longitude": hh.longitude,
        "location_source": hh.location_source,
        "last_visit": last_visit.isoformat() if last_visit else None,
    }


def flag_details_for(visit, viewer=None) -> list[dict]:
    """flag_details with links (url) to the other visits and photos the viewer may see."""
    out = visit_flags.for_viewer(visit, viewer)
    for d in out:
        if "visit_id" in d:
            d["visit_url"] = url_for("visits.show", visit_id=d["visit_id"])
        for m in d.get("matches", []):
            if "other_visit_id" in m:
                m["other_visit_url"] = url_for("visits.show", visit_id=m["other_visit_id"])
                m["other_photo_url"] = url_for("api_visits.photo_thumb", photo_id=m["other_photo_id"])
        for r in d.get("visits", []):
            if "visit_id" in r:
                r["visit_url"] = url_for("visits.show", visit_id=r["visit_id"])
    return out

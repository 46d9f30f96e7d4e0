"""`POST /api/v1/visits/<client_uuid>/signature` and the `signature` of the visit JSON."""
from flask import url_for
from marshmallow import RAISE, Schema, fields, validate

from ..models import SIGNATURE_STATUSES
from . import validators


class SignatureIn(Schema):
    """The form fields beside the optional `image` file (or the same as a JSON object)."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "未知字段。", "type": "格式有误：应为 JSON 对象。"}

    client_uuid = fields.UUID(required=True,
                              error_messages={"required": "必填。", "null": "必填。", "invalid_uuid": "应为 UUID。"})
    status = fields.String(required=True, validate=validate.OneOf(tuple(SIGNATURE_STATUSES),
                                                                  error=f"应为 {'、'.join(SIGNATURE_STATUSES)} 之一。"),
                           error_messages={"required": "必填。", "null": "必填。", "invalid": "应为文字。"})
    note = fields.String(load_default="", validate=[validate.Length(max=200, error="不能超过 200 字。"), validators.plain_text],
                         error_messages={"null": "不能为 null。", "invalid": "应为文字。"})


def signature_json(visit) -> dict | None:
    sig = visit.signature
    if sig is None:
        return None
    return {
        "client_uuid": sig.client_uuid,
        "status": sig.status,
        "label": sig.label,
        "note": sig.note,
        "received_at": sig.received_at.isoformat() if sig.received_at else None,
        "url": url_for("api_visit_checks.signature_image", visit_id=visit.id) if sig.storage_key else None,
        "thumb_url": url_for("api_visit_checks.signature_thumb", visit_id=visit.id) if sig.storage_key else None,
    }

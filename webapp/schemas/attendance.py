"""Attendance input: a check-in as the phone (or its offline outbox) sends it."""
from marshmallow import EXCLUDE, Schema, fields, validate

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

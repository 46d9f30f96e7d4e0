"""Roster rows (花名册): one schema per sheet, keyed by the Chinese headers."""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from ..models import EDUCATION_STAGES, POVERTY_CAUSES, STATUSES
from . import validators

HOUSEHOLD_HEADERS = ("村名", "户主姓名", "身份证号", "家庭人口", "致贫原因", "脱贫状态", "联系电话", "家庭住址", "经度", "纬度", "帮扶责任人")
MEMBER_HEADERS = ("户主身份证号", "姓名", "与户主关系", "出生日期", "在读学段", "就读学校")
REQUIRED_HOUSEHOLD = ("村名", "户主姓名", "身份证号", "家庭人口", "致贫原因", "脱贫状态")
REQUIRED_MEMBER = ("户主身份证号", "姓名")

STATUS_ALIASES = {"脱贫": "已脱贫", "监测": "监测户", "返贫": "监测户", "脱贫不稳定户": "监测户", "边缘易致贫户": "监测户", "突发严重困难户": "监测户"}
REQUIRED_MSG = {"required": "必填。", "null": "必填。"}


def _text(required: bool = False, max_len: int = 200, **kw) -> fields.String:
    return fields.String(
        required=required,
        allow_none=not required,
        validate=validate.Length(min=1 if required else 0, max=max_len, error="长度应为 {min}–{max} 字。"),
        error_messages=REQUIRED_MSG,
        **kw,
    )


def _clean(value):
    if isinstance(value, str):
        return value.strip() or None
    return value


class _Row(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _blank_to_none(self, data, **kwargs):
        return {k: _clean(v) for k, v in data.items()}


class HouseholdRow(_Row):
    village = _text(True, 100, data_key="村名")
    head_name = _text(True, 64, data_key="户主姓名")
    citizen_id = fields.String(required=True, data_key="身份证号", validate=validators.citizen_id, error_messages=REQUIRED_MSG)
    size = fields.Integer(required=True, data_key="家庭人口", strict=False,
                          validate=validate.Range(1, 30, error="家庭人口应为 1–30 的整数。"),
                          error_messages={**REQUIRED_MSG, "invalid": "家庭人口应为整数。"})
    poverty_cause = fields.String(required=True, data_key="致贫原因", error_messages=REQUIRED_MSG)
    status = fields.String(required=True, data_key="脱贫状态", error_messages=REQUIRED_MSG)
    phone = fields.String(allow_none=True, data_key="联系电话", validate=validators.phone)
    address = _text(False, 200, data_key="家庭住址")
    longitude = fields.Float(allow_none=True, data_key="经度", validate=validators.longitude,
                             error_messages={"invalid": "经度应为数字。"})
    latitude = fields.Float(allow_none=True, data_key="纬度", validate=validators.latitude,
                            error_messages={"invalid": "纬度应为数字。"})
    helper = fields.String(allow_none=True, data_key="帮扶责任人")

    @pre_load
    def _normalise(self, data, **kwargs):
        cid = data.get("身份证号")
        if isinstance(cid, str):
            data["身份证号"] = cid.upper()
        elif isinstance(cid, (int, float)):
            raise ValidationError({"身份证号": ["身份证号被表格存成了数字，请把该列设为文本。"]})
        for key in ("联系电话", "家庭人口"):
            if isinstance(data.get(key), float) and data[key].is_integer():
                data[key] = int(data[key])
            if isinstance(data.get(key), int) and key == "联系电话":
                data[key] = str(data[key])
        return data

    @post_load
    def _map_vocab(self, data, **kwargs):
        cause = data["poverty_cause"].removesuffix("致贫")
        if cause not in POVERTY_CAUSES:
            raise ValidationError({"致贫原因": [f"未知致贫原因「{data['poverty_cause']}」，可选：{'、'.join(POVERTY_CAUSES)}。"]})
        data["poverty_cause"] = cause
        status = STATUS_ALIASES.get(data["status"], data["status"])
        if status not in STATUSES:
            raise ValidationError({"脱贫状态": [f"脱贫状态应为 {'、'.join(STATUSES)} 之一。"]})
        data["status"] = status
        return data

    @validates_schema
    def _both_coordinates(self, data, **kwargs):
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError("经度和纬度要么都填，要么都空。", field_name="经度")


class MemberRow(_Row):
    head_citizen_id = fields.String(required=True, data_key="户主身份证号", validate=validators.citizen_id, error_messages=REQUIRED_MSG)
    name = _text(True, 64, data_key="姓名")
    relation = _text(False, 16, data_key="与户主关系")
    birth_date = fields.Date(allow_none=True, data_key="出生日期", error_messages={"invalid": "出生日期应为 YYYY-MM-DD。"})
    education_stage = fields.String(allow_none=True, data_key="在读学段",
                                    validate=validate.OneOf(EDUCATION_STAGES, error=f"在读学段应为 {'、'.join(EDUCATION_STAGES)} 之一。"))
    school = _text(False, 100, data_key="就读学校")

    @pre_load
    def _normalise(self, data, **kwargs):
        cid = data.get("户主身份证号")
        if isinstance(cid, str):
            data["户主身份证号"] = cid.upper()
        bd = data.get("出生日期")
        if hasattr(bd, "date") and callable(bd.date):  # datetime from a spreadsheet cell
            data["出生日期"] = bd.date().isoformat()
        elif hasattr(bd, "isoformat"):
            data["出生日期"] = bd.isoformat()
        elif isinstance(bd, str):
            data["出生日期"] = bd.replace("/", "-").replace(".", "-")
        return data

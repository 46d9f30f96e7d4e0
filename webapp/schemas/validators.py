"""Field checks shared by schemas: citizen ID numbers, phone numbers, coordinates."""
import re
from datetime import date

from marshmallow import ValidationError

ID_RE = re.compile(r"^\d{17}[\dX]$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8}|\d{7,8})$")


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def citizen_id(value: str) -> None:
    """GB 11643-1999: 18 characters, a real birth date, the ISO 7064 check character."""
    if not ID_RE.match(value or ""):
        raise ValidationError("身份证号应为 18 位（最后一位可为 X）。")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError("身份证号中的出生日期无效。") from None
    if id_check_char(value[:17]) != value[17]:
        raise ValidationError("身份证号校验位错误。")


def phone(value: str) -> None:
    if value and not PHONE_RE.match(value):
        raise ValidationError("联系电话格式不正确。")


def latitude(value: float) -> None:
    if not -90 <= value <= 90:
        raise ValidationError("纬度应在 -90 到 90 之间。")


def longitude(value: float) -> None:
    if not -180 <= value <= 180:
        raise ValidationError("经度应在 -180 到 180 之间。")

"""Field checks shared by schemas: coordinates, record ids, storable text, phone-recorded times."""
from marshmallow import ValidationError


def latitude(value: float) -> None:
    if not -90 <= value <= 90:
        raise ValidationError("纬度应在 -90 到 90 之间。")


def longitude(value: float) -> None:
    if not -180 <= value <= 180:
        raise ValidationError("经度应在 -180 到 180 之间。")


# --- hostile input ----------------------------------------------------------------------
MAX_ID = 2**31 - 1  # every id column is a 32-bit INTEGER (PostgreSQL)


def record_id(value: int) -> None:
    """An id sent in JSON: positive and within the column's range (else the driver overflows)."""
    if not 1 <= value <= MAX_ID:
        raise ValidationError("编号超出范围。")


def plain_text(value: str) -> None:
    """Free text that can be stored: no NUL (PostgreSQL refuses it) and no lone UTF-16 surrogate
    (a JSON "\\ud800" escape; it cannot be encoded as UTF-8)."""
    if "\x00" in value:
        raise ValidationError("不能包含空字符（\\0）。")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("包含无效的字符（单独的代理项）。") from None


def moment(value) -> None:
    """An aware time a phone may have recorded: in UTC between 2000 and 2099. Far-off years such as
    9999-12-31T23:59-14:00 would overflow when converted to UTC."""
    from datetime import timezone

    from ..services.calendar import MAX_YEAR, MIN_YEAR

    try:
        year = value.astimezone(timezone.utc).year
    except (OverflowError, ValueError):
        year = None
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(f"时间应在 {MIN_YEAR}–{MAX_YEAR} 年之间。")

"""The request boundary: ids, months, quarters and years read from a URL, a query string or a form.

One rule for all of them:
- ASCII digits only. Python's `int()`, `str.isdigit()` and `re`'s `\\d` also take full-width `２０２６`,
  Arabic-Indic `٢٠٢٦` or superscript `²`; none of those is a number here.
- Bounded: ids fit the database's 32-bit INTEGER (1 … 2147483647), years 2000–2099.
- One answer to a malformed value in a query string or form: 422 with the field named (the API's
  `{"errors": {"village_id": ["…"]}}`, the Chinese error page elsewhere). A value in the path that
  does not parse names no page: 404. A well-formed id the user may not see is a 404 from
  services.access, the same as an id that does not exist.
- An absent or blank parameter takes its default (the current month, quarter or year; no id).
"""
from collections.abc import Mapping

from flask import request
from werkzeug.routing import IntegerConverter

from ..services.calendar import MAX_YEAR, MIN_YEAR, local_today, month_key, parse_month, parse_quarter, quarter_of
from ..services.errors import NotFound, ValidationFailed

MAX_ID = 2**31 - 1  # every id column is a 32-bit INTEGER (PostgreSQL)
ID_MSG = f"应为 1–{MAX_ID} 之间的整数编号。"
YEAR_MSG = f"年份格式应为 YYYY（{MIN_YEAR}–{MAX_YEAR}）。"


def is_ascii_number(raw: str) -> bool:
    return raw.isascii() and raw.isdigit()


def _raw(name: str, source: Mapping | None) -> str:
    values = request.values if source is None else source
    value = values.get(name)
    return value.strip() if isinstance(value, str) else ""


def to_id(raw: str, field: str) -> int:
    """A typed id: ASCII digits within the id column's range, else 422 naming `field`."""
    if not is_ascii_number(raw) or len(raw) > 10 or not 1 <= int(raw) <= MAX_ID:
        raise ValidationFailed(ID_MSG, field=field)
    return int(raw)


def id_arg(name: str, source: Mapping | None = None) -> int | None:
    """An optional id from the query string or form (`source`: request.args or request.form)."""
    raw = _raw(name, source)
    return to_id(raw, name) if raw else None


def int_arg(name: str, default: int | None = None, lo: int = 0, hi: int = MAX_ID,
            source: Mapping | None = None) -> int | None:
    """A whole number typed in a form (a radius, a count): ASCII digits between lo and hi."""
    raw = _raw(name, source)
    if not raw:
        return default
    if not is_ascii_number(raw) or len(raw) > 10 or not lo <= int(raw) <= hi:
        raise ValidationFailed(f"应为 {lo}–{hi} 之间的整数。", field=name)
    return int(raw)


def text_arg(name: str, max_len: int, source: Mapping | None = None) -> str:
    """Free text typed into a search box: trimmed, cut to `max_len` characters (never an error)."""
    return _raw(name, source)[:max_len]


def page_arg(name: str = "page", source: Mapping | None = None) -> int:
    """A list's page number (1 …); past the last page the list shows its last page."""
    return int_arg(name, 1, lo=1, hi=MAX_ID, source=source)


def float_arg(name: str, source: Mapping | None = None) -> float | None:
    """A decimal number typed in a form (a latitude): ASCII, finite; the service checks the range."""
    raw = _raw(name, source)
    if not raw:
        return None
    body = raw[1:] if raw[0] in "+-" else raw
    whole, _, frac = body.partition(".")
    if not (whole or frac) or not all(part == "" or is_ascii_number(part) for part in (whole, frac)) or len(raw) > 32:
        raise ValidationFailed("请输入数字。", field=name)
    return float(raw)


def month_arg(name: str = "month", source: Mapping | None = None, default: bool = True) -> str | None:
    """`YYYY-MM` (ASCII, year 2000–2099); blank: the current month (or None without a default)."""
    raw = _raw(name, source)
    if not raw:
        return month_key(local_today()) if default else None
    try:
        year, month = parse_month(raw)
    except ValueError as err:
        raise ValidationFailed(str(err), field=name) from None
    return f"{year:04d}-{month:02d}"


def quarter_arg(name: str = "quarter", source: Mapping | None = None, default: bool = True) -> str | None:
    """`YYYY-Qn`; blank: the current quarter (or None without a default)."""
    raw = _raw(name, source)
    if not raw:
        if not default:
            return None
        year, q = quarter_of(local_today())
        return f"{year:04d}-Q{q}"
    try:
        year, q = parse_quarter(raw)
    except ValueError as err:
        raise ValidationFailed(str(err), field=name) from None
    return f"{year:04d}-Q{q}"


def year_arg(name: str = "year", source: Mapping | None = None) -> int:
    """`YYYY` between 2000 and 2099; blank: the current year."""
    raw = _raw(name, source)
    if not raw:
        return local_today().year
    if not is_ascii_number(raw) or len(raw) != 4 or not MIN_YEAR <= int(raw) <= MAX_YEAR:
        raise ValidationFailed(YEAR_MSG, field=name)
    return int(raw)


def choice_arg(name: str, allowed, message: str, default: str | None = None,
               source: Mapping | None = None) -> str | None:
    """One of a fixed set of words (a rating, a file format); blank: the default."""
    raw = _raw(name, source)
    if not raw:
        return default
    if raw not in allowed:
        raise ValidationFailed(message, field=name)
    return raw


def month_in_path(raw: str) -> str:
    """A `<month>` path segment: a URL with anything but `YYYY-MM` there names no page (404)."""
    try:
        year, month = parse_month(raw)
    except ValueError:
        raise NotFound("月份格式应为 YYYY-MM。") from None
    return f"{year:04d}-{month:02d}"


def _at_most(n: int) -> str:
    """A regex of the ASCII numbers 0 … n (leading zeros allowed)."""
    digits = str(n)
    shorter = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    below = [f"{digits[:i]}[0-{int(d) - 1}][0-9]{{{len(digits) - i - 1}}}" for i, d in enumerate(digits) if d != "0"]
    return "0*(?:" + "|".join([*shorter, *below, digits]) + ")"


class IdConverter(IntegerConverter):
    """`<int:…>` in URL rules: ASCII digits (werkzeug's `\\d+` also matches `２`), and the id
    column's upper bound unless the rule gives its own, so a larger number is a 404, not an
    overflow in the driver. The bound is in the regex too: a number the converter refused after
    matching was a 405 where the path's GET and POST are two rules (werkzeug's matcher had met the
    other method's rule first)."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
        if max is not None and not fixed_digits and not signed:
            self.regex = _at_most(max)

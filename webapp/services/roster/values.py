"""The values in roster cells, as offices write them, turned into what is stored.

Each function takes a cell as the reader gave it (text, number, date or None) and returns the
value, or raises Refused with the reason in Chinese. Values mapped to another word (脱贫户 →
已脱贫) are counted in Notes, shown in the preview.
"""
import re
import unicodedata
from collections import Counter
from datetime import date, datetime, timedelta

from ...models import EDUCATION_STAGES, POVERTY_CAUSES
from ...models.identity import PHONE_RE
from ...models.vocab import CAUSE_ALIASES, STAGE_ALIASES, STATUS_ALIASES
from . import ids

_SPACES = re.compile(r"[\s\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff]+")
_CAUSE_SPLIT = re.compile(r"[、,，;；/和及+]")
_PHONE_SPLIT = re.compile(r"[,，;；/、]|\s{2,}|(?<=\d)\s+(?=1\d{10})")
_DATE_RES = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_GRADE = re.compile(r"^(小学|初中|高中|中职|中专|职高|大专|高职|本科|大学)?[一二三四五六1-6]?年级$"
                    r"|^(小学|初中|高中|中职|大学|本科)")
EMPTY_WORDS = {"无", "暂无", "-", "--", "—", "/", "空", "0"}


class Refused(Exception):
    """This cell cannot be stored; the message says why (in Chinese)."""


class Notes:
    """What the preview tells about values: mapped words and other quiet corrections."""

    def __init__(self) -> None:
        self.mapped: Counter[tuple[str, str, str]] = Counter()
        self.other: Counter[str] = Counter()

    def map(self, label: str, written: str, stored: str | None) -> None:
        if written != stored:
            self.mapped[(label, written, stored or "（不在校）")] += 1

    def lines(self) -> list[str]:
        out = [f"值的对应：{label} {written} → {stored}（{n} 行）" for (label, written, stored), n in sorted(self.mapped.items())]
        out += [f"{text}（{n} 行）。" for text, n in sorted(self.other.items())]
        return out


def squash(value: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", value))


def text(value, label: str, max_len: int, required: bool = False, number_ok: bool = True) -> str | None:
    """Free text. A number is read as text where a number can be meant (门牌号, 村 1), never silently
    where it cannot (a name)."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float)):
        if not number_ok:
            raise Refused(f"{label}应为文字，表格里却是数字（{value}）。")
        value = str(value)
    if isinstance(value, (datetime, date)):
        raise Refused(f"{label}应为文字，表格里却是日期。")
    if value is not None and not isinstance(value, str):
        value = str(value)
    value = (value or "").strip()
    if not value:
        if required:
            raise Refused(f"{label}：必填。")
        return None
    if "\x00" in value:
        raise Refused(f"{label}：不能包含空字符。")
    if len(value) > max_len:
        raise Refused(f"{label}：长度应为 1–{max_len} 字。")
    return value


def size(value) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        value = squash(value).removesuffix("人").removesuffix("口")
        if not value:
            raise Refused("家庭人口：必填。")
        if not value.isascii() or not value.isdigit():
            raise Refused(f"家庭人口应为整数（表格里是「{value}」）。")
        value = int(value)
    if value is None:
        raise Refused("家庭人口：必填。")
    if not isinstance(value, int) or isinstance(value, bool):
        raise Refused("家庭人口应为整数。")
    if not 1 <= value <= 30:
        raise Refused("家庭人口应为 1–30 的整数。")
    return value


def cause(value, notes: Notes) -> str:
    written = text(value, "致贫原因", 100, required=True, number_ok=False)
    parts = [p for p in (squash(x) for x in _CAUSE_SPLIT.split(written)) if p]
    stored = []
    for part in parts:
        c = CAUSE_ALIASES.get(part, part).removesuffix("致贫")
        c = CAUSE_ALIASES.get(c, c)
        if c not in POVERTY_CAUSES:
            raise Refused(f"未知致贫原因「{part}」，可选：{'、'.join(POVERTY_CAUSES)}。")
        stored.append(c)
    if not stored:
        raise Refused("致贫原因：必填。")
    if len(stored) > 1:
        notes.other[f"致贫原因填了多个，取第一个为主要致贫原因（如「{written}」→ {stored[0]}）"] += 1
    else:
        notes.map("致贫原因", written, stored[0])
    return stored[0]


def status(value, notes: Notes) -> str:
    written = text(value, "脱贫状态", 100, required=True, number_ok=False)
    stored = STATUS_ALIASES.get(squash(written))
    if stored is None:
        raise Refused(f"脱贫状态「{written}」无法识别，应为 已脱贫、未脱贫、监测户 "
                      "或其常见写法（脱贫户、稳定脱贫、监测对象等）。")
    notes.map("脱贫状态", written, stored)
    return stored


def phone(value, notes: Notes) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    written = text(value, "联系电话", 100)
    if written is None:
        return None
    norm = unicodedata.normalize("NFKC", written).strip()
    if squash(norm) in EMPTY_WORDS:
        return None
    numbers = [p.strip() for p in _PHONE_SPLIT.split(norm) if p.strip()]
    if len(numbers) > 1:
        notes.other["联系电话填了两个号码，取第一个"] += 1
    first = numbers[0]
    compact = re.sub(r"[\s\-–—]", "", first)
    if re.fullmatch(r"1\d{10}", compact):
        return compact
    landline = re.sub(r"\s", "", first).replace("–", "-").replace("—", "-")
    if PHONE_RE.match(landline):
        return landline
    raise Refused(f"联系电话「{written}」格式不正确。")


def coordinate(value, label: str) -> float | None:
    if value is None or (isinstance(value, str) and not squash(value)):
        return None
    try:
        number = float(squash(value)) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise Refused(f"{label}应为数字。") from None
    limit = 90 if label == "纬度" else 180
    if not -limit <= number <= limit:
        raise Refused(f"{label}应在 -{limit} 到 {limit} 之间。")
    return number


def birth_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            return birth_date(str(int(value)))
        if not 1 <= value < 80000:
            raise Refused(f"出生日期「{value}」无法识别。")
        found = (datetime(1899, 12, 30) + timedelta(days=int(value))).date()  # Excel's day number
    else:
        written = squash(str(value))
        if not written:
            return None
        for pattern in _DATE_RES:
            if m := pattern.match(written):
                try:
                    found = date(int(m[1]), int(m[2]), int(m[3]))
                except ValueError:
                    raise Refused(f"出生日期「{written}」不是有效日期。") from None
                break
        else:
            raise Refused(f"出生日期「{written}」无法识别，应写成 1975-06-18、1975/6/18 或 1975年6月18日。")
    if not date(1900, 1, 1) <= found <= date.today():
        raise Refused(f"出生日期「{found.isoformat()}」不在 1900 年到今天之间。")
    return found


def stage(value, notes: Notes) -> str | None:
    written = text(value, "在读学段", 40)
    if written is None:
        return None
    key = squash(written)
    if key in STAGE_ALIASES:
        stored = STAGE_ALIASES[key]
    elif m := _GRADE.match(key):
        stored = STAGE_ALIASES.get(m[1] or m[2] or "小学", "小学")
    else:
        raise Refused(f"在读学段「{written}」无法识别，应为 {'、'.join(EDUCATION_STAGES)} 或 非在校生。")
    notes.map("在读学段", written, stored)
    return stored


def helper(value) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return text(value, "帮扶责任人", 64)


def citizen_id(value) -> ids.IdValue:
    return ids.read(value)


# 坐标系 as offices write it (compared without case, width, spaces, '-' or '_'): a point taken on 高德 or
# 腾讯 maps is GCJ-02 (火星坐标), one taken on 百度 maps BD-09 (its own shift on top of GCJ-02), a phone's
# or GPS device's fix is WGS-84; an empty cell is WGS-84. BD-09MC (百度's metres) is not a latitude.
COORD_SYSTEM_WORDS = {
    "wgs84": "wgs84", "wgs": "wgs84", "gps": "wgs84", "手机定位": "wgs84", "北斗": "wgs84",
    "gcj02": "gcj02", "gcj": "gcj02", "火星坐标": "gcj02", "火星坐标系": "gcj02", "火星": "gcj02",
    "国测局坐标": "gcj02", "高德": "gcj02", "高德地图": "gcj02", "腾讯": "gcj02", "腾讯地图": "gcj02",
    "bd09": "bd09", "bd09ll": "bd09", "百度": "bd09", "百度地图": "bd09", "百度坐标": "bd09",
}


_COORD_DASHES = re.compile(r"[-_‐‑‒–—―−]+")


def _coord_word(written: str) -> str | None:
    """One way of writing a system, or a name with the other in brackets (火星坐标（GCJ-02）), with or
    without 坐标系 after it (GCJ-02坐标系, WGS84坐标)."""
    words = set()
    for part in filter(None, re.split(r"[()\[\]【】]", _COORD_DASHES.sub("", written.casefold()))):
        word = COORD_SYSTEM_WORDS.get(part) or COORD_SYSTEM_WORDS.get(part.removesuffix("系").removesuffix("坐标"))
        if word is None:
            return None
        words.add(word)
    return words.pop() if len(words) == 1 else None


def coord_system(value) -> str:
    """The row's coordinate system: "wgs84", "gcj02" or "bd09"."""
    if value is None or isinstance(value, bool):
        return "wgs84"
    written = squash(str(value))
    if not written:
        return "wgs84"
    found = _coord_word(written)
    if found is None:
        raise Refused(f"坐标系「{written}」不认识：应为 WGS-84（手机定位、GPS）、GCJ-02（高德、腾讯地图上取的点，"
                      "即火星坐标）或 BD-09（百度地图上取的点），不填按 WGS-84。")
    return found

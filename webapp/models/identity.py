"""Citizen ID numbers and phone numbers as China writes them: the checks the roster import and the
demo data share (no framework: a problem comes back as its Chinese message)."""
import re
from datetime import date

ID_RE = re.compile(r"^\d{17}[\dX]$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8}|\d{7,8})$")


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of an ID number's first 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def citizen_id_problem(value: str | None) -> str | None:
    """GB 11643-1999: 18 characters, a real birth date, the check character. None when good,
    else why not (in Chinese)."""
    if not ID_RE.match(value or ""):
        return "身份证号应为 18 位（最后一位可为 X）。"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效。"
    if id_check_char(value[:17]) != value[17]:
        return "身份证号校验位错误。"
    return None

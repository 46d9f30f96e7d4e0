"""Citizen ID numbers in roster files: normalise, check, and catch the ones Excel has cut.

Excel keeps 15 significant digits: an 18-digit ID typed into a General/number cell becomes
4.22801E+17 or 422801196503120000. About 1 in 11 cut IDs still passes the check digit by chance,
so an ID ending in 000 is never taken on trust.
"""
import re
import unicodedata
from dataclasses import dataclass

from ...models.identity import citizen_id_problem

EXCEL_CUT = "Excel 只保留 15 位有效数字，请把该列设为文本后重新录入"
# every kind of space a copied cell may hold: ordinary, no-break, full-width, zero-width, BOM
_SPACES = re.compile(r"[\s\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff]+")
_QUOTES = "'‘’`\"“”"
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?E[+]?\d+$")


@dataclass(frozen=True)
class IdValue:
    text: str | None          # the normalised ID (None when blank)
    problem: str | None       # why it cannot be stored, in Chinese (None when good)
    cut: bool = False         # shows that Excel cut IDs in this file (a number, 1.2E+17, a bad …000)
    ends_000: bool = False    # a good ID ending in 000: Excel may have cut it; needs confirming


def normalise_text(value: str) -> str:
    text = unicodedata.normalize("NFKC", value)  # full-width digits and Ｘ
    text = _SPACES.sub("", text).lstrip(_QUOTES).rstrip(_QUOTES)
    return text.upper()


def _number(value: float | int) -> IdValue:
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) == 18:
        # an exporter that wrote all 18 digits into a number cell: exact, check it as text
        return read(str(value))
    shown = f"{value:.0f}" if isinstance(value, float) and abs(value) < 1e19 else str(value)
    return IdValue(shown, f"身份证号被存成了数字（{shown}）：{EXCEL_CUT}。", cut=True)


def read(value) -> IdValue:
    """One cell of an ID column, as the reader gave it (text, number, or None)."""
    if value is None:
        return IdValue(None, None)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(value)
    if not isinstance(value, str):
        return IdValue(str(value), "身份证号应为 18 位文字，不能是日期或其他类型的值。")
    text = normalise_text(value)
    if not text:
        return IdValue(None, None)
    if _SCIENTIFIC.match(text):
        return IdValue(text, f"身份证号是科学计数法（{text}），已丢失后几位：{EXCEL_CUT}。", cut=True)
    if message := citizen_id_problem(text):
        if len(text) == 18 and text.endswith("000"):
            return IdValue(text, f"身份证号以 000 结尾且校验不符，很可能被 Excel 截断：{EXCEL_CUT}。", cut=True)
        return IdValue(text, message)
    return IdValue(text, None, ends_000=text.endswith("000"))


def final_problem(value: IdValue, file_cut: bool, confirm_000: bool) -> str | None:
    """The reason to refuse the ID once the whole file has been seen (None: store it)."""
    if value.problem or not value.ends_000:
        return value.problem
    if file_cut:
        return f"身份证号以 000 结尾，而本文件中其他身份证号显示被 Excel 截断过：{EXCEL_CUT}。"
    if not confirm_000:
        return (f"身份证号以 000 结尾，可能被 Excel 截断（{EXCEL_CUT}）；"
                "如已逐一核对无误，请勾选“以 000 结尾的身份证号已核对无误”后再导入。")
    return None

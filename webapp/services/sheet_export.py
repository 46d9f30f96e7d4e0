"""Tables as CSV (UTF-8 with BOM, for Excel) or XLSX, safe against formula injection.

A text cell that starts with = + - @ (or a tab / carriage return, which some spreadsheet programs
skip before reading a formula) gets a leading apostrophe, so a name such as "=HYPERLINK(...)"
stays text. Numbers stay numbers.
"""
import csv
import io
from typing import Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith(DANGEROUS):
        return "'" + text
    return text


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Sheet1") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([safe_cell(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for cell_row in ws.iter_rows(min_row=2):
        for cell in cell_row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever openpyxl guesses
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

"""Reading roster files: .xlsx, .xls and .csv, with bounded time and memory.

Every reader returns the sheets as rows of plain values (text, numbers, dates, None) with merged
cells filled in, and stops at the row limit. The file type is read from the content, not from the
name (an .xls renamed .xlsx is read as .xls, and says so). Sizes are checked before parsing: an
.xlsx is a zip, and a zip bomb declares its real sizes in the zip directory, which zipfile then
enforces while reading.
"""
import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import xlsx
from .errors import RosterFormatError

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97–2003 (and encrypted .xlsx)
_MERGE_RE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]{1,3})(\d{1,7}):([A-Z]{1,3})(\d{1,7})\"")
MAX_MERGES = 20000


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 12 * 1024 * 1024       # one file as uploaded
    max_rows: int = 120_000                 # rows read from one file, all sheets together
    max_columns: int = 100                  # columns read from a sheet (the rest are ignored)
    max_unzipped: int = 100 * 1024 * 1024   # an .xlsx's parts, all together, once unzipped
    max_ratio: int = 100                    # unzipped / zipped size of one large part


@dataclass
class RawSheet:
    file: str
    name: str
    hidden: bool = False
    rows: list[tuple[int, tuple]] = field(default_factory=list)  # (line as the user sees it, values)


@dataclass
class RawFile:
    name: str
    kind: str  # xlsx, xls, csv
    sheets: list[RawSheet]
    warnings: list[str] = field(default_factory=list)


def read_file(name: str, data: bytes, limits: Limits) -> RawFile:
    if len(data) > limits.max_bytes:
        raise RosterFormatError(f"{name} 太大（{len(data) / 1048576:.1f} MB，"
                                f"上限 {limits.max_bytes / 1048576:.0f} MB），请分批导入。")
    if not data.strip():
        raise RosterFormatError(f"{name} 是空文件。")
    suffix = Path(name).suffix.lower()
    warnings = []
    if data.startswith(ZIP_MAGIC):
        kind = "xlsx"
    elif data.startswith(OLE_MAGIC):
        kind = "xls"
    elif suffix in (".xlsx", ".xls", ".xlsm", ".et"):
        raise RosterFormatError(f"{name} 不是有效的 Excel 文件（文件已损坏，或只是改了扩展名）。"
                                "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。")
    elif suffix in (".csv", ".txt"):
        kind = "csv"
    else:
        raise RosterFormatError(f"{name}：只接受 .xlsx、.xls 或 .csv 文件。")
    if kind == "xls" and suffix != ".xls":
        warnings.append(f"{name} 的扩展名是 {suffix or '（无）'}，内容却是 Excel 97–2003（.xls）格式，已按 .xls 读取。")
    if kind == "xlsx" and suffix not in (".xlsx", ".xlsm"):
        warnings.append(f"{name} 的扩展名是 {suffix or '（无）'}，内容却是 .xlsx 格式，已按 .xlsx 读取。")
    reader = {"xlsx": _xlsx, "xls": _xls, "csv": _csv}[kind]
    sheets = reader(name, data, limits, warnings)
    return RawFile(name, kind, sheets, warnings)


def _too_many_rows(name: str, limits: Limits) -> RosterFormatError:
    return RosterFormatError(f"{name} 超过 {limits.max_rows} 行（含空行），请删去多余的行或分批导入。")


# ---------------------------------------------------------------- merged cells

def _col(letters: bytes | str) -> int:
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode():
        n = n * 26 + ord(ch) - 64
    return n


def _fill_merges(rows, merges: list[tuple[int, int, int, int]], width: int):
    """Yield (line, values) with every cell of a merged range holding the top-left value.
    merges: (first row, last row, first column, last column), 1-based, inclusive."""
    pending = sorted(m for m in merges if m[2] <= width)
    active: list[tuple[tuple[int, int, int, int], object]] = []
    i = 0
    for line, values in rows:
        while i < len(pending) and pending[i][0] < line:
            i += 1  # a merge whose top row never came (rows missing): nothing to copy
        starting = []
        while i < len(pending) and pending[i][0] == line:
            starting.append(pending[i])
            i += 1
        active = [(m, v) for m, v in active if m[1] >= line]
        if not starting and not active:
            yield line, values
            continue
        reach = max(min(m[3], width) for m, _ in active + [(m, None) for m in starting])
        values = list(values) + [None] * (reach - len(values))
        for m in starting:
            active.append((m, values[m[2] - 1] if m[2] - 1 < len(values) else None))
        for (r1, r2, c1, c2), value in active:
            for c in range(c1 - 1, min(c2, width)):
                if c < len(values) and (r1 < line or c > c1 - 1):
                    values[c] = value
        yield line, tuple(values)


# ---------------------------------------------------------------- .xlsx

def _check_zip(name: str, zf: zipfile.ZipFile, limits: Limits) -> None:
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise RosterFormatError(f"{name} 中的 {info.filename} 解压后异常地大（压缩比超过 {limits.max_ratio} 倍），"
                                    "不像真正的花名册，已拒绝。")
    if total > limits.max_unzipped:
        raise RosterFormatError(f"{name} 解压后超过 {limits.max_unzipped // 1048576} MB，请删去多余的行或分批导入。")


def _xlsx_merges(zf: zipfile.ZipFile, path: str) -> list[tuple[int, int, int, int]]:
    """The merged ranges of a sheet, by streaming its XML (openpyxl's read-only mode has none)."""
    merges = []
    tail = b""
    with zf.open(path) as src:
        while chunk := src.read(1 << 20):
            buf = tail + chunk
            for m in _MERGE_RE.finditer(buf):
                merges.append((int(m[2]), int(m[4]), _col(m[1]), _col(m[3])))
                if len(merges) > MAX_MERGES:
                    return merges
            tail = buf[-200:]  # a range may lie across two chunks; found twice, kept once
    return sorted(set(merges))


def _xlsx(name: str, data: bytes, limits: Limits, warnings: list[str]) -> list[RawSheet]:
    damaged = f"{name} 已损坏，无法读取（可能没有上传完整，或被其他程序改坏）。请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。"
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        _check_zip(name, zf, limits)
        if "xl/workbook.xml" not in zf.NameToInfo:
            raise RosterFormatError(f"{name} 不是 Excel 工作簿（可能是 Word 或其他文件改了扩展名）。")
    except zipfile.BadZipFile:
        raise RosterFormatError(damaged) from None
    out = []
    read = 0
    try:
        entries = xlsx.sheets(zf)
        strings = xlsx.shared_strings(zf)
        dates = xlsx.date_styles(zf)
        base = xlsx.epoch(zf)
        for entry in entries:
            sheet = RawSheet(name, entry.name, hidden=entry.hidden)
            out.append(sheet)
            if sheet.hidden:
                continue  # never read: it is reported as skipped
            merges = _xlsx_merges(zf, entry.path)
            found = xlsx.rows(zf, entry.path, strings, dates, base, limits.max_columns)
            for line, values in _fill_merges(found, merges, limits.max_columns):
                read += 1
                if read > limits.max_rows:
                    raise _too_many_rows(name, limits)
                sheet.rows.append((line, _trim(values)))
    except RosterFormatError as err:
        if str(err).startswith("XML:"):
            raise RosterFormatError(damaged) from None
        raise
    except Exception:  # a damaged part: XML cut off, a bad number, a missing part, a CRC error…
        raise RosterFormatError(damaged) from None
    if not entries:
        raise RosterFormatError(damaged)
    return out


def _trim(values) -> tuple:
    values = tuple(None if (isinstance(v, str) and not v.strip()) else v for v in values)
    end = len(values)
    while end and values[end - 1] is None:
        end -= 1
    return values[:end]


# ---------------------------------------------------------------- .xls

def _xls(name: str, data: bytes, limits: Limits, warnings: list[str]) -> list[RawSheet]:
    import xlrd

    damaged = f"{name} 无法按 Excel 97–2003（.xls）读取：文件已损坏或设置了密码。请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。"
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except Exception:
        raise RosterFormatError(damaged) from None
    sheets = []
    read = 0
    try:
        for index in range(book.nsheets):
            ws = book.sheet_by_index(index)
            sheet = RawSheet(name, ws.name, hidden=ws.visibility != 0)
            sheets.append(sheet)
            if sheet.hidden:
                continue
            read += ws.nrows
            if read > limits.max_rows:
                raise _too_many_rows(name, limits)
            width = min(ws.ncols, limits.max_columns)
            rows = ((r + 1, _trim(tuple(_xls_value(ws.cell(r, c), book.datemode) for c in range(min(width, ws.row_len(r))))))
                    for r in range(ws.nrows))
            merges = [(r1 + 1, r2, c1 + 1, c2) for r1, r2, c1, c2 in ws.merged_cells[:MAX_MERGES]]
            sheet.rows = [(line, _trim(values)) for line, values in _fill_merges(rows, merges, width)]
            book.unload_sheet(index)
    except RosterFormatError:
        raise
    except Exception:
        raise RosterFormatError(damaged) from None
    return sheets


def _xls_value(cell, datemode: int):
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, datemode)
        except Exception:
            return cell.value
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return int(cell.value) if float(cell.value).is_integer() and abs(cell.value) < 1e15 else cell.value
    if cell.ctype in (xlrd.XL_CELL_TEXT,):
        return cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    return None  # empty, blank, error (#N/A)


# ---------------------------------------------------------------- .csv

def _decode(name: str, data: bytes, warnings: list[str]) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="strict") if _utf8(data[3:]) else _bad_encoding(name)
    if _utf8(data):
        return data.decode("utf-8")
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return _bad_encoding(name)
    warnings.append(f"{name} 按 GBK/GB18030 编码读取（中文版 Excel 默认的“CSV（逗号分隔）”）。")
    return text


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _bad_encoding(name: str) -> str:
    raise RosterFormatError(f"{name} 的编码无法识别（既不是 UTF-8 也不是 GBK/GB18030）。请在 Excel 中另存为“CSV UTF-8”或 .xlsx。")


def _csv(name: str, data: bytes, limits: Limits, warnings: list[str]) -> list[RawSheet]:
    text = _decode(name, data, warnings)
    if "\x00" in text:
        raise RosterFormatError(f"{name} 不是文本格式的 CSV 文件（含有二进制内容）。")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    sheet = RawSheet(name, Path(name).stem)
    try:
        for line, values in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if line > limits.max_rows:
                raise _too_many_rows(name, limits)
            sheet.rows.append((line, _trim(tuple(values[: limits.max_columns]))))
    except csv.Error:
        raise RosterFormatError(f"{name} 第 {line + 1} 行的格式无法识别（引号不配对或单元格过长）。") from None
    return [sheet]


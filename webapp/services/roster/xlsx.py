"""A small streaming reader for .xlsx roster files (values only), bounded in rows and columns.

openpyxl's read-only mode trusts the sheet's <dimension> (export tools write A1), pads every row
to the widest column, builds an object per shared string and keeps no merged ranges: on a
county's roster (70,000 rows) it spent most of the import's time there. This reader streams each
part with expat (C), keeps only cell values, never reads past the row limit or the column limit,
reads merged ranges in the same pass, refuses XML with a DOCTYPE (entity expansion), and takes the
cached value of formula cells (never the formula text).
"""
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.etree.ElementTree import iterparse

from .errors import RosterFormatError

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_BUILTIN_DATES = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


@dataclass
class SheetEntry:
    name: str
    hidden: bool
    path: str


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _open(zf: zipfile.ZipFile, path: str):
    """A part of the package, refused if it declares a DOCTYPE (no entities in a real workbook)."""
    with zf.open(path) as f:
        head = f.read(4096)
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise ValueError("DOCTYPE in a workbook part")
    return zf.open(path)


def _parts(zf: zipfile.ZipFile, path: str, events=("end",)):
    with _open(zf, path) as f:
        yield from iterparse(f, events)


def sheets(zf: zipfile.ZipFile) -> list[SheetEntry]:
    rels = {}
    for _, el in _parts(zf, "xl/_rels/workbook.xml.rels"):
        if _local(el.tag) == "Relationship":
            target = el.get("Target", "")
            rels[el.get("Id")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    out = []
    for _, el in _parts(zf, "xl/workbook.xml"):
        if _local(el.tag) == "sheet":
            path = rels.get(el.get(f"{{{_REL_NS}}}id") or el.get("id") or "")
            if path and path in zf.NameToInfo:
                out.append(SheetEntry(el.get("name", ""), el.get("state", "visible") != "visible", path))
    return out


def date1904(zf: zipfile.ZipFile) -> bool:
    for _, el in _parts(zf, "xl/workbook.xml"):
        if _local(el.tag) == "workbookPr":
            return el.get("date1904") in ("1", "true")
    return False


def _local_name(name: str) -> str:
    return name.rpartition(":")[2]  # x:row → row (expat without namespace processing)


def _expat(handler):
    """An expat parser calling handler.start/end/chars, refusing any DOCTYPE (entity expansion)."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 65536

    def no_doctype(*args):
        raise ValueError("DOCTYPE in a workbook part")

    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.chars
    return parser


def _feed(zf: zipfile.ZipFile, path: str, handler):
    """Stream the part through expat; yield whatever the handler collected after each chunk."""
    from xml.parsers import expat

    parser = _expat(handler)
    try:
        with zf.open(path) as f:
            while chunk := f.read(1 << 16):
                parser.Parse(chunk, False)
                if handler.out:
                    yield from handler.out
                    handler.out.clear()
            parser.Parse(b"", True)
            yield from handler.out
            handler.out.clear()
    except expat.ExpatError as err:
        raise RosterFormatError(f"XML: {err}") from None


class _Strings:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.parts: list[str] = []
        self.depth_rph = 0
        self.in_t = False

    def start(self, name, attrs):
        tag = _local_name(name)
        if tag == "si":
            self.parts = []
        elif tag == "rPh":
            self.depth_rph += 1  # phonetic runs are not part of the value
        elif tag == "t" and not self.depth_rph:
            self.in_t = True

    def end(self, name):
        tag = _local_name(name)
        if tag == "t":
            self.in_t = False
        elif tag == "rPh":
            self.depth_rph -= 1
        elif tag == "si":
            self.out.append("".join(self.parts))

    def chars(self, data):
        if self.in_t:
            self.parts.append(data)


def shared_strings(zf: zipfile.ZipFile) -> list[str]:
    path = next((n for n in ("xl/sharedStrings.xml", "xl/SharedStrings.xml") if n in zf.NameToInfo), None)
    return list(_feed(zf, path, _Strings())) if path else []


def date_styles(zf: zipfile.ZipFile) -> set[int]:
    """Indexes of cell styles that show a number as a date."""
    if "xl/styles.xml" not in zf.NameToInfo:
        return set()
    custom: dict[int, str] = {}
    dates: set[int] = set()
    index = 0
    in_xfs = False
    for event, el in _parts(zf, "xl/styles.xml", ("start", "end")):
        name = _local(el.tag)
        if name == "cellXfs":
            in_xfs = event == "start"
        elif event == "end" and name == "numFmt":
            custom[int(el.get("numFmtId", "0"))] = el.get("formatCode", "")
        elif event == "end" and name == "xf" and in_xfs:
            fmt = int(el.get("numFmtId", "0") or 0)
            code = _QUOTED.sub("", custom.get(fmt, "")).lower()
            if fmt in _BUILTIN_DATES or (fmt in custom and re.search(r"[ymdhs]", code) and "general" not in code):
                dates.add(index)
            index += 1
    return dates


def _number(text: str):
    try:
        if text.isdigit() and len(text) < 30:
            return int(text)
        return float(text)
    except ValueError:
        return text


class _Rows:
    """Collects (line, values) rows from a sheet's XML, as expat reports it."""

    def __init__(self, strings: list[str], dates: set[int], base: datetime, max_columns: int) -> None:
        self.out: list[tuple[int, tuple]] = []
        self.strings, self.dates, self.base, self.max_columns = strings, dates, base, max_columns
        self.line = 0
        self.cells: dict[int, object] = {}
        self.col = 0
        self.kind = self.style = None
        self.text: list[str] | None = None  # collecting <v> or an inline <t>
        self.value: str | None = None
        self.inline: list[str] = []
        self.in_is = False

    def start(self, name, attrs):
        tag = name if ":" not in name else name.rpartition(":")[2]
        if tag == "c":
            ref = attrs.get("r")
            letters = ref.rstrip("0123456789") if ref else ""
            self.col = _COLS.get(letters) or (col_index(letters) if letters.isalpha() and len(letters) <= 3
                                              else self.col + 1)
            self.kind, self.style, self.value, self.inline = attrs.get("t", "n"), attrs.get("s"), None, []
        elif tag == "v":
            self.text = []
        elif tag == "is":
            self.in_is = True
        elif tag == "t" and self.in_is:
            self.text = self.inline
        elif tag == "row":
            r = attrs.get("r")
            self.line = int(r) if r and r.isdigit() else self.line + 1
            self.cells = {}
            self.col = 0

    def end(self, name):
        tag = name if ":" not in name else name.rpartition(":")[2]
        if tag == "v":
            self.value = "".join(self.text)
            self.text = None
        elif tag == "t":
            self.text = None
        elif tag == "is":
            self.in_is = False
        elif tag == "c":
            if self.col <= self.max_columns:
                value = self._value()
                if value is not None:
                    self.cells[self.col] = value
        elif tag == "row":
            cells = self.cells
            width = max(cells) if cells else 0
            self.out.append((self.line, tuple(cells.get(c) for c in range(1, width + 1))))

    def chars(self, data):
        if self.text is not None:
            self.text.append(data)

    def _value(self):
        kind, v = self.kind, self.value
        if kind == "inlineStr":
            return "".join(self.inline)
        if v is None:
            return None  # an empty cell, or a formula without a cached value (never its text)
        if kind == "s":
            return self.strings[int(v)]
        if kind in ("str", "d"):
            return v
        if kind == "b":
            return v == "1"
        if kind == "e":
            return None
        number = _number(v)
        style = self.style
        if style is not None and style.isdigit() and int(style) in self.dates and isinstance(number, (int, float)):
            try:
                return self.base + timedelta(days=float(number))
            except OverflowError:
                return number
        return number


_COLS = {}
for _i in range(1, 703):  # A … ZZ
    _COLS[(chr(64 + (_i - 1) // 26) if _i > 26 else "") + chr(65 + (_i - 1) % 26)] = _i


def rows(zf: zipfile.ZipFile, path: str, strings: list[str], dates: set[int], base: datetime, max_columns: int):
    """Yield (line, values) for each row present in the sheet, cut at max_columns, trailing empty
    cells dropped. Reading stops as soon as the caller stops asking."""
    yield from _feed(zf, path, _Rows(strings, dates, base, max_columns))


def epoch(zf: zipfile.ZipFile) -> datetime:
    return datetime(1904, 1, 1) if date1904(zf) else datetime(1899, 12, 30)

"""Finding and understanding the table in a sheet: the header row(s), what each column means,
which kind of sheet it is, and which rows hold data.

Real 花名册 have a title row or two, two-row headers whose upper cells group the lower ones
(户主信息 / 姓名, 身份证号), a 序号 column, a 合计 row and a 填表人 footer under the data, and rows
formatted down to row 1000 with only a 序号. The national system's export has one row per person.
"""
import re
import unicodedata
from dataclasses import dataclass, field

from .errors import RowError
from .reading import RawSheet

HEADER_SCAN_ROWS = 20
ID_LABELS = ("身份证号", "户主身份证号")
REQUIRED = {
    "household": ("村名", "户主姓名", "身份证号", "家庭人口", "致贫原因", "脱贫状态"),
    "member": ("户主身份证号", "姓名"),
    "person": ("户编号", "姓名", "身份证号", "与户主关系", "村名", "致贫原因", "脱贫状态"),
}
KIND_LABELS = {"household": "户表", "member": "家庭成员表", "person": "全国系统人员表（一人一行）"}
FOOTER_WORDS = ("合计", "总计", "小计", "共计", "填表人", "填报人", "制表人", "审核人", "审核", "负责人",
                "单位负责人", "填表日期", "填报日期", "制表日期", "说明", "备注：", "注：")
_SPACES = re.compile(r"[\s\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff]+")
_UNIT_SUFFIX = re.compile(r"\([^()]*\)$")


def normalise_header(value) -> str:
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = _SPACES.sub("", text).strip("*＊:：")
    return text


def synonym_table(base: dict[str, list[str]], extra: dict[str, list[str]] | None = None) -> dict[str, str]:
    """Header text (normalised) → the field it names."""
    table = {}
    for source in (base, extra or {}):
        for label, names in source.items():
            for name in [label, *names]:
                table[normalise_header(name)] = label
    return table


def _lookup(text: str, table: dict[str, str]) -> str | None:
    if not text:
        return None
    if text in table:
        return table[text]
    bare = _UNIT_SUFFIX.sub("", text)  # 家庭人口(人)
    return table.get(bare) if bare != text else None


@dataclass
class Table:
    file: str
    sheet: str
    kind: str
    header_lines: tuple[int, int]
    columns: dict[str, int]                          # field → column index (0-based)
    mapping: list[tuple[str, str]]                   # (header as written, field), in column order
    unknown: list[str] = field(default_factory=list)  # headers that name no field
    records: list[tuple[int, dict]] = field(default_factory=list)
    empty: int = 0
    footer: list[int] = field(default_factory=list)  # lines of 合计 / 填表人 rows
    errors: list[RowError] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def title(self) -> str:
        return self.sheet


def _cell_text(values: tuple, c: int) -> str:
    return normalise_header(values[c]) if c < len(values) else ""


def _header_texts(rows: list[tuple[int, tuple]], i: int, pair: bool) -> list[list[str]]:
    """For each column, the header texts to try, best first."""
    upper = rows[i][1]
    if not pair:
        return [[_cell_text(upper, c)] for c in range(len(upper))]
    lower = rows[i + 1][1]
    out = []
    for c in range(max(len(upper), len(lower))):
        u, low = _cell_text(upper, c), _cell_text(lower, c)
        if not low or low == u:
            out.append([u])
        elif not u:
            out.append([low])
        elif u in (_cell_text(upper, c - 1) if c else "", _cell_text(upper, c + 1)):
            # a group cell merged across (户主信息 over 姓名, 身份证号): 户主姓名, then 姓名
            prefix = re.sub(r"(信息|情况|基本情况|基本信息)$", "", u)
            out.append([prefix + low, low, u + low])
        else:
            out.append([u])  # a header over a data row: the lower row is not part of it
    return out


def _map(texts: list[list[str]], table: dict[str, str]) -> list[str | None]:
    labels = []
    for options in texts:
        labels.append(next((lab for t in options if (lab := _lookup(t, table))), None))
    return labels


def _score(labels: list[str | None]) -> int:
    found = {lab for lab in labels if lab and lab != "序号"}
    return len(found) if found & set(ID_LABELS) else 0


def _kind(labels: set[str], sheet_name: str) -> str | None:
    if {"户编号", "与户主关系", "姓名"} <= labels and "身份证号" in labels:
        return "person"
    household_only = {"家庭人口", "致贫原因", "脱贫状态", "户主姓名"}
    if "姓名" in labels and ("户主身份证号" in labels or normalise_header(sheet_name) == "家庭成员") \
            and not labels & household_only:
        return "member"
    if labels & set(ID_LABELS) and ("户主姓名" in labels or ("姓名" in labels and "与户主关系" not in labels)):
        return "household"
    return None


def find_table(raw: RawSheet, table: dict[str, str]) -> Table | None:
    """The table in the sheet, or None when no row in its first rows looks like a roster header."""
    rows = raw.rows[:HEADER_SCAN_ROWS]
    best = None
    for i in range(len(rows)):
        for pair in (False, True):
            if pair and i + 1 >= len(rows):
                continue
            labels = _map(_header_texts(rows, i, pair), table)
            key = (_score(labels), not pair, -i)
            if key[0] >= 3 and (best is None or key > best[0]):
                best = (key, i, pair, labels)
    if best is None:
        return None
    _, i, pair, labels = best
    first, last = rows[i][0], rows[i + 1 if pair else i][0]
    header_cells = [rows[i][1], rows[i + 1][1]] if pair else [rows[i][1]]
    kind = _kind({lab for lab in labels if lab}, raw.name)
    if kind is None:
        return None
    if kind == "household":  # 户主身份证号 and 姓名 mean the head's in a sheet of households
        labels = [{"户主身份证号": "身份证号", "姓名": "户主姓名"}.get(lab, lab) if lab else lab for lab in labels]
    if kind == "member":
        labels = [{"身份证号": "成员身份证号"}.get(lab, lab) if lab else lab for lab in labels]
    tab = Table(raw.file, raw.name, kind, (first, last), {}, [])
    seen: dict[str, int] = {}
    for c, lab in enumerate(labels):
        written = " / ".join(dict.fromkeys(str(cells[c]).strip() for cells in header_cells
                                           if c < len(cells) and cells[c] is not None))
        if not written:
            continue
        if lab is None:
            tab.unknown.append(written)
            continue
        tab.mapping.append((written, lab))
        if lab in seen:
            other = seen[lab]
            tab.errors.append(RowError(raw.name, last, [
                f"「{tab.mapping[other][0]}」（{_letters(tab.columns[lab])} 列）和「{written}」（{_letters(c)} 列）"
                f"都是“{lab}”，不知道该用哪一列。请删去或改名其中一列（例如在列名前加“配偶”）后重新上传。"]))
            continue
        seen[lab] = len(tab.mapping) - 1
        tab.columns[lab] = c
    missing = [lab for lab in REQUIRED[kind] if lab not in tab.columns]
    if missing:
        tab.errors.append(RowError(raw.name, last, [f"{tab.kind_label}缺少这些列：{'、'.join(missing)}。"]))
    if not tab.errors:
        _records(tab, raw.rows, last)
    return tab


def _letters(c: int) -> str:
    out = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        out = chr(65 + r) + out
    return out


_FOOTER_STARTS = frozenset(w[0] for w in FOOTER_WORDS)


def _is_footer(values: tuple) -> bool:
    """A 合计 / 填表人 row: one of its first three non-empty cells starts with such a word."""
    for v in [v for v in values if v is not None][:3]:
        if isinstance(v, str) and v.lstrip()[:1] in _FOOTER_STARTS and normalise_header(v).startswith(FOOTER_WORDS):
            return True
    return False


def _records(tab: Table, rows: list[tuple[int, tuple]], header_last: int) -> None:
    cols = tab.columns
    content = [(lab, c) for lab, c in cols.items() if lab not in ("序号", "村名")]
    id_col = cols.get("身份证号", cols.get("户主身份证号"))
    id_headers = {normalise_header(part) for h, lab in tab.mapping if lab in ID_LABELS for part in h.split(" / ")}
    for line, values in rows:
        if line <= header_last or not values:
            if line > header_last:
                tab.empty += 1
            continue
        if _is_footer(values):
            tab.footer.append(line)
            continue
        if not any(c < len(values) and values[c] is not None for _, c in content):
            tab.empty += 1
            continue
        cid = values[id_col] if id_col is not None and id_col < len(values) else None
        if isinstance(cid, str) and not cid.strip()[:1].isdigit() and normalise_header(cid) in id_headers:
            tab.empty += 1  # the header again (a sheet printed with repeated headers)
            continue
        tab.records.append((line, {lab: values[c] if c < len(values) else None for lab, c in cols.items()}))

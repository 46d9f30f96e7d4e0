"""Reading the files into households and members, every row checked, without the database.

This is the slow part (unzipping, XML, every cell): it runs before any transaction is opened.
"""
import hashlib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from .. import geo
from . import ids, values
from .errors import RosterFormatError, RowError
from .layout import Table, find_table
from .reading import Limits, read_file
from .values import Notes, Refused

ID_FIELDS = ("身份证号", "户主身份证号", "成员身份证号")


@dataclass(frozen=True)
class Options:
    create_villages: bool = True
    confirm_000: bool = False  # the office has checked every ID ending in 000 by hand


@dataclass
class SheetReport:
    file: str
    sheet: str
    kind: str = ""             # 户表, 家庭成员表, …; "" when the sheet was skipped
    skipped: str = ""          # why the sheet was not read
    header_lines: tuple[int, int] | None = None
    mapping: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    rows: int = 0
    empty: int = 0
    footer: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    members: int = 0
    refused: int = 0


@dataclass
class Parsed:
    households: list[dict] = field(default_factory=list)  # each with _sheet, _line, _report
    members: list[dict] = field(default_factory=list)
    sheets: list[SheetReport] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: Notes = field(default_factory=Notes)
    digest: str = ""
    options: Options = Options()
    refused_heads: set[str] = field(default_factory=set)  # ID numbers of households refused in the file


@dataclass
class _Row:
    table: Table
    report: SheetReport
    line: int
    kind: str                     # household, member
    data: dict
    ids: dict[str, ids.IdValue]   # field → ID as read
    problems: list[str]


def parse(files: list[tuple[str, bytes]], synonyms: dict[str, str], limits: Limits, options: Options) -> Parsed:
    out = Parsed(options=options)
    digest = hashlib.sha256()
    for name, data in files:
        digest.update(hashlib.sha256(name.encode()).digest() + hashlib.sha256(data).digest())
    out.digest = digest.hexdigest()
    for name, data in files:
        _parse_file(out, name, data, synonyms, limits, options)
    if not out.households and not out.errors:
        found = "、".join(f"「{s.sheet}」（{s.skipped or s.kind}）" for s in out.sheets)
        raise RosterFormatError("找不到户表：没有一张工作表的表头含 户主姓名 和 身份证号（或全国系统导出的 户编号、与户主关系、"
                                f"证件号码）。读到的工作表：{found or '无'}。")
    _link_members(out)
    return out


def _parse_file(out: Parsed, name: str, data: bytes, synonyms, limits: Limits, options: Options) -> None:
    raw = read_file(name, data, limits)
    out.warnings += raw.warnings
    rows: list[_Row] = []
    for sheet in raw.sheets:
        report = SheetReport(name, sheet.name)
        out.sheets.append(report)
        if sheet.hidden:
            report.skipped = "隐藏的工作表，未导入"
            out.warnings.append(f"{name}：隐藏的工作表「{sheet.name}」未导入（如需导入，请在 Excel 中取消隐藏）。")
            continue
        table = find_table(sheet, synonyms)
        if table is None:
            has_data = sum(1 for _, v in sheet.rows if v)
            report.skipped = "未找到户表或家庭成员表的表头" if has_data else "空工作表"
            if has_data:
                out.warnings.append(f"{name}：工作表「{sheet.name}」没有可识别的表头，未导入。")
            continue
        report.kind, report.header_lines = table.kind_label, table.header_lines
        report.mapping, report.unknown = table.mapping, table.unknown
        report.empty, report.footer, report.rows = table.empty, len(table.footer), len(table.records)
        if table.footer:
            out.warnings.append(f"「{sheet.name}」跳过 {len(table.footer)} 行合计、填表人等表尾（第 "
                                f"{'、'.join(map(str, table.footer[:5]))}{' 等' if len(table.footer) > 5 else ''} 行）。")
        if table.errors:
            out.errors += table.errors
            report.refused += len(table.errors)
            continue
        if table.kind == "person":
            rows += _person_rows(table, report, out.notes)
        else:
            rows += [_row(table, report, line, rec, table.kind, out.notes) for line, rec in table.records]
    cut = any(v.cut for r in rows for v in r.ids.values())
    refused: dict[tuple[int, int], RowError] = {}
    for r in rows:
        for label, value in r.ids.items():
            problem = ids.final_problem(value, cut, options.confirm_000)
            if problem:
                r.problems.append(problem if label in ("身份证号",) else f"{label}：{problem}")
            elif value.text:
                r.data[_ID_KEYS[label]] = value.text
        if r.problems:
            if r.kind == "household" and r.ids.get("身份证号") and r.ids["身份证号"].text:
                out.refused_heads.add(r.ids["身份证号"].text)
            key = (id(r.table), r.line)
            if key in refused:  # the head's row of a person-level export: once as household, once as member
                refused[key].messages += [m for m in r.problems if m not in refused[key].messages]
            else:
                refused[key] = RowError(r.table.sheet, r.line, r.problems)
                out.errors.append(refused[key])
                r.report.refused += 1
            continue
        r.data.update(_sheet=r.table.sheet, _line=r.line, _report=r.report)
        (out.households if r.kind == "household" else out.members).append(r.data)


_ID_KEYS = {"身份证号": "citizen_id", "户主身份证号": "head_citizen_id", "成员身份证号": "member_citizen_id"}


def _catch(problems: list[str], fn, *args):
    try:
        return fn(*args)
    except Refused as err:
        problems.append(str(err))
        return None


def _row(table: Table, report: SheetReport, line: int, rec: dict, kind: str, notes: Notes) -> _Row:
    p: list[str] = []
    found = {label: ids.read(rec.get(label)) for label in ID_FIELDS if label in rec}
    if kind == "household":
        if found.get("身份证号") and found["身份证号"].text is None:
            p.append("身份证号：必填。")
        data = {
            "village": _catch(p, values.text, rec.get("村名"), "村名", 100, True),
            "head_name": _catch(p, values.text, rec.get("户主姓名"), "户主姓名", 64, True, False),
            "size": _catch(p, values.size, rec.get("家庭人口")),
            "poverty_cause": _catch(p, values.cause, rec.get("致贫原因"), notes),
            "status": _catch(p, values.status, rec.get("脱贫状态"), notes),
            "phone": _catch(p, values.phone, rec.get("联系电话"), notes),
            "address": _catch(p, values.text, rec.get("家庭住址"), "家庭住址", 200),
            "longitude": _catch(p, values.coordinate, rec.get("经度"), "经度"),
            "latitude": _catch(p, values.coordinate, rec.get("纬度"), "纬度"),
            "helper": _catch(p, values.helper, rec.get("帮扶责任人")),
        }
        if (data["latitude"] is None) != (data["longitude"] is None) and not any("度" in m for m in p):
            p.append("经度和纬度要么都填，要么都空。")
        system = _catch(p, values.coord_system, rec.get("坐标系"))
        if system and data["latitude"] is not None and data["longitude"] is not None:  # stored as WGS-84
            data["latitude"], data["longitude"] = geo.to_wgs84(data["latitude"], data["longitude"], system)
    else:
        if found.get("户主身份证号") and found["户主身份证号"].text is None:
            p.append("户主身份证号：必填。")
        if "成员身份证号" in found and not found["成员身份证号"].text:
            del found["成员身份证号"]  # a member's own ID is optional
        data = {
            "name": _catch(p, values.text, rec.get("姓名"), "姓名", 64, True, False),
            "relation": _catch(p, values.text, rec.get("与户主关系"), "与户主关系", 16) or "",
            "birth_date": _catch(p, values.birth_date, rec.get("出生日期")),
            "education_stage": _catch(p, values.stage, rec.get("在读学段"), notes),
            "school": _catch(p, values.text, rec.get("就读学校"), "就读学校", 100),
        }
    return _Row(table, report, line, kind, data, found, p)


def _person_rows(table: Table, report: SheetReport, notes: Notes) -> list[_Row]:
    """The national system's export: one row per person; a household is the rows sharing 户编号,
    its head the row whose 与户主关系 is 户主."""
    groups: dict[str, list[tuple[int, dict]]] = {}
    out: list[_Row] = []
    for line, rec in table.records:
        key = rec.get("户编号")
        key = unicodedata.normalize("NFKC", str(key)).strip() if key is not None else ""
        if not key:
            out.append(_Row(table, report, line, "member", {}, {}, ["户编号：必填。"]))
            continue
        groups.setdefault(key, []).append((line, rec))
    for key, members in groups.items():
        heads = [(line, rec) for line, rec in members if values.squash(str(rec.get("与户主关系") or "")) == "户主"]
        if len(heads) != 1:
            why = "没有“户主”行" if not heads else f"有 {len(heads)} 行“户主”"
            out.append(_Row(table, report, members[0][0], "member", {}, {},
                            [f"户编号 {key} {why}（第 {'、'.join(str(line) for line, _ in members[:6])} 行）。"]))
            continue
        head_line, head = heads[0]
        rec = dict(head, 户主姓名=head.get("姓名"), 家庭人口=head.get("家庭人口") or len(members))
        hh = _row(table, report, head_line, rec, "household", notes)
        out.append(hh)
        for line, person in members:
            m = _row(table, report, line, dict(person, 户主身份证号=head.get("身份证号")), "member", notes)
            m.ids["户主身份证号"] = hh.ids["身份证号"]
            m.ids["成员身份证号"] = m.ids.pop("身份证号")
            if m.data.get("birth_date") is None and m.ids["成员身份证号"].text and not m.ids["成员身份证号"].problem:
                t = m.ids["成员身份证号"].text
                m.data["birth_date"] = _catch(m.problems, values.birth_date, f"{t[6:10]}-{t[10:12]}-{t[12:14]}")
            if hh.problems:
                if line != head_line:  # the head's row is refused once, as the household
                    why = f"所在户的户主（第 {head_line} 行）有误，本行一并未导入。"
                    out.append(_Row(table, report, line, "member", {}, {}, [why]))
                continue
            out.append(m)
    return out


def _link_members(out: Parsed) -> None:
    """Members whose 户主身份证号 is not a household of this import stay for the database check;
    a person listed twice in one household is refused."""
    seen: dict[tuple[str, str], int] = {}
    kept = []
    for m in out.members:
        key = (m["head_citizen_id"], m["name"])
        if key in seen:
            out.errors.append(RowError(m["_sheet"], m["_line"], [f"同一户的成员「{m['name']}」与第 {seen[key]} 行重复。"]))
            m["_report"].refused += 1
            continue
        seen[key] = m["_line"]
        kept.append(m)
    out.members = kept
    first: dict[str, tuple[str, int]] = {}
    kept = []
    for h in out.households:
        if h["citizen_id"] in first:
            sheet, line = first[h["citizen_id"]]
            where = f"第 {line} 行" if sheet == h["_sheet"] else f"「{sheet}」第 {line} 行"
            out.errors.append(RowError(h["_sheet"], h["_line"], [f"身份证号与{where}重复。"]))
            h["_report"].refused += 1
            continue
        first[h["citizen_id"]] = (h["_sheet"], h["_line"])
        kept.append(h)
    out.households = kept
    out.warnings += out.notes.lines()


def counts_by_sheet(rows: list[dict]) -> Counter:
    return Counter(id(r["_report"]) for r in rows)

"""Roster import (花名册): parse .xlsx/.csv, validate every row, import all or nothing."""
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import ValidationError
from sqlalchemy import func, select

from ..extensions import db
from ..models import Household, Member, Pairing, Unit, User, Village
from ..schemas.roster import (HOUSEHOLD_HEADERS, REQUIRED_HOUSEHOLD, REQUIRED_MEMBER,
                              HouseholdRow, MemberRow)
from . import audit, pairings

MEMBER_SHEET = "家庭成员"
MAX_ROWS = 20000


@dataclass
class RowError:
    sheet: str
    line: int
    messages: list[str]

    def __str__(self) -> str:
        return f"{self.sheet} 第 {self.line} 行：" + "；".join(self.messages)


@dataclass
class Sheet:
    name: str
    headers: list[str]
    rows: list[tuple[int, dict]]  # (line number as the user sees it, header -> value)


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    members: int = 0
    villages_created: list[str] = field(default_factory=list)
    pairings_changed: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class RosterFormatError(Exception):
    """The file itself cannot be read as a roster."""


# ---------------------------------------------------------------- parsing

def _csv_sheet(data: bytes, name: str) -> Sheet:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterFormatError(f"{name} 不是 UTF-8 编码的 CSV 文件（请在 Excel 中另存为“CSV UTF-8”）。") from None
    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    if not rows:
        raise RosterFormatError(f"{name} 是空文件。")
    headers = [h.strip() for h in rows[0]]
    body = [(i + 2, dict(zip(headers, r))) for i, r in enumerate(rows[1:]) if any(c.strip() for c in r)]
    return Sheet(name, headers, body)


def _xlsx_sheets(data: bytes, name: str) -> list[Sheet]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise RosterFormatError(f"{name} 不是有效的 .xlsx 文件。") from None
    sheets = []
    for ws in wb.worksheets:
        it = ws.iter_rows(values_only=True)
        first = next(it, None)
        if first is None:
            continue
        headers = [str(h).strip() if h is not None else "" for h in first]
        body = []
        for i, r in enumerate(it):
            if r is None or all(c is None or (isinstance(c, str) and not c.strip()) for c in r):
                continue
            body.append((i + 2, {h: v for h, v in zip(headers, r) if h}))
        sheets.append(Sheet(ws.title, headers, body))
    wb.close()
    return sheets


def read_files(files: list[tuple[str, bytes]]) -> tuple[Sheet | None, Sheet | None]:
    """Find the household sheet and the optional member sheet among the given files."""
    sheets: list[Sheet] = []
    for name, data in files:
        suffix = Path(name).suffix.lower()
        if suffix == ".csv":
            sheets.append(_csv_sheet(data, name))
        elif suffix == ".xlsx":
            sheets.extend(_xlsx_sheets(data, name))
        else:
            raise RosterFormatError(f"{name}：只接受 .xlsx 或 .csv 文件。")
    households = members = None
    for sheet in sheets:
        if "户主身份证号" in sheet.headers or sheet.name == MEMBER_SHEET:
            members = members or sheet
        elif "身份证号" in sheet.headers:
            households = households or sheet
    if households is None:
        raise RosterFormatError("找不到户表：第一行应为表头，含 " + "、".join(HOUSEHOLD_HEADERS) + "。")
    for sheet, required in ((households, REQUIRED_HOUSEHOLD), (members, REQUIRED_MEMBER)):
        if sheet is None:
            continue
        missing = [h for h in required if h not in sheet.headers]
        if missing:
            raise RosterFormatError(f"{sheet.name} 缺少表头：" + "、".join(missing) + "。")
        if len(sheet.rows) > MAX_ROWS:
            raise RosterFormatError(f"{sheet.name} 超过 {MAX_ROWS} 行，请分批导入。")
    return households, members


def _messages(err: ValidationError) -> list[str]:
    out = []
    msgs = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
    for key, value in msgs.items():
        items = value if isinstance(value, list) else [value]
        for m in items:
            out.append(m if key == "_schema" else f"{key}：{m}")
    return out


# ---------------------------------------------------------------- validation and import

def import_roster(files: list[tuple[str, bytes]], unit: Unit, by: User | None,
                  create_villages: bool = True) -> ImportResult:
    """Validate every row; if all are good, upsert households (key 身份证号) and members.

    Nothing is written when any row is bad. The caller commits.
    """
    result = ImportResult()
    hsheet, msheet = read_files(files)
    schema, mschema = HouseholdRow(), MemberRow()

    villages = {v.name: v for v in db.session.scalars(select(Village).where(Village.unit_id == unit.id))}
    usernames = {r.get("帮扶责任人").strip() for _, r in hsheet.rows if isinstance(r.get("帮扶责任人"), str) and r.get("帮扶责任人").strip()}
    helpers = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(usernames)))} if usernames else {}
    existing = {h.citizen_id: h for h in db.session.scalars(select(Household))}
    current = {p.household_id: p.helper_id for p in db.session.scalars(select(Pairing).where(Pairing.end_date.is_(None)))}
    loads = dict(db.session.execute(
        select(Pairing.helper_id, func.count()).where(Pairing.end_date.is_(None)).group_by(Pairing.helper_id)
    ).all())
    limit = pairings.limit()

    good: list[dict] = []
    seen: dict[str, int] = {}
    for line, raw in hsheet.rows:
        try:
            row = schema.load(raw)
        except ValidationError as err:
            result.errors.append(RowError(hsheet.name, line, _messages(err)))
            continue
        problems = []
        if row["citizen_id"] in seen:
            problems.append(f"身份证号与第 {seen[row['citizen_id']]} 行重复。")
        else:
            seen[row["citizen_id"]] = line
        if row["village"] not in villages and not create_villages:
            problems.append(f"未知村名「{row['village']}」。")
        if row.get("helper"):
            helper = helpers.get(row["helper"])
            if helper is None or helper.role != "helper" or not helper.active:
                problems.append(f"未知帮扶责任人「{row['helper']}」（应填帮扶责任人的用户名）。")
            elif not problems:  # a rejected row takes no place in the helper's count
                hh = existing.get(row["citizen_id"])
                old = current.get(hh.id) if hh else None
                if old != helper.id:
                    loads[helper.id] = loads.get(helper.id, 0) + 1
                    if old is not None:
                        loads[old] = loads.get(old, 0) - 1
                    if loads[helper.id] > limit:
                        problems.append(f"帮扶责任人「{row['helper']}」将超过 {limit} 户的上限。")
        if problems:
            result.errors.append(RowError(hsheet.name, line, problems))
        else:
            good.append(row)

    members: list[dict] = []
    if msheet is not None:
        known_ids = set(seen) | set(existing)
        for line, raw in msheet.rows:
            try:
                row = mschema.load(raw)
            except ValidationError as err:
                result.errors.append(RowError(msheet.name, line, _messages(err)))
                continue
            if row["head_citizen_id"] not in known_ids:
                result.errors.append(RowError(msheet.name, line, [f"户主身份证号 {row['head_citizen_id'][:4]}…{row['head_citizen_id'][-4:]} 不在户表中。"]))
                continue
            members.append(row)

    if result.errors:
        return result
    _write(result, good, members, unit, by, villages, helpers, existing)
    return result


def _write(result: ImportResult, rows: list[dict], members: list[dict], unit: Unit, by: User | None,
           villages: dict[str, Village], helpers: dict[str, User], existing: dict[str, Household]) -> None:
    for name in dict.fromkeys(r["village"] for r in rows):
        if name not in villages:
            village = Village(unit_id=unit.id, name=name)
            db.session.add(village)
            villages[name] = village
            result.villages_created.append(name)
    db.session.flush()
    for row in rows:
        hh = existing.get(row["citizen_id"])
        values = dict(village_id=villages[row["village"]].id, head_name=row["head_name"], size=row["size"],
                      poverty_cause=row["poverty_cause"], status=row["status"], phone=row.get("phone"),
                      address=row.get("address"))
        if row.get("latitude") is not None:
            values.update(latitude=row["latitude"], longitude=row["longitude"], location_source="roster")
        if hh is None:
            hh = Household(citizen_id=row["citizen_id"], **values)
            db.session.add(hh)
            existing[hh.citizen_id] = hh
            result.created += 1
        else:
            for k, v in values.items():
                setattr(hh, k, v)
            result.updated += 1
        db.session.flush()
        if row.get("helper"):
            before = pairings.current(hh.id)
            pairings.assign(hh, helpers[row["helper"]], by, "花名册导入")
            if before is None or before.helper_id != helpers[row["helper"]].id:
                result.pairings_changed += 1
    for row in members:
        hh = existing[row["head_citizen_id"]]
        m = db.session.scalar(select(Member).where(Member.household_id == hh.id, Member.name == row["name"]))
        if m is None:
            m = Member(household_id=hh.id, name=row["name"])
            db.session.add(m)
        m.relation = row.get("relation") or ""
        m.birth_date = row.get("birth_date")
        m.education_stage = row.get("education_stage")
        m.school = row.get("school")
        result.members += 1
    db.session.flush()
    audit.record(by, "roster.import", "unit", unit.id, created=result.created, updated=result.updated,
                 members=result.members, villages_created=result.villages_created)

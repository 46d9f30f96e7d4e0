"""Planning and writing a roster import, scoped to the importing unit, all or nothing.

Every lookup (households by ID number, members, helpers, villages) starts from the unit. A row
whose ID number is registered in another unit is refused with a message that does not say which
unit, and the caller writes the attempt to the audit log (record_refusals). Lookups are batched
(a few queries per 500 rows, never one per row) and unchanged rows are not written, so importing
the same file again is no slower than the first time.
"""
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import bindparam, insert, or_, select, update

from ...extensions import db
from ...models import AuditLog, Household, Member, Pairing, Role, Unit, User, Village, mask_citizen_id
from .. import audit, pairing_changes
from ..batches import chunks
from ..county import needs_approval
from ..errors import Conflict
from ..pairing_changes import Proposal
from ..rules import PairingRules
from .analysis import Options, Parsed
from .errors import RowError

FOREIGN = "该身份证号已在其他单位登记，不能在本单位导入。如确属本单位，请与县级管理员核实。"
HOUSEHOLD_FIELDS = ("head_name", "size", "poverty_cause", "status", "phone", "address")
MEMBER_FIELDS = ("relation", "birth_date", "education_stage", "school")
REASON = "花名册导入"


@dataclass
class Plan:
    parsed: Parsed
    unit_id: int
    options: Options
    errors: list[RowError] = field(default_factory=list)
    villages_new: list[str] = field(default_factory=list)
    new: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    unchanged: int = 0
    pairings: list[tuple[dict, int | None, int | None, int]] = field(default_factory=list)  # row, old pairing, old helper, helper
    members_new: list[dict] = field(default_factory=list)
    members_updates: list[dict] = field(default_factory=list)
    members_unchanged: int = 0
    foreign: list[dict] = field(default_factory=list)
    rules: PairingRules = field(default_factory=PairingRules, repr=False)
    _existing: dict[str, dict] = field(default_factory=dict, repr=False)
    _villages: dict[str, int] = field(default_factory=dict, repr=False)
    _helpers: dict[str, int] = field(default_factory=dict, repr=False)
    result: "Result | None" = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def fingerprint(self) -> str:
        """What confirming would write: the same file planned against the same data gives the same."""
        h = hashlib.sha256(self.parsed.digest.encode())
        h.update(repr((self.options, sorted(self.villages_new), sorted(r["citizen_id"] for r in self.new),
                       sorted(str(sorted(u.items())) for u in self.updates),
                       sorted((r["citizen_id"], old or 0, helper) for r, old, _, helper in self.pairings),
                       sorted(f"{m['head_citizen_id']}/{m['name']}" for m in self.members_new),
                       sorted(str(sorted(u.items())) for u in self.members_updates),
                       [(e.sheet, e.line) for e in self.errors])).encode())
        return h.hexdigest()[:32]


def _refuse(plan: Plan, row: dict, message: str) -> None:
    plan.errors.append(RowError(row["_sheet"], row["_line"], [message]))
    row["_refused"] = True
    report = row["_report"]
    report.refused += 1
    if row.get("_counted"):  # counted as new / updated before the helper was checked
        setattr(report, row["_counted"], getattr(report, row["_counted"]) - 1)


def plan(parsed: Parsed, unit: Unit, options: Options, pairings: PairingRules) -> Plan:
    """What importing would write, and the rows refused against the unit's data (reads only)."""
    p = Plan(parsed, unit.id, options, errors=list(parsed.errors), rules=pairings)
    p._villages = dict(db.session.execute(select(Village.name, Village.id).where(Village.unit_id == unit.id)).all())
    _plan_households(p, unit)
    _plan_helpers(p, unit)
    _plan_members(p)
    p.errors.sort(key=lambda e: (e.sheet, e.line))
    return p


def _plan_households(p: Plan, unit: Unit) -> None:
    rows = p.parsed.households
    cols = (Household.id, Household.citizen_id, Village.unit_id, Household.village_id, Household.latitude,
            Household.longitude, *(getattr(Household, f) for f in HOUSEHOLD_FIELDS))
    found: dict[str, dict] = {}
    for chunk in chunks([r["citizen_id"] for r in rows]):
        for rec in db.session.execute(select(*cols).join(Village, Household.village_id == Village.id)
                                      .where(Household.citizen_id.in_(chunk))).mappings():
            found[rec["citizen_id"]] = dict(rec)
    for row in rows:
        old = found.get(row["citizen_id"])
        if old is not None and old["unit_id"] != unit.id:
            _refuse(p, row, FOREIGN)
            p.foreign.append({"sheet": row["_sheet"], "line": row["_line"], "household_id": old["id"],
                              "citizen_id": mask_citizen_id(row["citizen_id"])})
            continue
        if row["village"] not in p._villages and not p.options.create_villages:
            _refuse(p, row, f"未知村名「{row['village']}」（本单位没有这个村；可在村管理中先建村，或选择自动建村）。")
            continue
        if row["village"] not in p._villages and row["village"] not in p.villages_new:
            p.villages_new.append(row["village"])
        if old is None:
            p.new.append(row)
            row["_report"].new += 1
            row["_counted"] = "new"
            continue
        p._existing[row["citizen_id"]] = old
        changes = {f: row[f] for f in HOUSEHOLD_FIELDS if row[f] != old[f]}
        if row["village"] not in p._villages or p._villages[row["village"]] != old["village_id"]:
            changes["village"] = row["village"]
        if row["latitude"] is not None and (row["latitude"], row["longitude"]) != (old["latitude"], old["longitude"]):
            changes.update(latitude=row["latitude"], longitude=row["longitude"], location_source="roster")
        if changes:
            p.updates.append({"id": old["id"], **changes})
            row["_counted"] = "updated"
        else:
            p.unchanged += 1
            row["_counted"] = "unchanged"
        setattr(row["_report"], row["_counted"], getattr(row["_report"], row["_counted"]) + 1)


def _plan_helpers(p: Plan, unit: Unit) -> None:
    """The helper of each row; a row that would take a helper over the limit is refused. What counts:
    the households held now, those a change waiting for the county would give (pairing_changes.counted)
    and this file's. Under a county a row that moves a paired household is only proposed: its helper
    keeps it until the county approves, and a household with a change already waiting keeps that one
    (the row changes nothing)."""
    rows = [r for r in p.parsed.households if r.get("helper") and not r.get("_refused")]
    names = sorted({r["helper"] for r in rows})
    helpers: dict[str, User] = {}
    by_name: dict[str, list[User]] = {}
    for chunk in chunks(names):
        for u in db.session.scalars(select(User).where(User.unit_id == unit.id, User.role == Role.HELPER,
                                                       User.active.is_(True),
                                                       or_(User.username.in_(chunk), User.display_name.in_(chunk)))):
            helpers[u.username] = u
            by_name.setdefault(u.display_name, []).append(u)
    for name in names:  # a username first; else a display name that only one helper of the unit has
        if name not in helpers and len(by_name.get(name, [])) == 1:
            helpers[name] = by_name[name][0]
    loads = pairing_changes.counted(u.id for u in helpers.values())
    current: dict[int, tuple[int, int]] = {}
    household_ids = [p._existing[r["citizen_id"]]["id"] for r in rows if r["citizen_id"] in p._existing]
    for chunk in chunks(household_ids):
        for pid, hid, helper_id in db.session.execute(select(Pairing.id, Pairing.household_id, Pairing.helper_id)
                                                      .where(Pairing.end_date.is_(None), Pairing.household_id.in_(chunk))):
            current[hid] = (pid, helper_id)
    county = needs_approval(unit)
    waiting = pairing_changes.pending_households(current) if county else set()
    limit = p.rules.household_limit
    for row in rows:
        helper = helpers.get(row["helper"])
        if helper is None:
            _refuse(p, row, f"未知帮扶责任人「{row['helper']}」（应填本单位在职帮扶责任人的用户名或姓名）。")
            continue
        old = p._existing.get(row["citizen_id"])
        pid, old_helper = current.get(old["id"], (None, None)) if old else (None, None)
        if old_helper == helper.id or (old_helper is not None and old["id"] in waiting):
            continue
        loads[helper.id] = loads.get(helper.id, 0) + 1
        if old_helper is not None and not county:
            loads[old_helper] = loads.get(old_helper, 0) - 1
        if loads[helper.id] > limit:
            _refuse(p, row, f"帮扶责任人「{row['helper']}」将超过 {limit} 户的上限。")
            continue
        p.pairings.append((row, pid, old_helper, helper.id))
    p._helpers = {name: u.id for name, u in helpers.items()}


def _plan_members(p: Plan) -> None:
    members = p.parsed.members
    if not members:
        return
    in_file = {r["citizen_id"] for r in p.parsed.households}
    wanted = sorted({m["head_citizen_id"] for m in members} - in_file)
    for chunk in chunks(wanted):  # heads registered earlier, in this unit only
        for rec in db.session.execute(select(Household.id, Household.citizen_id).join(Village)
                                      .where(Village.unit_id == p.unit_id, Household.citizen_id.in_(chunk))).mappings():
            p._existing.setdefault(rec["citizen_id"], {"id": rec["id"]})
    household_ids = sorted({p._existing[m["head_citizen_id"]]["id"] for m in members if m["head_citizen_id"] in p._existing})
    old: dict[tuple[int, str], dict] = {}
    for chunk in chunks(household_ids):
        for rec in db.session.execute(select(Member.id, Member.household_id, Member.name,
                                             *(getattr(Member, f) for f in MEMBER_FIELDS))
                                      .where(Member.household_id.in_(chunk)).order_by(Member.id)).mappings():
            old.setdefault((rec["household_id"], rec["name"]), dict(rec))
    for m in members:
        head = m["head_citizen_id"]
        if head not in in_file and head not in p._existing:
            if head in p.parsed.refused_heads:
                _refuse(p, m, f"户主身份证号 {mask_citizen_id(head)} 所在的户在户表中有误，本行一并未导入。")
            else:
                _refuse(p, m, f"户主身份证号 {mask_citizen_id(head)} 不在户表中，也不是本单位已登记的户。")
            continue
        m["_report"].members += 1
        before = old.get((p._existing[head]["id"], m["name"])) if head in p._existing else None
        if before is None:
            p.members_new.append(m)
            continue
        changes = {f: m[f] for f in MEMBER_FIELDS if m[f] != before[f]}
        if changes:
            p.members_updates.append({"id": before["id"], **changes})
        else:
            p.members_unchanged += 1


# ---------------------------------------------------------------- writing

@dataclass
class Result:
    created: int
    updated: int
    unchanged: int
    members: int
    villages_created: list[str]
    pairings_changed: int
    pairings_proposed: int = 0  # changes of a current pairing, sent to the county for approval (001)


def write(p: Plan, unit: Unit, by: User | None) -> Result:
    """Write what was planned (the caller commits). Only a plan without refused rows is written."""
    assert p.ok, "a plan with refused rows is never written"
    now = datetime.now(timezone.utc)
    by_id = by.id if by else None
    created = [Village(unit_id=unit.id, name=name) for name in p.villages_new]
    db.session.add_all(created)
    db.session.flush()
    p._villages.update({v.name: v.id for v in created})
    ids: dict[str, int] = {c: rec["id"] for c, rec in p._existing.items()}
    if p.new:
        rows = [{"citizen_id": r["citizen_id"], "village_id": p._villages[r["village"]],
                 **{f: r[f] for f in HOUSEHOLD_FIELDS}, "latitude": r["latitude"], "longitude": r["longitude"],
                 "location_source": "roster" if r["latitude"] is not None else None,
                 "created_at": now, "updated_at": now} for r in p.new]
        table = Household.__table__
        for chunk in chunks(rows, 2000):  # Core executemany: one multi-row INSERT … RETURNING per page
            ids.update({c: i for i, c in db.session.execute(
                insert(table).returning(table.c.id, table.c.citizen_id), chunk)})
    if p.updates:
        rows = []
        for u in p.updates:
            u = dict(u, updated_at=now)
            if "village" in u:
                u["village_id"] = p._villages[u.pop("village")]
            rows.append(u)
        _bulk_update(Household, rows)
    _check_current(p)
    proposed = _propose_to_county(p, unit, by, now) if needs_approval(unit) else 0
    _check_limits(p)
    if p.pairings:
        today = _today()
        ended = [(old, ids[r["citizen_id"]], old_helper) for r, old, old_helper, _ in p.pairings if old]
        if ended:
            _bulk_update(Pairing, [{"id": old, "end_date": today, "end_reason": REASON, "ended_by_id": by_id,
                                    "ended_at": now} for old, _, _ in ended])
        logs = [audit.entry(by_id, now, "pairing.end", "pairing", old, household_id=hid, helper_id=helper, reason=REASON)
                for old, hid, helper in ended]
        started = [{"helper_id": helper, "household_id": ids[r["citizen_id"]], "start_date": today, "reason": REASON,
                    "created_by_id": by_id, "created_at": now} for r, _, _, helper in p.pairings]
        table = Pairing.__table__
        for chunk in chunks(started, 2000):
            for pid, hid, helper in db.session.execute(
                    insert(table).returning(table.c.id, table.c.household_id, table.c.helper_id), chunk):
                logs.append(audit.entry(by_id, now, "pairing.start", "pairing", pid, household_id=hid, helper_id=helper,
                                        reason=REASON))
        audit.record_many(logs)
    if p.members_new:
        rows = [{"household_id": ids[m["head_citizen_id"]], "name": m["name"], **{f: m[f] for f in MEMBER_FIELDS}}
                for m in p.members_new]
        for chunk in chunks(rows, 2000):
            db.session.execute(insert(Member.__table__), chunk)
    if p.members_updates:
        _bulk_update(Member, p.members_updates)
    result = Result(len(p.new), len(p.updates), p.unchanged, len(p.members_new) + len(p.members_updates) + p.members_unchanged,
                    list(p.villages_new), len(p.pairings), proposed)
    db.session.add(AuditLog(user_id=by_id, action="roster.import", entity="unit", entity_id=unit.id, details={
        "created": result.created, "updated": result.updated, "unchanged": result.unchanged, "members": result.members,
        "villages_created": result.villages_created, "pairings_changed": result.pairings_changed,
        "pairings_proposed": result.pairings_proposed, "files": sorted({s.file for s in p.parsed.sheets})}))
    db.session.flush()
    db.session.expire_all()
    return result


def _check_current(p: Plan) -> None:
    """The registered households whose pairing the import changes, locked as the pairing form locks
    them (before the helpers, in the form's order), still with the pairing the plan saw: one paired
    or moved since (on the form) refuses the whole import, instead of a second current pairing."""
    planned = {p._existing[r["citizen_id"]]["id"]: old for r, old, _, _ in p.pairings if r["citizen_id"] in p._existing}
    for chunk in chunks(sorted(planned)):
        db.session.execute(select(Household.id).where(Household.id.in_(chunk)).order_by(Household.id)
                           .with_for_update(key_share=True))
        current = dict(db.session.execute(select(Pairing.household_id, Pairing.id).where(
            Pairing.household_id.in_(chunk), Pairing.end_date.is_(None))).all())
        if any(current.get(hid) != planned[hid] for hid in chunk):
            raise Conflict("导入时有户的结对刚被修改（例如在结对页面上调整），未导入任何数据。请重新上传预览。")


def _check_limits(p: Plan) -> None:
    """The plan's helpers counted again, their rows locked as the pairing form locks them: a pairing
    made since the plan was counted (on the form, by another import) that the import would take past
    the limit refuses the whole import (Conflict: the caller rolls back; nothing is written)."""
    gaining = Counter(helper for _, _, _, helper in p.pairings)
    losing = Counter(old for _, _, old, _ in p.pairings if old is not None)
    for chunk in chunks(sorted(gaining)):
        db.session.execute(select(User.id).where(User.id.in_(chunk)).order_by(User.id).with_for_update(key_share=True))
    held = pairing_changes.counted(gaining)
    for helper_id, n in gaining.items():
        if held.get(helper_id, 0) + n - losing.get(helper_id, 0) > p.rules.household_limit:
            name = db.session.get(User, helper_id).display_name
            raise Conflict(f"导入时帮扶责任人「{name}」刚有了新的结对户，导入后将超过 {p.rules.household_limit} 户的上限，"
                           "未导入任何数据。请重新上传预览。")


def _bulk_update(model, rows: list[dict]) -> None:
    """UPDATE … WHERE id = ? for each row, grouped by the columns it sets (one executemany each)."""
    table = model.__table__
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(sorted(k for k in r if k != "id")), []).append(r)
    for columns, group in groups.items():
        stmt = update(table).where(table.c.id == bindparam("_id")).values({c: bindparam(c) for c in columns})
        for chunk in chunks(group, 2000):
            db.session.execute(stmt, [{"_id": r["id"], **{c: r[c] for c in columns}} for r in chunk])


def _today():
    from ..calendar import local_today

    return local_today()


def record_refusals(p: Plan, unit: Unit, by: User | None) -> None:
    """Write to the audit log that this unit's file named ID numbers registered in another unit."""
    if p.foreign:
        db.session.add(AuditLog(user_id=by.id if by else None, action="roster.foreign_id", entity="unit",
                                entity_id=unit.id, details={"rows": p.foreign[:200], "count": len(p.foreign)}))


def _propose_to_county(p: Plan, unit: Unit, by: User | None, now: datetime) -> int:
    """Under a county, a row that moves a paired household to another helper is an adjustment
    (调整): it becomes a proposal waiting for the county, not a change (001 "必须镇上报县扶贫攻坚指挥部
    同意后方可调整"). A household with a proposal already pending keeps that one. A first pairing of an
    unpaired household stays immediate. Takes the adjustments out of p.pairings; returns how many
    proposals were made."""
    adjustments = [x for x in p.pairings if x[1] is not None]
    p.pairings = [x for x in p.pairings if x[1] is None]
    proposals = [Proposal(p._existing[r["citizen_id"]]["id"], old_helper, helper) for r, _, old_helper, helper in adjustments]
    return len(pairing_changes.propose(unit.id, proposals, by, REASON, p.rules, now)) if proposals else 0

"""Policy answers that open a problem on the household.

A subsidy the student is entitled to answered 未享受 (the catalogue lists, per stage, the items a
student of that stage is entitled to; 不适用 is how a helper says "not entitled"), or a 两不愁三保障
item answered 否 on a visit, opens a measure on the household's task list (source "policy") with a
due date POLICY_PROBLEM_DAYS after the visit (a local choice, configurable). The same open problem
is not opened twice. If still open at its due date it is 004 第九条(三)1 "扶贫政策兑现打折扣" for the
household's helper (flag "policy_short"), instead of the general "plan overdue" flag: one fact, one
sanction.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, select

from ..extensions import db
from ..models import Household, Measure, MeasureStatus, Member, Pairing, SubsidyAnswer, Visit
from ..models.vocab import CHECKLIST
from . import audit, permissions, subsidies
from .calendar import local_date, tz
from .rules import VisitRules

SOURCE = "policy"
# 两不愁三保障 item → the measure family that answers it
CHECKLIST_CATEGORY = {"food": "兜底", "clothing": "兜底", "education": "教育", "medical": "健康",
                      "housing": "住房/搬迁", "water": "住房/搬迁"}


def open_from_visit(visit: Visit, answers: list[SubsidyAnswer], checklist: dict, rules: VisitRules) -> list[Measure]:
    """Open a problem for each 未享受 subsidy and each 两不愁三保障 item answered 否 on this visit,
    due rules.policy_problem_days after it."""
    wanted: list[tuple[str, str, str]] = []  # (source_ref, category, title)
    student_ids = {a.member_id for a in answers if a.answer == "未享受"}
    names = dict(db.session.execute(select(Member.id, Member.name).where(Member.id.in_(student_ids))).all()) \
        if student_ids else {}
    for a in answers:
        if a.answer == "未享受":
            wanted.append((f"subsidy:{a.member_id}:{a.item}", "教育",
                           f"政策落实：{names.get(a.member_id, '')} {subsidies.label(a.item)} 未享受"))
    labels = dict(CHECKLIST)
    for code, ans in (checklist or {}).items():
        if code in labels and ans.get("ok") is False:
            note = (ans.get("note") or "").strip()
            wanted.append((f"checklist:{code}", CHECKLIST_CATEGORY.get(code, "兜底"),
                           f"政策落实：{labels[code]} 未达到" + (f"（{note[:80]}）" if note else "")))
    if not wanted:
        return []
    already = set(db.session.scalars(select(Measure.source_ref).where(
        Measure.household_id == visit.household_id, Measure.source == SOURCE, Measure.status == MeasureStatus.PLANNED,
        Measure.source_ref.in_([w[0] for w in wanted]))))
    due = local_date(visit.checked_in_at) + timedelta(days=rules.policy_problem_days)
    out = []
    for ref, category, title in wanted:
        if ref in already:
            continue
        already.add(ref)
        m = Measure(household_id=visit.household_id, category=category, title=title[:200], due_date=due,
                    status=MeasureStatus.PLANNED, created_by_id=visit.helper_id, source=SOURCE, source_ref=ref,
                    source_visit_id=visit.id, created_at=visit.received_at)
        db.session.add(m)
        out.append(m)
    if out:
        db.session.flush()
        audit.record(None, "measure.policy_problem", "household", visit.household_id, visit_id=visit.id,
                     measures=[m.id for m in out], refs=[m.source_ref for m in out])
    return out


def open_problems(villages: Select, today: date | None = None) -> list[tuple[Measure, Household, bool]]:
    """Open policy problems in the given villages (a Select of village ids): (measure, household, overdue)."""
    today = today or datetime.now(tz()).date()
    rows = db.session.execute(
        select(Measure, Household).join(Household, Household.id == Measure.household_id)
        .where(Measure.source == SOURCE, Measure.status == MeasureStatus.PLANNED, Household.village_id.in_(villages))
        .order_by(Measure.due_date, Measure.id)
    ).all()
    return [(m, h, m.due_date is not None and m.due_date < today) for m, h in rows]


def overdue_by_helper(p, scope: Select) -> dict[int, list[str]]:
    """{helper id: ["张三：政策落实：… (到期 3月20日)"]}: policy problems of the helper's households
    (paired in the month) due by the month's end and still open when it ended (or now, if earlier)."""
    cutoff = min(p.end + timedelta(days=1), p.now.astimezone(tz()).date())
    rows = db.session.execute(
        select(Pairing.helper_id, Household.head_name, Measure.title, Measure.due_date)
        .join(Household, Household.id == Pairing.household_id)
        .join(Measure, Measure.household_id == Household.id)
        .where(Pairing.helper_id.in_(scope), Pairing.start_date <= p.end,
               Pairing.end_date.is_(None) | (Pairing.end_date >= p.start),
               Measure.source == SOURCE, Measure.due_date.is_not(None), Measure.due_date < cutoff,
               Measure.created_at < p.utc_end,
               ~and_(Measure.status == MeasureStatus.DONE, Measure.done_at.is_(None) | (Measure.done_at < p.utc_end)))
        .order_by(Measure.due_date, Measure.id)
    ).all()
    out: dict[int, list[str]] = {}
    for helper_id, head, title, due in rows:
        out.setdefault(helper_id, []).append(f"{head}：{title}（到期 {due.month}月{due.day}日）")
    return out


def for_viewer(user) -> list[tuple[Measure, Household, bool]]:
    """Open policy problems the user may see: a first secretary's village, an office admin's unit."""
    from . import access

    if not permissions.can_handle_policy_problems(user):
        return []
    visible = access.villages(user).subquery()
    return open_problems(select(visible.c.id))

"""The office's quarterly on-site assessment of every helper (004 第六条(二) 季度考核: "采取实地查看、
查阅资料、与帮扶对象见面谈话等方式进行，对所有帮扶责任人统一评估").

The office records one result per helper per quarter (优秀 / 合格 / 不合格, with a note) and the
household's satisfaction found (满意 / 基本满意 / 不满意, 不满意 with a note). With the monthly spot
checks it is the basis of the year-end rating (004 第五条 "以月抽查、季考核结果作为年终考核评价…的
重要依据"): the year's rating is the computed one (the monthly scores, spot-check effects included:
the evidence) capped at the worst on-site result of the year (ONSITE_CAPS_YEAR, local choice).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select

from .. import database
from ..extensions import db
from ..models import ONSITE_RESULTS, SATISFACTION_LEVELS, OnsiteAssessment, SpotCheckDraw, SpotCheckItem, User
from . import audit, permissions
from .assessment.spot_effects import RATING_ORDER
from .calendar import parse_quarter, quarter_months
from .errors import Forbidden, ValidationFailed
from .rules import AssessmentRules


def record(by: User, helper: User, quarter: str, result: str, note: str, satisfaction: str,
           satisfaction_note: str) -> OnsiteAssessment:
    """Store (or replace) the helper's on-site result of the quarter; the helper is in the office's unit."""
    if not permissions.administers_unit(by) or helper.unit_id != by.unit_id:
        raise Forbidden("只有本乡扶贫办可以登记季度实地考核。")
    result, note = (result or "").strip(), (note or "").strip()
    satisfaction, satisfaction_note = (satisfaction or "").strip(), (satisfaction_note or "").strip()
    errors: dict[str, list[str]] = {}
    if result not in ONSITE_RESULTS:
        errors["result"] = ["考核结果应为 优秀、合格 或 不合格。"]
    elif result == "不合格" and not note:
        errors["note"] = ["不合格请写明实地查看发现的问题。"]
    if satisfaction and satisfaction not in SATISFACTION_LEVELS:
        errors["satisfaction"] = ["满意度应为 满意、基本满意 或 不满意。"]
    elif satisfaction == "不满意" and not satisfaction_note:
        errors["satisfaction_note"] = ["请写明群众不满意的原因。"]
    if len(note) > 2000 or len(satisfaction_note) > 2000:
        errors.setdefault("note", []).append("说明最多 2000 字。")
    if errors:
        raise ValidationFailed("；".join(m for msgs in errors.values() for m in msgs), errors=errors)
    database.lock(User, helper.id)  # the same entry sent twice at once: one row
    row = db.session.scalar(select(OnsiteAssessment).where(OnsiteAssessment.helper_id == helper.id,
                                                           OnsiteAssessment.quarter == quarter))
    if row is None:
        row = OnsiteAssessment(unit_id=by.unit_id, helper_id=helper.id, quarter=quarter, result=result)
        db.session.add(row)
    row.result, row.note, row.entered_by_id = result, note or None, by.id
    row.satisfaction, row.satisfaction_note = satisfaction or None, satisfaction_note or None
    db.session.flush()
    audit.record(by, "onsite.record", "onsite_assessment", row.id, helper_id=helper.id, quarter=quarter, result=result,
                 satisfaction=satisfaction)
    return row


def for_quarter(unit_id: int, quarter: str) -> dict[int, OnsiteAssessment]:
    rows = db.session.scalars(select(OnsiteAssessment).where(OnsiteAssessment.unit_id == unit_id,
                                                             OnsiteAssessment.quarter == quarter))
    return {r.helper_id: r for r in rows}


def year_end_rating(rules: AssessmentRules, computed: str | None, onsite_results: Iterable[str]) -> str | None:
    """The computed year rating capped at the worst on-site result (when rules.onsite_caps_year)."""
    results = [r for r in onsite_results if r in RATING_ORDER]
    if not results or not rules.onsite_caps_year:
        return computed
    worst = min(results, key=RATING_ORDER.get)
    if computed is None or RATING_ORDER[computed] > RATING_ORDER[worst]:
        return worst
    return computed


def _spot_items(helper_ids: list[int], months: list[str]) -> list[SpotCheckItem]:
    if not helper_ids:
        return []
    return list(db.session.scalars(
        select(SpotCheckItem).join(SpotCheckDraw, SpotCheckDraw.id == SpotCheckItem.draw_id)
        .where(SpotCheckDraw.month.in_(months), SpotCheckDraw.superseded.is_(False),
               SpotCheckItem.helper_id.in_(helper_ids))))


def year_basis(rules: AssessmentRules, helper: User, year: int, computed: str | None) -> dict:
    """What the helper's year-end rating rests on: the four on-site results, the year's spot checks."""
    quarters = [f"{year}-Q{q}" for q in range(1, 5)]
    onsite = {r.quarter: r for r in db.session.scalars(select(OnsiteAssessment).where(
        OnsiteAssessment.helper_id == helper.id, OnsiteAssessment.quarter.in_(quarters)))}
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    spots = sorted(((i.draw.month, i) for i in _spot_items([helper.id], months) if i.result), key=lambda x: x[0])
    return {"quarters": quarters, "onsite": onsite, "spots": spots,
            "rating": year_end_rating(rules, computed, [r.result for r in onsite.values()])}


def satisfaction(quarter: str, village_of: dict[int, int | None]) -> tuple[dict, dict]:
    """Satisfaction of the quarter, on-site assessments and spot checks together:
    ({helper id: {level: n}}, {village id: {level: n}}) for the helpers named in village_of."""
    year, q = parse_quarter(quarter)
    months = [f"{year:04d}-{m:02d}" for _, m in quarter_months(year, q)]
    ids = list(village_of)
    levels = [(i.helper_id, i.satisfaction) for i in _spot_items(ids, months) if i.satisfaction]
    if ids:
        levels += [(r.helper_id, r.satisfaction) for r in db.session.scalars(select(OnsiteAssessment).where(
            OnsiteAssessment.quarter == quarter, OnsiteAssessment.helper_id.in_(ids))) if r.satisfaction]
    per_helper: dict[int, Counter] = {}
    per_village: dict[int | None, Counter] = {}
    for helper_id, level in levels:
        per_helper.setdefault(helper_id, Counter())[level] += 1
        per_village.setdefault(village_of.get(helper_id), Counter())[level] += 1

    def full(d):
        return {k: {level: c.get(level, 0) for level in SATISFACTION_LEVELS} for k, c in d.items()}

    return full(per_helper), full(per_village)

"""The household's task list (帮扶措施): add measures to the plan; visits tick them done."""
from datetime import date, datetime

from sqlalchemy import case, select

from ..extensions import db
from ..models import MEASURE_CATEGORIES, Household, Measure, MeasureStatus, User, Visit
from . import access, audit
from .errors import Forbidden, ValidationFailed


def for_household(household_id: int) -> list[Measure]:
    """Open measures first (earliest due first), then the done ones (latest first)."""
    return list(db.session.scalars(
        select(Measure).where(Measure.household_id == household_id).order_by(
            case((Measure.status == MeasureStatus.PLANNED, 0), else_=1),
            Measure.due_date.is_(None), Measure.due_date, Measure.done_at.desc(), Measure.id,
        )
    ))


def planned(household_id: int) -> list[Measure]:
    return [m for m in for_household(household_id) if m.status == MeasureStatus.PLANNED]


def add(user: User, household: Household, category: str, title: str, due: date | str | None) -> Measure:
    if not access.can_plan(user, household):
        raise Forbidden("您不能修改这户的帮扶计划。")
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if category not in MEASURE_CATEGORIES:
        errors["category"] = [f"类别应为 {'、'.join(MEASURE_CATEGORIES)} 之一。"]
    if len(title) < 2 or len(title) > 200:
        errors["title"] = ["请填写措施内容（2–200 字）。"]
    if isinstance(due, str):
        due = due.strip()
        try:
            due = date.fromisoformat(due) if due else None
        except ValueError:
            errors["due_date"] = ["完成期限应为日期（YYYY-MM-DD）。"]
            due = None
    if due is not None and not (date(2000, 1, 1) <= due <= date(2100, 1, 1)):
        errors["due_date"] = ["完成期限不合理。"]
    if errors:
        raise ValidationFailed("帮扶措施有误。", errors=errors)
    measure = Measure(household_id=household.id, category=category, title=title, due_date=due,
                      status=MeasureStatus.PLANNED, created_by_id=user.id)
    db.session.add(measure)
    db.session.flush()
    audit.record(user, "measure.add", "measure", measure.id, household_id=household.id, category=category)
    return measure


def tick(visit: Visit, measure_ids: list[int], at: datetime) -> list[Measure]:
    """Mark the household's open measures done by this visit. Ids of other households are refused;
    a measure already done stays recorded with the visit that completed it."""
    if not measure_ids:
        return []
    found = {m.id: m for m in db.session.scalars(
        select(Measure).where(Measure.id.in_(measure_ids), Measure.household_id == visit.household_id))}
    unknown = sorted(set(measure_ids) - set(found))
    if unknown:
        raise ValidationFailed("帮扶措施不属于这户。", field="measures_done",
                               errors={"measures_done": [f"措施 {', '.join(map(str, unknown))} 不属于这户。"]})
    done = []
    for m in found.values():
        if m.status == MeasureStatus.PLANNED:
            m.status = MeasureStatus.DONE
            m.done_visit_id = visit.id
            m.done_at = at
            done.append(m)
    return done


def check_ids(household_id: int, measure_ids: list[int]) -> None:
    """Validate before anything is written."""
    if not measure_ids:
        return
    known = set(db.session.scalars(
        select(Measure.id).where(Measure.id.in_(measure_ids), Measure.household_id == household_id)))
    unknown = sorted(set(measure_ids) - known)
    if unknown:
        raise ValidationFailed("帮扶措施不属于这户。",
                               errors={"measures_done": [f"措施 {', '.join(map(str, unknown))} 不属于这户。"]})

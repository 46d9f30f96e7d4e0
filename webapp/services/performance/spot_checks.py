"""Monthly spot checks: a reproducible draw of the unit's helpers (seeded PRNG, logged population),
redraws kept as superseded, and the recorded results."""
from __future__ import annotations

import math
import random
import secrets
from datetime import datetime, timezone

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import joinedload, selectinload

from ... import database
from ...extensions import db
from ...models import SPOT_RESULTS, AuditLog, Pairing, SpotCheckDraw, SpotCheckItem, Unit, User
from .. import access, audit
from ..errors import Conflict, ValidationFailed
from .closing import is_closed, require_admin
from .month import period
from .rules import ScoringRules


def _population(by: User, key: str) -> list[int]:
    p = period(key)
    paired = select(Pairing.helper_id).where(Pairing.start_date <= p.end,
                                             Pairing.end_date.is_(None) | (Pairing.end_date >= p.start))
    return list(db.session.scalars(
        access.helper_ids(by).where(User.id.in_(paired), User.active.is_(True)).order_by(User.id)
    ).all())


def sample(population: list[int], ratio: float, seed: str) -> list[int]:
    """The draw: ceil(ratio × N) helpers (at least one), chosen by a PRNG seeded with the stored seed."""
    if not population:
        return []
    k = min(len(population), max(1, math.ceil(round(ratio * len(population), 6))))
    return sorted(random.Random(seed).sample(sorted(population), k))


def current_draw(unit_id: int, key: str) -> SpotCheckDraw | None:
    return db.session.scalar(
        select(SpotCheckDraw).where(SpotCheckDraw.unit_id == unit_id, SpotCheckDraw.month == key,
                                    SpotCheckDraw.superseded.is_(False)).order_by(SpotCheckDraw.id.desc())
    )


def draws(unit_id: int, key: str, with_helpers: bool = False) -> list[SpotCheckDraw]:
    q = (select(SpotCheckDraw).where(SpotCheckDraw.unit_id == unit_id, SpotCheckDraw.month == key)
         .order_by(SpotCheckDraw.id.desc()))
    if with_helpers:
        q = q.options(selectinload(SpotCheckDraw.items).joinedload(SpotCheckItem.helper), joinedload(SpotCheckDraw.drawn_by))
    return db.session.scalars(q).all()


REDRAW_MSG = "本月已经抽取过，重新抽取会换一批人：请先在“重新抽取”中确认。"
CLOSED_REDRAW_MSG = "这个月已经关账，抽查结果已计入考核，不能重新抽取。要重新抽取请先重新打开这个月。"


def draw(rules: ScoringRules, by: User, month: str, seed: str | None = None, ratio: float | None = None,
         replace: bool = False) -> SpotCheckDraw:
    """Draw this month's spot check of the unit's helpers. A month that has a draw is drawn again only
    when `replace` says so (the confirm step) and while it is open; the earlier draw is kept, marked
    superseded."""
    require_admin(by)
    p = period(month)
    ratio = float(rules.spot_check_ratio if ratio is None else ratio)
    if not 0 < ratio <= 1:
        raise ValidationFailed("抽查比例应在 0 到 1 之间。", field="ratio")
    seed = (seed or "").strip() or secrets.token_hex(16)
    if len(seed) > 64:
        raise ValidationFailed("抽签码最多 64 个字符。", field="seed")
    population = _population(by, p.key)
    if not population:
        raise ValidationFailed("这个月没有可抽查的帮扶责任人。", field="month")
    database.lock(Unit, by.unit_id)  # two draws sent at once: the second sees the first's
    previous = current_draw(by.unit_id, p.key)
    if previous is not None and not replace:
        raise Conflict(REDRAW_MSG, field="replace")
    if previous is not None and is_closed(by.unit_id, p.key):  # its results count in the closed month
        raise Conflict(CLOSED_REDRAW_MSG, field="replace")
    if previous is not None:
        previous.superseded = True
    d = SpotCheckDraw(unit_id=by.unit_id, month=p.key, seed=seed, ratio=ratio, drawn_by_id=by.id)
    db.session.add(d)
    db.session.flush()
    chosen = sample(population, ratio, seed)
    db.session.execute(insert(SpotCheckItem), [{"draw_id": d.id, "helper_id": h} for h in chosen])
    audit.record(by, "spotcheck.draw", "spot_check_draw", d.id, month=p.key, seed=seed, ratio=ratio,
                 population=population, chosen=chosen, superseded=previous.id if previous else None)
    db.session.expire(d, ["items"])
    return d


def draw_population(d: SpotCheckDraw) -> list[int]:
    """The population the draw was made from, as logged when it was drawn."""
    entry = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "spotcheck.draw", AuditLog.entity_id == d.id).order_by(AuditLog.id)
    )
    return list((entry.details or {}).get("population", [])) if entry else []


def reproduce(d: SpotCheckDraw) -> tuple[list[int], bool]:
    """Draw again from the stored seed and logged population: (helpers, same as stored?)."""
    again = sample(draw_population(d), d.ratio, d.seed)
    return again, again == sorted(i.helper_id for i in d.items)


def record_result(by: User, item: SpotCheckItem, result: str, note: str) -> SpotCheckItem:
    if result not in SPOT_RESULTS:
        raise ValidationFailed("抽查结果应为 符合、基本符合 或 不符合。", field="result")
    note = (note or "").strip()
    if result != "符合" and not note:
        raise ValidationFailed(f"选“{result}”时，请在说明中写明与记录不一致之处。", field="note")
    database.lock(Unit, item.draw.unit_id)  # a re-draw under way (it holds this lock): wait for it,
    db.session.refresh(item.draw, ["superseded"])  # then read whether it replaced this draw
    if item.draw.superseded:
        raise Conflict("这次抽样已被重新抽取替代，请在新的抽样中登记。")
    item.result, item.note, item.checked_by_id, item.checked_at = result, note or None, by.id, datetime.now(timezone.utc)
    audit.record(by, "spotcheck.result", "spot_check_item", item.id, helper_id=item.helper_id, result=result, note=note)
    return item


def spot_check_items(key: str, scope: Select) -> dict[int, SpotCheckItem]:
    """The current (not superseded) draw's item per helper for the month, for helpers in scope."""
    rows = db.session.scalars(
        select(SpotCheckItem).join(SpotCheckDraw, SpotCheckDraw.id == SpotCheckItem.draw_id)
        .join(User, User.id == SpotCheckItem.helper_id)
        .where(SpotCheckDraw.month == key, SpotCheckDraw.superseded.is_(False), SpotCheckDraw.unit_id == User.unit_id,
               SpotCheckItem.helper_id.in_(scope))
    ).all()
    return {i.helper_id: i for i in rows}

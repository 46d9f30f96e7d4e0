"""What a monthly spot check (004 第六条(一) 当月抽查) does to the helper's month, and the household
satisfaction (群众满意度, 000 and 002) recorded on it.

The effect is applied when a month is read (live or from a closed month's snapshot), after the
computed score: a result recorded after the month was closed still counts, and the snapshot keeps
the computed evidence. Points and caps come from SPOT_CHECK_EFFECTS (a local choice, configurable).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ...models import SATISFACTION_LEVELS, SpotCheckItem, User
from .. import audit
from ..errors import Conflict, ValidationFailed

if TYPE_CHECKING:
    from ..performance.rules import ScoringRules

RATING_ORDER = {"优秀": 2, "合格": 1, "不合格": 0}
CODE = "spot_check"


def _fmt(x: float) -> str:
    return f"{x:g}"


def apply(hm, scoring: ScoringRules) -> None:
    """Move a HelperMonth's score and rating by its spot-check result (idempotent)."""
    from ..performance import Rule

    item = hm.spot_check
    if item is None or not item.result:
        return
    effect = scoring.spot_check_effects.get(item.result)
    if not effect:
        return
    rules = hm.rules  # builds the explanation first
    if any(r.code == CODE for r in rules):
        return
    ded = float(effect.get("deduction", 0) or 0)
    cap = effect.get("rating_cap")
    before = hm.score
    score = round(max(0.0, min(100.0, before - ded)) + 1e-9, 1)
    reason = f"当月抽查结果为{item.result}" + (f"（{item.note}）" if item.note else "")
    veto = hm.veto
    if cap is not None and RATING_ORDER.get(cap, 2) < 2:
        hm.vetoed = True
        hm._veto = f"{veto}；{reason}" if veto else f"{reason}，不能评为优秀"
    rating = hm.rate(score)
    if cap in RATING_ORDER and RATING_ORDER[rating] > RATING_ORDER[cap]:
        rating = cap
    hm.score, hm.rating = score, rating
    facts = (f"{reason}：扣 {_fmt(ded)} 分" + (f"，等级最高为{cap}" if cap else "")
             + "（抽查依据 004 第六条(一)；扣分和等级上限为本地设置，可配置）")
    rules.append(Rule(CODE, "当月抽查", -ded if ded else 0.0, 0, facts, f"{reason} (−{_fmt(ded)})" if ded else reason))


def record_satisfaction(by: User, item: SpotCheckItem, satisfaction: str, note: str) -> SpotCheckItem:
    """Store the household's satisfaction found on the spot check; 不满意 needs a note."""
    satisfaction = (satisfaction or "").strip()
    note = (note or "").strip()
    if not satisfaction:
        if note:
            raise ValidationFailed("请选择满意度。", field="satisfaction")
        return item
    if satisfaction not in SATISFACTION_LEVELS:
        raise ValidationFailed("满意度应为 满意、基本满意 或 不满意。", field="satisfaction")
    if satisfaction == "不满意" and not note:
        raise ValidationFailed("请写明群众不满意的原因。", field="satisfaction_note")
    if len(note) > 2000:
        raise ValidationFailed("满意度说明最多 2000 字。", field="satisfaction_note")
    if item.draw.superseded:
        raise Conflict("这次抽样已被重新抽取替代，请在新的抽样中登记。")
    item.satisfaction, item.satisfaction_note = satisfaction, note or None
    if item.checked_at is None:
        item.checked_by_id, item.checked_at = by.id, datetime.now(UTC)
    audit.record(by, "spotcheck.satisfaction", "spot_check_item", item.id, helper_id=item.helper_id,
                 satisfaction=satisfaction, note=note)
    return item


def satisfaction_by_village(results: Iterable) -> dict[int | None, dict[str, int]]:
    """{village id: {满意: n, 基本满意: n, 不满意: n}} over the spot checks of the results shown."""
    out: dict[int | None, Counter] = {}
    for r in results:
        item = getattr(r, "spot_check", None)
        if item is not None and item.satisfaction:
            out.setdefault(r.village_id, Counter())[item.satisfaction] += 1
    return {v: {level: c.get(level, 0) for level in SATISFACTION_LEVELS} for v, c in out.items()}


def record_check(by: User, item: SpotCheckItem, result: str, note: str, satisfaction: str, satisfaction_note: str,
                 fake: bool) -> SpotCheckItem:
    """The whole spot-check form: the result (performance.record_result), the household's
    satisfaction and whether 弄虚作假 was found (004 第九条(四)2)."""
    from .. import performance, sanctions

    performance.record_result(by, item, result, note)
    record_satisfaction(by, item, satisfaction, satisfaction_note)
    sanctions.mark_spot_check_fake(by, item, fake)
    return item

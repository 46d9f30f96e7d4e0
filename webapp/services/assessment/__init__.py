"""Assessment rules from the source documents, kept out of services/performance/.

after_month() is the one hook performance.py calls on every month it shows (live or closed):
the spot-check result moves the score and rating (spot_effects), and 弄虚作假 confirmed by a
reviewer or a spot check raises 004 第九条(四)2 (services.sanctions) and caps the rating.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select

from .. import policy_problems, sanctions
from . import spot_effects

if TYPE_CHECKING:
    from ..performance.rules import ScoringRules

RATING_ORDER = spot_effects.RATING_ORDER


def after_month(results: list[Any], p: Any, scope: Select, rules: ScoringRules) -> None:
    """Apply what the township's own checks found to computed months (idempotent)."""
    if not results:
        return
    fakes = sanctions.fake_visits(p.utc_start, p.utc_end, scope)
    short = policy_problems.overdue_by_helper(p, scope)
    for r in results:
        spot_effects.apply(r, rules)
        _fake(r, fakes.get(r.helper_id, []), rules)
        _policy_short(r, short.get(r.helper_id, []), rules)


def _policy_short(hm: Any, items: list[str], rules: ScoringRules) -> None:
    from ..performance import Flag

    if not items or any(f.code == "policy_short" for f in hm.flags):
        return
    label, step, text = sanctions.describe("policy_short", rules.sanction_choices)
    hm.flags.append(Flag("policy_short", text, step, "政策问题到期未解决：" + "；".join(items), label))


def _fake(hm: Any, visits: list[str], rules: ScoringRules) -> None:
    from ..performance import Flag

    evidence = []
    if visits:
        evidence.append("经审核确认弄虚作假的走访：" + "；".join(visits))
    item = hm.spot_check
    if item is not None and item.fake:
        evidence.append("当月抽查确认弄虚作假" + (f"：{item.note}" if item.note else ""))
    if not evidence or any(f.code == "fake" for f in hm.flags):
        return
    label, step, text = sanctions.describe("fake", rules.sanction_choices)
    hm.flags.insert(0, Flag("fake", text, step, "；".join(evidence), label))
    cap = rules.fake_rating_cap
    if cap in RATING_ORDER and RATING_ORDER[hm.rating] > RATING_ORDER[cap]:
        hm.rating = cap
    veto = hm.veto
    hm.vetoed = True
    hm._veto = f"{veto}；弄虚作假" if veto else "弄虚作假，不能评为优秀"

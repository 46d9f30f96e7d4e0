"""What one helper's month is made of: the rules with their points, the accountability flags, the
month (HelperMonth) and the quarter (HelperPeriod), and the rating thresholds."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...models import MonthResult, SpotCheckItem
from ..calendar import Period, month_period, parse_month
from ..errors import ValidationFailed
from .rules import ScoringRules, rating

RATINGS = ("优秀", "合格", "不合格")


@dataclass
class Rule:
    code: str
    label: str
    points: float
    max_points: float
    facts: str
    missing: str | None = None  # what is missing, with the points it costs: "本月还有 2 户未走访 (−20)"
    evidence: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "points": self.points, "max_points": self.max_points,
                "facts": self.facts, "missing": self.missing, "evidence": self.evidence}


@dataclass
class Flag:
    code: str
    rule: str  # the text of the 004 第九条 item broken, word for word (services.sanctions)
    action: str  # 通报批评 / 书面检查 / 诫勉谈话 / 党政纪处分 (candidate)
    evidence: str
    item: str = ""  # "第九条(一)2"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "rule": self.rule, "action": self.action, "evidence": self.evidence, "item": self.item}

NUMBERS = ("households", "households_count", "households_visited", "visits", "visits_in_geofence", "flagged_visits",
           "late_visits", "returned_visits", "diary_households", "measures_due", "measures_done", "measures_overdue",
           "pending_visits", "households_visited_pending")


@dataclass
class _Context:
    """What the explanations of one month need besides a helper's numbers."""

    period: Period | None
    rules: ScoringRules


@dataclass(slots=True, eq=False)
class HelperMonth:
    """One helper's month. Numbers, points, score and rating are computed at once; the Chinese
    explanations (rules, flags, veto) are built from them on first use, or read from a snapshot."""

    helper_id: int
    username: str
    display_name: str
    unit_id: int
    village_id: int | None
    month: str
    households: float = 0.0  # pro-rated by the days each pairing covers
    households_count: int = 0  # households paired on at least one day of the month
    households_visited: int = 0
    visits: int = 0
    visits_in_geofence: int = 0
    flagged_visits: int = 0
    late_visits: int = 0
    returned_visits: int = 0
    diary_households: int = 0
    measures_due: int = 0
    measures_done: int = 0
    measures_overdue: int = 0
    points: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)  # coverage, diary, measures, timeliness, −flags
    score: float = 0.0
    rating: str = "不合格"
    vetoed: bool = False
    provisional: bool = False  # the month (or its diary deadline) has not ended yet
    closed: bool = False  # read from a closed month's snapshot
    rank: int | None = None
    spot_check: SpotCheckItem | None = None
    # raw evidence from SQL (names joined with SEP) and the context, for the explanations
    _raw: tuple | None = None
    _ctx: _Context | None = None
    _rules: list[Rule] | None = None
    _flags: list[Flag] | None = None
    _veto: str | None = None
    pending_visits: int = 0  # flagged, not yet accepted (待核实): not counted
    households_visited_pending: int = 0  # households whose only visits this month are 待核实

    @property
    def rules(self) -> list[Rule]:
        if self._rules is None:
            self._explain()
        return self._rules

    @property
    def flags(self) -> list[Flag]:
        if self._flags is None:
            self._explain()
        return self._flags

    @property
    def veto(self) -> str | None:
        """Why 优秀 is vetoed (帮扶任务未完成), or None."""
        if self._rules is None:
            self._explain()
        return self._veto

    def _explain(self) -> None:
        from .explanations import explain

        self._rules, self._flags, self._veto = explain(self, self._ctx, *self._raw)

    def rate(self, score: float) -> str:
        """The rating a score gives this month (its veto included), by the month's rules."""
        return rating(self._ctx.rules, score, self.vetoed)

    def to_data(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in NUMBERS}
        data.update(username=self.username, display_name=self.display_name, unit_id=self.unit_id,
                    village_id=self.village_id, veto=self.veto, provisional=self.provisional,
                    rules=[r.to_dict() for r in self.rules], flags=[f.to_dict() for f in self.flags])
        return data

    @classmethod
    def from_snapshot(cls, result: MonthResult, month: str, ctx: _Context | None = None) -> "HelperMonth":
        d = result.data or {}
        hm = cls(helper_id=result.helper_id, username=d.get("username", ""), display_name=d.get("display_name", ""),
                 unit_id=d.get("unit_id"), village_id=d.get("village_id"), month=month,
                 score=result.score, rating=result.rating, vetoed=bool(d.get("veto")), provisional=False, closed=True)
        hm._rules = [Rule(**r) for r in d.get("rules", [])]
        hm._flags = [Flag(**f) for f in d.get("flags", [])]
        hm._veto = d.get("veto")
        hm._ctx = ctx
        for k in NUMBERS:
            setattr(hm, k, d.get(k, 0))
        return hm


@dataclass
class HelperPeriod:
    helper_id: int
    username: str
    display_name: str
    village_id: int | None
    months: dict[str, float | None]  # month key → score (None: no households that month)
    score: float | None
    rating: str | None
    vetoed: bool
    rank: int | None = None
    parts: dict[str, float | None] = field(default_factory=dict)  # quarter key → score, for years


def pts(x: float) -> float:
    return round(x + 1e-9, 1)


def minus(x: float) -> str:
    x = pts(x)
    return f"−{int(x)}" if x == int(x) else f"−{x}"


def period(month: str, now: datetime | None = None, grace_days: int = 0) -> Period:
    """The month "YYYY-MM" seen from now; scoring gives it the diary deadline as grace_days."""
    try:
        year, mon = parse_month(month)
    except ValueError as err:
        raise ValidationFailed(str(err), field="month") from None
    return month_period(year, mon, now, grace_days)

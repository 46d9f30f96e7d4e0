"""The town's assessment of villages (001 六(一)3).

"对各村脱贫攻坚工作每季度考核一次，采取百分制计分，考核结果由四次季度考核结果组成，分值比例分布为 20%、20%、
20%、40%。各季度考核成绩和年终考核成绩构成最终考核得分，最后两名的村取消年终评先评优资格。" Rewards and
sanctions: 001 六(三) "考核合格排前三名的村…奖励"; "考核不合格且处于倒数后两位的村，取消…评比资格，约谈…".

A village's quarter (out of 100) = its helpers' mean quarter score (services.performance) and its work
team's quarter attendance against 002's targets (50 days in the village, 50 counted check-ins), in the
parts VILLAGE_SCORE_PARTS (local choice). The year = the quarters at QUARTER_WEIGHTS (20/20/20/40, from
001), combined with the year-end assessment the office enters, VILLAGE_YEAR_SPLIT (local choice).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select

from .. import database
from ..extensions import db
from ..models import User, Village, VillageYearEnd
from . import access
from .attendance import AttendanceRules, quarter_period, team_summary
from .calendar import local_today, tz
from .errors import ValidationFailed
from .performance import ScoringRules, quarter_results
from .rules import AssessmentRules

REWARD = "奖励"
NO_AWARDS = "取消评先评优资格"
INTERVIEW = "约谈"
SCORE_RE = re.compile(r"[0-9]{1,3}(\.[0-9]{1,2})?")  # a score as typed: 90, 87.5
NOTE_MAX = 2000


def _pts(x: float) -> float:
    return round(x + 1e-9, 1)


def quarter_score(helper_scores: list[float], team_ratios: list[float], parts: Mapping[str, float]) -> float:
    """Out of 100: the helpers' mean score (0–100) and the team's mean attainment (0–1) in their parts
    (AssessmentRules.village_score_parts). A village without helpers or without a team gets nothing for that part."""
    total = sum(parts.values()) or 1
    helpers = sum(helper_scores) / len(helper_scores) / 100 if helper_scores else 0.0
    team = sum(team_ratios) / len(team_ratios) if team_ratios else 0.0
    return _pts(100 * (parts.get("helpers", 0) * helpers + parts.get("team", 0) * team) / total)


def team_ratio(rules: AttendanceRules, days_in_village: int, checkins_counted: int) -> float:
    """One team person's quarter against 002's two targets (each capped at the target), 0–1."""
    days, checkins = rules.quarter_days_target, rules.quarter_checkins_target
    return (min(days_in_village / days, 1.0) + min(checkins_counted / checkins, 1.0)) / 2


def year_score(rules: AssessmentRules, quarters: list[float | None],
               year_end: float | None) -> tuple[float | None, float | None]:
    """(the quarters weighted 20/20/20/40, the final score). Quarters without a score are left out and
    the weights renormalised; without a year-end assessment the final is the weighted quarters."""
    weights = rules.village_quarter_weights
    pairs = [(w, s) for w, s in zip(weights, quarters) if s is not None]
    if not pairs:
        return None, year_end
    weighted = _pts(sum(w * s for w, s in pairs) / sum(w for w, _ in pairs))
    if year_end is None:
        return weighted, weighted
    split = rules.village_year_split
    q, y = split.get("quarters", 0.5), split.get("year_end", 0.5)
    return weighted, _pts((q * weighted + y * year_end) / ((q + y) or 1))


@dataclass
class VillageYear:
    village: Village
    quarters: list[float | None]
    helpers: list[float | None]
    team: list[float | None]
    weighted: float | None = None
    year_end: float | None = None
    final: float | None = None
    rank: int | None = None
    standing: list[str] = field(default_factory=list)


def standings(rules: AssessmentRules, rows: list[VillageYear]) -> list[VillageYear]:
    """Rank by the final score; the bottom two lose award eligibility (约谈 when also below the pass
    line), then the top three of the rest that passed are rewarded."""
    scored = sorted((r for r in rows if r.final is not None), key=lambda r: (-r.final, r.village.id))
    prev, rank = None, 0
    for i, r in enumerate(scored, start=1):
        if r.final != prev:
            rank, prev = i, r.final
        r.rank = rank
    bottom = scored[::-1][:rules.village_penalty_bottom] if len(scored) > 1 else []
    for r in bottom:
        r.standing = [NO_AWARDS] + ([INTERVIEW] if r.final < rules.village_pass_score else [])
    rest = [r for r in scored if r not in bottom and r.final >= rules.village_pass_score]
    for r in rest[:rules.village_reward_top]:
        r.standing = [REWARD]
    return scored + [r for r in rows if r.final is None]


def year(scoring: ScoringRules, attendance: AttendanceRules, rules: AssessmentRules, user: User, year_: int,
         now: datetime | None = None) -> list[VillageYear]:
    """Every village the user may see, its four quarters, year-end and standing."""
    now = now or datetime.now(timezone.utc)
    today = now.astimezone(tz()).date()
    villages = db.session.scalars(access.villages(user)).all()
    rows = {v.id: VillageYear(v, [None] * 4, [None] * 4, [None] * 4) for v in villages}
    for q in range(1, 5):
        period = quarter_period(year_, q)
        if period.start > today:
            continue
        _, helpers = quarter_results(scoring, user, f"{year_}-Q{q}", now=now)
        by_village: dict[int, list[float]] = {}
        for h in helpers:
            if h.score is not None and h.village_id in rows:
                by_village.setdefault(h.village_id, []).append(h.score)
        for v in villages:
            members = team_summary(attendance, v, period, min(today, period.end)).members
            ratios = [team_ratio(attendance, m.days_in_village, m.checkins_counted) for m in members]
            row = rows[v.id]
            scores = by_village.get(v.id, [])
            row.helpers[q - 1] = _pts(sum(scores) / len(scores)) if scores else None
            row.team[q - 1] = _pts(100 * sum(ratios) / len(ratios)) if ratios else None
            row.quarters[q - 1] = quarter_score(scores, ratios, rules.village_score_parts)
    entered = {e.village_id: e.score for e in db.session.scalars(
        select(VillageYearEnd).where(VillageYearEnd.year == year_, VillageYearEnd.village_id.in_(list(rows))))}
    for row in rows.values():
        row.year_end = entered.get(row.village.id)
        ended = [s if quarter_period(year_, q + 1).end < today else None for q, s in enumerate(row.quarters)]
        row.weighted, row.final = year_score(rules, ended, row.year_end)  # a quarter counts once it has ended
    return standings(rules, list(rows.values()))


def enter_year_end(by: User, village: Village, year_: int, raw_score: str, note: str) -> VillageYearEnd:
    """The office's year-end assessment of one village (0–100), replacing an earlier entry."""
    raw_score = (raw_score or "").strip()
    score = float(raw_score) if SCORE_RE.fullmatch(raw_score) else -1.0  # ASCII digits only: not "９０", "1e1", "1_0"
    if not 0 <= score <= 100:
        raise ValidationFailed("年终考核得分应为 0–100 的数。", field="score")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed(f"说明最多 {NOTE_MAX} 字。", field="note")
    if not 2000 <= year_ <= local_today().year + 1:
        raise ValidationFailed("年份无效。", field="year")
    database.lock(Village, village.id)  # the same entry sent twice at once: one row
    row = db.session.scalar(select(VillageYearEnd).where(VillageYearEnd.village_id == village.id,
                                                         VillageYearEnd.year == year_))
    if row is None:
        row = VillageYearEnd(village_id=village.id, year=year_, score=score)
        db.session.add(row)
    row.score, row.note, row.entered_by_id = score, note or None, by.id
    db.session.flush()
    return row

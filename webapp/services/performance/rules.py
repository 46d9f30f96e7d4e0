"""The numbers of the scoring rules, read from the configuration once at start-up (webapp/web/rules.py)
and passed to every function that scores: nothing in this package reads the configuration itself;
part of the `Rules` bundle of services/rules.py.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class ScoringRules:
    weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))  # SCORE_WEIGHTS
    flag_deduction: float = 2  # SCORE_FLAG_DEDUCTION, per visit waiting to be verified
    flag_deduction_max: float = 20  # SCORE_FLAG_DEDUCTION_MAX
    diary_deadline_day: int = 5  # DIARY_DEADLINE_DAY of the next month
    helper_quarter_weights: tuple[float, ...] = (0.25, 0.25, 0.25, 0.25)  # HELPER_QUARTER_WEIGHTS, Q1..Q4
    rating_excellent: float = 90  # RATING_EXCELLENT
    rating_pass: float = 60  # RATING_PASS
    spot_check_ratio: float = 0.3  # SPOT_CHECK_RATIO
    late_entry_hours: float = 72  # LATE_ENTRY_HOURS
    # what the township's own checks do (services/assessment, services/sanctions)
    spot_check_effects: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    fake_rating_cap: str | None = "不合格"  # FAKE_RATING_CAP
    sanction_choices: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # SANCTION_CHOICES


def scoring_rules(config: Mapping[str, Any]) -> ScoringRules:
    return ScoringRules(
        weights=MappingProxyType(dict(config["SCORE_WEIGHTS"])),
        flag_deduction=float(config["SCORE_FLAG_DEDUCTION"]),
        flag_deduction_max=float(config["SCORE_FLAG_DEDUCTION_MAX"]),
        diary_deadline_day=int(config["DIARY_DEADLINE_DAY"]),
        helper_quarter_weights=tuple(config["HELPER_QUARTER_WEIGHTS"]),
        rating_excellent=float(config["RATING_EXCELLENT"]),
        rating_pass=float(config["RATING_PASS"]),
        spot_check_ratio=float(config["SPOT_CHECK_RATIO"]),
        late_entry_hours=float(config["LATE_ENTRY_HOURS"]),
        spot_check_effects=MappingProxyType({k: MappingProxyType(dict(v))
                                             for k, v in (config.get("SPOT_CHECK_EFFECTS") or {}).items()}),
        fake_rating_cap=config.get("FAKE_RATING_CAP", "不合格"),
        sanction_choices=MappingProxyType(dict(config.get("SANCTION_CHOICES") or {})),
    )


def rating_for(score: float, vetoed: bool, excellent: float, passing: float) -> str:
    """≥ excellent 优秀 (unless vetoed), ≥ passing 合格, else 不合格."""
    if score >= excellent and not vetoed:
        return "优秀"
    if score >= passing:
        return "合格"
    return "不合格"


def rating(rules: ScoringRules, score: float, vetoed: bool) -> str:
    return rating_for(score, vetoed, rules.rating_excellent, rules.rating_pass)

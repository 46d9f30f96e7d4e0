"""Monthly helper performance: scores, ratings, accountability flags, closed months, spot checks.

All helpers' month is computed with a handful of set-based aggregates (pairings, visits and
measures grouped by helper and household, then by helper): there is no query per helper.
Every number used for a score comes from config (SCORE_WEIGHTS, SCORE_FLAG_DEDUCTION(_MAX),
DIARY_DEADLINE_DAY, LATE_ENTRY_HOURS, HELPER_QUARTER_WEIGHTS, RATING_EXCELLENT/PASS, SPOT_CHECK_RATIO),
and every rule carries its points and the facts behind them in Chinese.

The rules, for one helper and one month (days are local calendar days, Asia/Shanghai):
- households: each pairing counts for the days of the month it covers (days / days in month);
- coverage (走访): share of those household-days whose household the helper visited in the month;
- diary (帮扶日志): share of household-days with a visit that has notes, was received by the
  DIARY_DEADLINE_DAY of the next month, and was not sent back by the first secretary unfixed;
- measures (帮扶措施): measures of the paired households due by the month's end (due in the month,
  or overdue and still open when it began) that were done by the month's end; none due = full;
- timeliness (按时录入): visits received within LATE_ENTRY_HOURS of check-in; no visit = 0;
- a deduction per flagged visit (any plausibility flag), capped.
Score = the sum, clamped to 0–100. Rating: ≥ RATING_EXCELLENT 优秀, ≥ RATING_PASS 合格, else 不合格;
优秀 is vetoed when a help task is unfinished (a household unvisited or without diary, a due
measure open, a household without any measure). Accountability flags (004 第九条) name the rule,
the candidate step (通报批评 / 书面检查 / 诫勉谈话) and the evidence; the ones about the whole month
(unvisited households, missing diaries) appear once the month / the diary deadline is over.
Quarter = mean of its months; year = quarters weighted by HELPER_QUARTER_WEIGHTS (local choice).
A closed month (MonthClosure) is read from its MonthResult snapshot; reopening and recomputing are
explicit and written to the audit log.

The package, one seam per module: `rules` (ScoringRules: those numbers, built once from the config
and passed in), `sql` (portable SQL pieces and the month query), `month` (the rule, flag, month and
quarter records; the scored month's Period), `scoring` (points, score, rank, quarters, year),
`explanations` (the Chinese rules, flags and veto), `results` (what a user sees: snapshots + live),
`closing` (closing, reopening, recomputing a month), `spot_checks`, `exports` (spreadsheet rows).
"""
from .closing import close_month, closure, closure_log, is_closed, recompute_month, reopen_month
from .exports import MONTH_HEADERS, month_rows, quarter_headers, quarter_rows, village_names
from .month import NUMBERS, RATINGS, Flag, HelperMonth, HelperPeriod, Period, Rule, period
from .results import HelperYear, helper_month, helper_year, month_results, quarter_results
from .rules import ScoringRules, rating_for, scoring_rules
from .scoring import compute_month, one_unit, year_score
from .spot_checks import (
    current_draw,
    draw,
    draw_population,
    draws,
    record_result,
    reproduce,
    sample,
    spot_check_items,
)

__all__ = [
    "MONTH_HEADERS", "NUMBERS", "RATINGS", "Flag", "HelperMonth", "HelperPeriod", "HelperYear", "Period", "Rule",
    "ScoringRules", "close_month", "closure", "closure_log", "compute_month", "current_draw", "draw", "draw_population", "draws",
    "helper_month", "helper_year", "is_closed", "month_results", "month_rows", "one_unit", "period",
    "quarter_headers", "quarter_results", "quarter_rows", "rating_for", "recompute_month", "record_result",
    "reopen_month", "reproduce", "sample", "scoring_rules", "spot_check_items", "village_names", "year_score",
]

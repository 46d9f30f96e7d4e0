"""The programme's rules as typed, frozen values, built from the app's config once (`build_rules`).

Services take the rule object they need as an argument (`VisitRules` for recording and flagging
visits, `PhotoRules` for decoding a photo, `ScoringRules` (services/performance/rules.py) for the
month's score, `AttendanceRules` (services/attendance/rules.py) for check-ins and leave,
`AssessmentRules` for the township's checks of work teams, helpers on site and villages…) and never
read the config themselves; the web layer (webapp/web/rules.py) hands them over to routes, the CLI and
the Huey jobs. Every number's default and source is in webapp/config.py.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from .printing.pool import Limits, limits_from
from .storage import Location

if TYPE_CHECKING:
    from .attendance.rules import AttendanceRules
    from .performance.rules import ScoringRules


def _frozen(value: Mapping | None) -> Mapping:
    return MappingProxyType({k: (_frozen(v) if isinstance(v, Mapping) else v) for k, v in (value or {}).items()})


@dataclass(frozen=True)
class PhotoRules:
    """One uploaded photo (visits and check-ins): what is accepted, what is stored."""
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    memory_budget_mb: int = 100  # peak memory one photo may take while processed
    long_edge: int = 1600
    thumb_long_edge: int = 320


@dataclass(frozen=True)
class VisitRules:
    """Recording a household visit and the plausibility flags it may carry."""
    geofence_m: int = 300  # a unit without its own radius
    gps_accuracy_flag_m: float = 200
    max_travel_kmh: float = 120
    late_entry_hours: float = 72
    offline_window_days: int = 7
    future_skew_minutes: int = 5
    offline_late_hours: float = 1  # received this long after check-in: 离线补传
    daily_max: int = 10  # visits per helper per local day
    daily_text_max: int = 20_000  # characters per helper per local day
    max_photos: int = 9  # per visit
    duplicate_max_bits: int = 4  # pHash distance up to which a photo is a copy
    photo_time_mismatch_hours: float = 24
    same_spot_radius_m: float = 100
    same_spot_window_minutes: float = 60
    same_spot_households_apart_m: float = 500
    same_spot_min_households: float = 2
    policy_problem_days: int = 30  # a 未享受 / 否 answer opens a problem due this many days later
    recent_shown: int = 20  # the first secretary's list of recent visits
    new_student_allowance: str = "按当地标准"  # NEW_STUDENT_ALLOWANCE, shown beside the subsidy item
    photo: PhotoRules = field(default_factory=PhotoRules)


@dataclass(frozen=True)
class PairingRules:
    household_limit: int = 5


@dataclass(frozen=True)
class AssessmentRules:
    """The township's own assessments: work teams, the helpers' on-site results, the villages."""
    team_min_size: int = 3  # TEAM_MIN_SIZE
    recall_absent_days: int = 10  # TEAM_RECALL_ABSENT_DAYS in a row make a 召回 candidate…
    recall_lookback_days: int = 30  # …within the last TEAM_RECALL_LOOKBACK_DAYS
    onsite_caps_year: bool = True  # ONSITE_CAPS_YEAR
    village_score_parts: Mapping[str, float] = field(  # VILLAGE_SCORE_PARTS
        default_factory=lambda: MappingProxyType({"helpers": 60, "team": 40}))
    village_quarter_weights: tuple[float, ...] = (0.2, 0.2, 0.2, 0.4)  # QUARTER_WEIGHTS
    village_year_split: Mapping[str, float] = field(  # VILLAGE_YEAR_SPLIT
        default_factory=lambda: MappingProxyType({"quarters": 0.5, "year_end": 0.5}))
    village_reward_top: int = 3  # VILLAGE_REWARD_TOP
    village_penalty_bottom: int = 2  # VILLAGE_PENALTY_BOTTOM
    village_pass_score: float = 60  # VILLAGE_PASS_SCORE


@dataclass(frozen=True)
class PrintRules:
    """Printed diaries and sheets: one for a web request (`limits`) and batch jobs."""
    limits: Limits
    result_ttl_hours: float = 48
    download_grace_minutes: float = 30
    workers: int = 0  # 0 = one per CPU core
    tasks_per_child: int = 20
    job_stale_minutes: float = 60

    @property
    def batch_workers(self) -> int:
        return self.workers or os.cpu_count() or 1


@dataclass(frozen=True)
class Rules:
    visits: VisitRules
    photos: PhotoRules
    pairings: PairingRules
    scoring: ScoringRules
    attendance: AttendanceRules
    printing: PrintRules
    assessment: AssessmentRules
    storage: Location


def build_rules(config: Mapping, instance_path: str | os.PathLike = "instance") -> Rules:
    """Every rule object from the app's config (a mapping of the names in webapp/config.py)."""
    c = config
    photo = PhotoRules(
        max_bytes=int(c["PHOTO_MAX_BYTES"]), max_pixels=int(c["PHOTO_MAX_PIXELS"]),
        memory_budget_mb=int(c["PHOTO_MEMORY_BUDGET_MB"]), long_edge=int(c["PHOTO_LONG_EDGE"]),
        thumb_long_edge=int(c["THUMB_LONG_EDGE"]),
    )
    visits = VisitRules(
        geofence_m=int(c["VISIT_GEOFENCE_M"]), gps_accuracy_flag_m=float(c["GPS_ACCURACY_FLAG_M"]),
        max_travel_kmh=float(c["MAX_TRAVEL_KMH"]), late_entry_hours=float(c["LATE_ENTRY_HOURS"]),
        offline_window_days=int(c["OFFLINE_WINDOW_DAYS"]), future_skew_minutes=int(c["FUTURE_SKEW_MINUTES"]),
        offline_late_hours=float(c["OFFLINE_LATE_HOURS"]), daily_max=int(c["VISIT_DAILY_MAX"]),
        daily_text_max=int(c["VISIT_DAILY_TEXT_MAX"]), max_photos=int(c["MAX_PHOTOS_PER_VISIT"]),
        duplicate_max_bits=int(c["PHOTO_DUPLICATE_MAX_BITS"]),
        photo_time_mismatch_hours=float(c["PHOTO_TIME_MISMATCH_HOURS"]),
        same_spot_radius_m=float(c["SAME_SPOT_RADIUS_M"]), same_spot_window_minutes=float(c["SAME_SPOT_WINDOW_MINUTES"]),
        same_spot_households_apart_m=float(c["SAME_SPOT_HOUSEHOLDS_APART_M"]),
        same_spot_min_households=float(c["SAME_SPOT_MIN_HOUSEHOLDS"]),
        policy_problem_days=int(c.get("POLICY_PROBLEM_DAYS", 30)), recent_shown=int(c.get("RECENT_VISITS_SHOWN", 20)),
        new_student_allowance=str(c.get("NEW_STUDENT_ALLOWANCE") or VisitRules.new_student_allowance), photo=photo,
    )
    # imported here: the scoring and attendance packages import the services that import this module
    from .attendance.rules import attendance_rules
    from .performance.rules import scoring_rules

    printing = PrintRules(
        limits=limits_from(c, instance_path), result_ttl_hours=float(c["PRINT_RESULT_TTL_HOURS"]),
        download_grace_minutes=float(c["PRINT_DOWNLOAD_GRACE_MINUTES"]), workers=int(c.get("PDF_WORKERS") or 0),
        tasks_per_child=int(c.get("PDF_TASKS_PER_CHILD") or 20), job_stale_minutes=float(c["PRINT_JOB_STALE_MINUTES"]),
    )
    return Rules(visits=visits, photos=photo, pairings=PairingRules(int(c["HOUSEHOLD_LIMIT"])),
                 scoring=scoring_rules(c), attendance=attendance_rules(c), printing=printing,
                 assessment=assessment_rules(c),
                 storage=Location(str(c["UPLOAD_DIR"]), c.get("STORAGE_URL") or None, c.get("S3_ENDPOINT_URL") or None))


def assessment_rules(c: Mapping) -> AssessmentRules:
    return AssessmentRules(
        team_min_size=int(c["TEAM_MIN_SIZE"]), recall_absent_days=int(c["TEAM_RECALL_ABSENT_DAYS"]),
        recall_lookback_days=int(c["TEAM_RECALL_LOOKBACK_DAYS"]), onsite_caps_year=bool(c.get("ONSITE_CAPS_YEAR", True)),
        village_score_parts=_frozen(c["VILLAGE_SCORE_PARTS"]), village_quarter_weights=tuple(c["QUARTER_WEIGHTS"]),
        village_year_split=_frozen(c["VILLAGE_YEAR_SPLIT"]), village_reward_top=int(c["VILLAGE_REWARD_TOP"]),
        village_penalty_bottom=int(c["VILLAGE_PENALTY_BOTTOM"]), village_pass_score=float(c["VILLAGE_PASS_SCORE"]),
    )

"""Work-team checks for the office.

- A team below TEAM_MIN_SIZE people or without its first secretary is flagged (001: "第一书记和驻村
  工作队一般不少于 3 人，队长 1 人，队员不少于 2 人，队长由第一书记兼任").
- A team person absent from the village TEAM_RECALL_ABSENT_DAYS working days in a row (no check-in
  inside the village, no leave; rest days do not break the run, a day in the village or on leave
  does) is a 召回 candidate (000: "对不胜任工作、没有履行帮扶职责的驻村工作队员、第一书记进行约谈、
  召回"; 003: "少数工作队员长期不在岗、不住村"). The number of days is a local choice, configurable.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from ..extensions import db
from ..models import Role, User, Village
from . import access
from .attendance import AttendanceRules, Day, Period, summarize, team
from .attendance.days import DayStatus
from .calendar import local_today
from .rules import AssessmentRules


@dataclass
class AbsenceRun:
    days: int = 0
    first: date | None = None
    last: date | None = None


def longest_absence(days: list[Day]) -> AbsenceRun:
    """The longest run of working days marked absent; rest days are skipped, days not over yet ignored."""
    best, run = AbsenceRun(), AbsenceRun()
    for d in days:
        if d.status in (DayStatus.REST, DayStatus.TODAY, DayStatus.FUTURE, DayStatus.OFF):
            continue
        if d.status == DayStatus.ABSENT:
            run = AbsenceRun(run.days + 1, run.first or d.date, d.date)
            if run.days > best.days:
                best = run
        else:
            run = AbsenceRun()
    return best


@dataclass
class TeamCheck:
    village: Village
    people: list[User]
    flags: list[str] = field(default_factory=list)
    recall: list[tuple[User, AbsenceRun]] = field(default_factory=list)


def check_team(rules: AssessmentRules, village: Village, people: list[User]) -> list[str]:
    minimum = rules.team_min_size
    flags = []
    if len(people) < minimum:
        flags.append(f"工作队只有 {len(people)} 人，少于 {minimum} 人（001：一般不少于 3 人）")
    if not any(p.role == Role.FIRST_SECRETARY for p in people):
        flags.append("没有第一书记（001：队长由第一书记兼任）")
    return flags


def for_office(attendance: AttendanceRules, rules: AssessmentRules, user: User,
               today: date | None = None) -> list[TeamCheck]:
    """Every village the user may see: its team, the team's flags and its 召回 candidates."""
    today = today or local_today()
    window = Period("range", "", today - timedelta(days=rules.recall_lookback_days), today)
    out = []
    for village in db.session.scalars(access.villages(user)).all():
        people = team(village)
        check = TeamCheck(village, people, check_team(rules, village, people))
        for summary in summarize(attendance, people, window, today):
            run = longest_absence(summary.days)
            if run.days >= rules.recall_absent_days:
                check.recall.append((summary.user, run))
        out.append(check)
    return out

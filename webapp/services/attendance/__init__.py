"""Work-team attendance: check-ins in the village, days in the village, leave, absences.

Rules:
- A day (a calendar day in the configured time zone, Asia/Shanghai) is a day in the village when
  it has at least one check-in inside the village geofence. Every check-in counts as a check-in.
- Working days are Monday to Friday, minus config HOLIDAYS, plus config MAKEUP_WORKDAYS.
- Leave is counted in half days; approved leave days are not absences.
- An absent day is a past working day (from the member's posting start, i.e. the account's creation)
  with no day in the village and no approved leave; a half-day leave leaves half a day absent.

Summaries are computed from one grouped query over (member, local day) plus one query for the
leave of the period: never a query per member or per day.

The package: `rules` (AttendanceRules: the configured numbers, built once and passed in; the
WorkCalendar), `checkins` (check-ins and their photo), `leave` (requests, decisions, 销假),
`workdays` and `days` (day counting), `summaries` (members, teams, the quarter's progress); the
month or quarter shown is a `services.calendar.Period`.
"""
from ..calendar import Period, month_period, parse_period, period_containing, quarter_period
from .checkins import (
    CheckinIn,
    attach_photo,
    check_may_check_in,
    checkins_on,
    content_hash,
    discard_photo,
    geofence_m,
    locate,
    record_checkin,
    thumb_key,
)
from .days import DAY_STATUS_LABELS, Day
from .leave import (
    LEAVE_STATUS_LABELS,
    can_cancel,
    can_decide,
    can_return,
    cancel,
    decide,
    leave_by_day,
    leave_days,
    record_return,
    request_leave,
)
from .rules import AttendanceRules, WorkCalendar, attendance_rules
from .summaries import (
    PACE_LABELS,
    MemberSummary,
    Progress,
    TeamSummary,
    calendar_weeks,
    member_summary,
    progress,
    summarize,
    team,
    team_summary,
)
from .workdays import is_working_day, posting_start, working_days

__all__ = [
    "AttendanceRules", "CheckinIn", "DAY_STATUS_LABELS", "Day", "LEAVE_STATUS_LABELS", "MemberSummary",
    "PACE_LABELS", "Period", "Progress", "TeamSummary", "WorkCalendar", "attach_photo", "attendance_rules",
    "calendar_weeks", "can_cancel", "can_decide", "can_return", "cancel", "check_may_check_in", "checkins_on",
    "content_hash", "decide",
    "discard_photo", "geofence_m", "is_working_day", "leave_by_day", "leave_days", "locate", "member_summary",
    "month_period", "parse_period", "period_containing", "posting_start", "progress", "quarter_period",
    "record_checkin", "record_return", "request_leave", "summarize", "team", "team_summary", "thumb_key",
    "working_days",
]

"""Which work-team check-ins count towards the quarter's target (002: "每季度在手机APP上签到50次以上").

The source gives only the number. Counting only check-ins inside the village geofence, at most
CHECKINS_COUNTED_PER_DAY per local day, is a local choice (config: CHECKINS_COUNT_INSIDE_ONLY,
CHECKINS_COUNTED_PER_DAY): 50 check-ins in one morning, or from 5 km away, do not reach the target.
`rules` is the AttendanceRules (services/attendance/rules.py): count_inside_only, counted_per_day.
"""
from __future__ import annotations

from typing import Any


def counted(checkins: int, inside: int, rules: Any) -> int:
    """Check-ins of one local day that count: inside the geofence (if so configured), capped per day."""
    n = inside if rules.count_inside_only else checkins
    cap = rules.counted_per_day
    return min(n, cap) if cap else n


def explanation(rules: Any) -> str:
    cap = rules.counted_per_day
    parts = ["村内（签到范围内）" if rules.count_inside_only else "所有", f"每天最多计 {cap} 次" if cap else "每天不限次数"]
    return f"计入季度目标的签到：{parts[0]}签到，{parts[1]}（本地设置，可配置）"

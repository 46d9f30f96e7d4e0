"""Which work-team check-ins count towards the quarter's target (002: "每季度在手机APP上签到50次以上").

The source gives only the number. Counting only check-ins inside the village geofence, at most
CHECKINS_COUNTED_PER_DAY per local day, is a local choice (config: CHECKINS_COUNT_INSIDE_ONLY,
CHECKINS_COUNTED_PER_DAY): 50 check-ins in one morning, or from 5 km away, do not reach the target.
"""
from __future__ import annotations

from flask import current_app


def rule() -> tuple[bool, int]:
    cfg = current_app.config
    return bool(cfg.get("CHECKINS_COUNT_INSIDE_ONLY", True)), int(cfg.get("CHECKINS_COUNTED_PER_DAY", 1) or 0)


def counted(checkins: int, inside: int, rule_: tuple[bool, int] | None = None) -> int:
    """Check-ins of one local day that count: inside the geofence (if so configured), capped per day."""
    inside_only, cap = rule_ or rule()
    n = inside if inside_only else checkins
    return min(n, cap) if cap else n


def explanation() -> str:
    inside_only, cap = rule()
    parts = ["村内（签到范围内）" if inside_only else "所有", f"每天最多计 {cap} 次" if cap else "每天不限次数"]
    return f"计入季度目标的签到：{parts[0]}签到，{parts[1]}（本地设置，可配置）"

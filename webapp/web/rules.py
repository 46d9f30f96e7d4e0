"""The rule objects of the scoring and attendance services (services/performance/rules.py,
services/attendance/rules.py) for routes, the CLI and the jobs.

`create_app` builds them once from the config and sets the calendar's zone (`install`); the
services never read the config. A test that changes the config after start-up installs them again.
"""
from __future__ import annotations

from flask import Flask, current_app

from ..services.attendance.rules import AttendanceRules, attendance_rules
from ..services.calendar import set_zone
from ..services.performance.rules import ScoringRules, scoring_rules

SCORING, ATTENDANCE = "bangfu_rules.scoring", "bangfu_rules.attendance"


def install(app: Flask) -> None:
    set_zone(app.config["TIMEZONE"])
    app.extensions[SCORING] = scoring_rules(app.config)
    app.extensions[ATTENDANCE] = attendance_rules(app.config)


def scoring() -> ScoringRules:
    return current_app.extensions[SCORING]


def attendance() -> AttendanceRules:
    return current_app.extensions[ATTENDANCE]

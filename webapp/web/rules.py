"""The rule objects (services/rules.py: visits, photos, pairings, printing, assessments; the scoring rules of
services/performance/rules.py, the attendance rules of services/attendance/rules.py) for routes,
the CLI and the Huey jobs.

`create_app` builds them once from the config and sets the calendar's zone (`install`); `current()`
hands them out; the services never read the config. The config
is a `Settings`, which counts its changes: rules built from an older state of the config (a test
that sets a value after start-up) are built again on the next use, never read stale.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app
from flask.config import Config

from ..services import storage
from ..services.calendar import set_zone
from ..services.rules import AssessmentRules, PairingRules, PhotoRules, PrintRules, Rules, VisitRules, build_rules
from ..services.storage import Location

if TYPE_CHECKING:
    from ..services.attendance.rules import AttendanceRules
    from ..services.performance.rules import ScoringRules

KEY = "bangfu_rules"


class Settings(Config):
    """Flask's config, counting every change (`generation`)."""

    generation = 0

    def _changed(self) -> None:
        self.generation += 1

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key) -> None:
        super().__delitem__(key)
        self._changed()

    def update(self, *args, **kwargs) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def pop(self, *args):
        self._changed()
        return super().pop(*args)

    def setdefault(self, key, default=None):
        self._changed()
        return super().setdefault(key, default)


def _generation(app: Flask) -> int:
    return getattr(app.config, "generation", 0)


def install(app: Flask) -> Rules:
    """Build the rules from the app's config and keep them on the app; services/storage.get()
    finds the running app's store through them."""
    rules = build_rules(app.config, app.instance_path)
    set_zone(rules.attendance.timezone)  # the calendar's local days
    app.extensions[KEY] = rules
    app.extensions[KEY + "_generation"] = _generation(app)
    storage.locate_with(_storage_location)
    return rules


def _storage_location() -> Location:
    return current().storage


def for_app(app: Flask) -> Rules:
    rules = app.extensions.get(KEY)
    if rules is None or app.extensions.get(KEY + "_generation") != _generation(app):
        rules = install(app)
    return rules


def current() -> Rules:
    return for_app(current_app)


def visits() -> VisitRules:
    return current().visits


def photos() -> PhotoRules:
    return current().photos


def pairings() -> PairingRules:
    return current().pairings


def scoring() -> ScoringRules:
    return current().scoring


def attendance() -> AttendanceRules:
    return current().attendance


def printing() -> PrintRules:
    return current().printing


def assessment() -> AssessmentRules:
    return current().assessment

"""Blueprints, registered in one place, and the error answers (web.errors)."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from ..web import errors
    from . import (
        admin,
        api_attendance,
        api_performance,
        api_visit_checks,
        api_visits,
        assessments,
        attendance,
        auth,
        county,
        households,
        main,
        performance,
        printing,
        pwa,
        reviews,
        roster,
        village,
        visits,
    )

    for module in (auth, main, households, village, admin, api_visits, visits, pwa, attendance, api_attendance, reviews,
                   printing, performance, api_performance, api_visit_checks, county, assessments):
        app.register_blueprint(module.bp)
    errors.init_app(app)
    assert roster.bp is admin.bp  # the roster views are on the admin blueprint (same URLs, admin.* names)

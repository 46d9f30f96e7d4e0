"""Blueprints, registered in one place, and the error answers (web.errors)."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from ..web import errors
    from . import (
        admin,
        api,
        api_attendance,
        api_performance,
        api_visit_checks,
        attendance,
        auth,
        households,
        main,
        performance,
        pwa,
        reports,
        reviews,
        roster,
        secretary,
        visits,
    )

    for module in (auth, main, households, secretary, admin, api, visits, pwa, attendance, api_attendance, reviews,
                   reports, performance, api_performance, api_visit_checks):
        app.register_blueprint(module.bp)
    errors.init_app(app)
    assert roster.bp is admin.bp  # the roster views are on the admin blueprint (same URLs, admin.* names)

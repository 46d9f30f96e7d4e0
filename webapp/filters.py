"""Jinja filters (times shown in the configured local time zone) and the vocabulary every template
may use: `permissions.can_review(current_user)`, `visit.review_status == ReviewStatus.RETURNED`."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

from .services import template_names


def init_app(app: Flask) -> None:
    tz = ZoneInfo(app.config["TIMEZONE"])
    app.jinja_env.globals.update(template_names.names())

    @app.template_filter("local")
    def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return ""
        return value.astimezone(tz).strftime(fmt)

    @app.template_filter("prev_month")
    def prev_month(month: str) -> str:
        """`YYYY-MM` → the month before it."""
        year, mon = map(int, month.split("-"))
        return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"

    @app.template_filter("ymd")
    def ymd(value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(tz).date()
        return value.isoformat()

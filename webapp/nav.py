"""Navigation per role: (endpoint, label).

NAV is the bottom bar: at most five entries, so it fits a 360 px phone on one line.
MORE lists the rest on the 我的 (account) page. Add an entry when a feature gets a page.
UP names the page a back link leads to (an installed app has no browser back button): a page in
the bottom bar has none; a page listed in MORE goes back to 我的; any other page to UP's entry for
the role, else to the role's first page. A template may give its own back link (block back).
"""
from flask import Flask, request, url_for
from flask_login import current_user

from .models import Role

NAV: dict[Role, list[tuple[str, str]]] = {
    Role.HELPER: [("main.home", "帮扶户"), ("visits.month", "本月"), ("performance.my_month", "考核"),
               ("reviews.index", "批注"), ("main.account", "我的")],
    Role.TEAM_MEMBER: [("village.home", "本村"), ("attendance.checkin_page", "签到"), ("attendance.leave_page", "请假"),
                    ("attendance.my_calendar", "日历"), ("main.account", "我的")],
    Role.FIRST_SECRETARY: [("village.home", "本村"), ("attendance.checkin_page", "签到"), ("village.team", "考勤"),
                        ("village.helpers_work", "走访"), ("main.account", "我的")],
    Role.OFFICE_ADMIN: [("admin.index", "全乡"), ("admin.pairing_list", "结对"), ("attendance.approvals", "考勤"),
                     ("performance.unit", "考核"), ("main.account", "我的")],
    Role.COUNTY_ADMIN: [("county.index", "全县"), ("main.account", "我的")],
}

MORE: dict[Role, list[tuple[str, str]]] = {
    Role.HELPER: [("printing.index", "打印帮扶日志"), ("pwa.outbox", "待上传")],
    Role.TEAM_MEMBER: [("pwa.outbox", "待上传")],
    Role.FIRST_SECRETARY: [("performance.village", "本村帮扶考核"), ("printing.index", "打印日志与考勤表"),
                        ("attendance.leave_page", "我的请假"), ("pwa.outbox", "待上传")],
    Role.OFFICE_ADMIN: [("admin.user_list", "账号管理"), ("admin.village_list", "村管理"), ("admin.roster", "导入花名册"),
                        ("performance.spot_checks", "抽查"), ("assessments.villages", "村级考核"),
                        ("assessments.onsite_list", "季度实地考核"), ("assessments.teams", "驻村工作队"),
                        ("printing.index", "批量打印")],
}

UP: dict[str, dict[Role, str]] = {
    "performance.my_year": {Role.HELPER: "performance.my_month"},
    "performance.helper_month": {Role.FIRST_SECRETARY: "performance.village", Role.OFFICE_ADMIN: "performance.unit"},
    "performance.helper_year": {Role.FIRST_SECRETARY: "performance.village", Role.OFFICE_ADMIN: "performance.unit"},
    "performance.unit_quarter": {Role.OFFICE_ADMIN: "performance.unit"},
    "households.show": {Role.OFFICE_ADMIN: "admin.pairing_list"},
    "attendance.approvals": {Role.FIRST_SECRETARY: "village.team"},
    "attendance.my_calendar": {Role.FIRST_SECRETARY: "village.team"},
}


def back_endpoint(role: Role | str, endpoint: str | None) -> str | None:
    """Where the back link of `endpoint` leads for `role` (None: a top-level page)."""
    if not endpoint or role not in NAV or endpoint in (e for e, _ in NAV[role]):
        return None
    if endpoint in (e for e, _ in MORE.get(role, [])):
        return "main.account"
    return UP.get(endpoint, {}).get(role) or NAV[role][0][0]


def init_app(app: Flask) -> None:
    @app.context_processor
    def _nav():
        def nav_items():
            if not current_user.is_authenticated:
                return []
            return NAV.get(current_user.role, [])

        def more_items():
            if not current_user.is_authenticated:
                return []
            return MORE.get(current_user.role, [])

        def back_url() -> str | None:
            if not current_user.is_authenticated or request.endpoint in ("auth.login", None):
                return None
            up = back_endpoint(current_user.role, request.endpoint)
            return url_for(up) if up else None

        return {"nav_items": nav_items, "more_items": more_items, "back_url": back_url}

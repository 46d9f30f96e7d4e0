"""Navigation per role: (endpoint, label).

NAV is the bottom bar: at most five entries, so it fits a 360 px phone on one line.
MORE lists the rest on the 我的 (account) page. Add an entry when a feature gets a page.
"""
from flask import Flask
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

        return {"nav_items": nav_items, "more_items": more_items}

"""The bottom navigation per role: (endpoint, label). Add an entry when a feature gets a page."""
from flask import Flask
from flask_login import current_user

NAV: dict[str, list[tuple[str, str]]] = {
    "helper": [("main.home", "我的帮扶户"), ("visits.month", "本月"), ("reviews.index", "批注"), ("reports.index", "打印"), ("performance.my_month", "考核"), ("main.account", "我的")],
    "team_member": [("secretary.home", "本村"), ("attendance.checkin_page", "签到"), ("attendance.leave_page", "请假"),
                    ("attendance.my_calendar", "日历"), ("main.account", "我的")],
    "first_secretary": [("secretary.home", "本村"), ("attendance.checkin_page", "签到"), ("secretary.team", "考勤"),
                        ("secretary.helpers_work", "走访"), ("performance.village", "考核"), ("reports.index", "打印"), ("main.account", "我的")],
    "office_admin": [("admin.index", "全乡"), ("admin.user_list", "账号"), ("admin.pairing_list", "结对"),
                     ("admin.roster", "导入"), ("reports.index", "打印"), ("attendance.approvals", "考勤"), ("performance.unit", "考核"), ("main.account", "我的")],
}


def init_app(app: Flask) -> None:
    @app.context_processor
    def _nav():
        def nav_items():
            if not current_user.is_authenticated:
                return []
            return NAV.get(current_user.role, [])

        return {"nav_items": nav_items}

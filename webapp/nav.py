"""The bottom navigation per role: (endpoint, label). Add an entry when a feature gets a page."""
from flask import Flask
from flask_login import current_user

NAV: dict[str, list[tuple[str, str]]] = {
    "helper": [("main.home", "我的帮扶户"), ("main.account", "我的")],
    "team_member": [("secretary.home", "本村"), ("main.account", "我的")],
    "first_secretary": [("secretary.home", "本村"), ("main.account", "我的")],
    "office_admin": [("admin.index", "全乡"), ("admin.user_list", "账号"), ("admin.pairing_list", "结对"),
                     ("admin.roster", "导入"), ("main.account", "我的")],
}


def init_app(app: Flask) -> None:
    @app.context_processor
    def _nav():
        def nav_items():
            if not current_user.is_authenticated:
                return []
            return NAV.get(current_user.role, [])

        return {"nav_items": nav_items}

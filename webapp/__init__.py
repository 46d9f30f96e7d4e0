"""帮扶通 application factory."""
import os
import secrets
from pathlib import Path

from flask import Flask

from .config import Default
from .web.rules import Settings

ENV_OVERRIDES = ("DATABASE_URL", "SECRET_KEY", "UPLOAD_DIR", "PROXY_COUNT", "STORAGE_URL", "S3_ENDPOINT_URL")


class App(Flask):
    config_class = Settings  # counts its changes: the rule objects are built again after one


def _ensure_instance_config(instance: Path) -> None:
    instance.mkdir(parents=True, exist_ok=True)
    cfg = instance / "config.py"
    if not cfg.exists():
        cfg.write_text(
            "# Site settings and secrets for this installation (not in git).\n"
            f"SECRET_KEY = {secrets.token_hex(32)!r}\n",
            encoding="utf-8",
        )


def _load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(Default)
    instance = Path(app.instance_path)
    if test_config is None:
        _ensure_instance_config(instance)
        # an absolute path: a relative one is read from the package (webapp/config.py), not the instance
        app.config.from_pyfile(str(instance / "config.py"), silent=True)
    else:
        app.config.from_mapping(test_config)
    if test_config is None:  # a test's config is explicit: the environment does not leak into it
        for name in ENV_OVERRIDES:
            if os.environ.get(name):
                app.config[name] = os.environ[name]
    if app.config.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'app.sqlite'}"
    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = str(instance / "uploads")
    if not app.config.get("ROSTER_PENDING_DIR"):
        # beside the photos, not among them (a backup copies UPLOAD_DIR)
        app.config["ROSTER_PENDING_DIR"] = str(Path(app.config["UPLOAD_DIR"]).parent / "roster_pending")


def create_app(test_config: dict | None = None) -> Flask:
    instance = os.environ.get("INSTANCE_PATH") or str(Path(__file__).resolve().parent.parent / "instance")
    app = App(__name__, instance_path=instance)
    _load_config(app, test_config)

    from . import database, security
    from .cli import register_cli
    from .extensions import babel, csrf, db, login_manager, migrate
    from .routes import register_blueprints

    database.configure(app.config)
    db.init_app(app)
    with app.app_context():
        database.init_engine(db.engine, app.config.get("SQLITE_BUSY_TIMEOUT_MS", database.BUSY_TIMEOUT_MS))
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "zh", timezone_selector=lambda: app.config["TIMEZONE"])
    from . import i18n

    i18n.init_app(app)  # one translations lookup per request (not per string)
    security.init_app(app, login_manager)
    from . import input_guard

    input_guard.init_app(app)  # before the blueprints: bounded <int:> ids, no NUL in forms
    register_blueprints(app)
    register_cli(app)
    from . import filters, nav

    filters.init_app(app)
    nav.init_app(app)
    from .web import compress

    compress.init_app(app)  # gzip for text answers, versioned long-cached static files
    from .web import rules, transactions

    transactions.init_app(app)  # a request that only reads begins its SQLite transactions deferred
    rules.install(app)  # the typed rule objects (services/rules.py), built once from the config; the calendar's zone
    return app

"""Fixtures: one app and one migrated database per test session, emptied before each test.

DATABASE_URL chooses the backend. For PostgreSQL a fresh database is created beside the
given one (so several runs may share a server) and dropped at the end.
"""
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from webapp import create_app
from webapp.extensions import db
from webapp.web import rules as app_rules

from .support import factories
from .support.visit_data import visit_body

PG = os.environ.get("DATABASE_URL", "").startswith("postgresql")


def _pg_database(url: str):
    base = make_url(url)
    name = f"bangfu_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # a wait on a lock or an open transaction left behind fails the test instead of hanging the run
        conn.execute(text(f'ALTER DATABASE "{name}" SET lock_timeout = \'60s\''))
        conn.execute(text(f'ALTER DATABASE "{name}" SET idle_in_transaction_session_timeout = \'300s\''))
    return base.set(database=name).render_as_string(hide_password=False), admin, name


@pytest.fixture(scope="session")
def database_url():
    if PG:
        url, admin, name = _pg_database(os.environ["DATABASE_URL"])
        yield url
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    else:
        tmp = tempfile.mkdtemp(prefix="bangfu-db-")
        yield f"sqlite:///{tmp}/test.sqlite"
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    upload = tmp_path_factory.mktemp("uploads")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DATABASE_URL": database_url,
        "UPLOAD_DIR": str(upload),
        "HUEY_IMMEDIATE": True,
        "PDF_LOCK_DIR": str(tmp_path_factory.mktemp("pdf-locks")),
    })
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_tables(app):
    with app.app_context():
        tables = list(reversed(db.metadata.sorted_tables))
        if PG:
            names = ", ".join(f'"{t.name}"' for t in tables)
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                db.session.execute(t.delete())
        db.session.commit()
        db.session.remove()
    upload = Path(app.config["UPLOAD_DIR"])
    for child in upload.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()


@pytest.fixture(autouse=True)
def _clean(request):
    if "app" in request.fixturenames or "client" in request.fixturenames:
        app = request.getfixturevalue("app")
        _empty_tables(app)
        saved = dict(app.config)
        yield
        app.config.clear()
        app.config.update(saved)
        app_rules.install(app)  # the rule objects as the config is again
    else:
        yield


@pytest.fixture
def ctx(app):
    """An application context for service tests."""
    with app.test_request_context():
        yield
        db.session.rollback()
        db.session.remove()


CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


class Client(FlaskClient):
    """The test client with CSRF handled like a browser: it fetches a token for each write.

    Pass csrf=False to send a write without the token.
    """

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            token = super().open("/api/v1/csrf").get_json()["csrf_token"]
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", token)
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def login(self, username: str, password: str = factories.PASSWORD):
        resp = self.post("/login", data={"username": username, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return resp


@pytest.fixture
def client(app):
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def make_client(app):
    """More clients, each with its own cookies."""
    app.test_client_class = Client
    return app.test_client


@pytest.fixture
def world(app):
    """A small township: 2 villages, a team each, 3 helpers, 6 households."""
    with app.app_context():
        w = factories.world()
        db.session.commit()
        ids = w.ids()
        db.session.remove()
    return ids


@pytest.fixture
def visit(client, world):
    """h1 logged in on `client`, with a visit to hh1 saved through the API: its client_uuid."""
    client.login("h1")
    body = visit_body(world["hh1"])
    assert client.post("/api/v1/visits", json=body).status_code == 201
    return body["client_uuid"]


@pytest.fixture
def live_server(app):
    """The app on a real threaded server on 127.0.0.1 (browser tests, overlapping requests)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """moto's S3 server on 127.0.0.1 for this test session (tests/support/s3_server.py)."""
    from .support.live import free_port
    from .support.s3_server import moto_server_bin, s3_server, set_credentials

    if moto_server_bin() is None:
        pytest.skip("moto[server] is not installed")
    set_credentials()
    with s3_server(free_port(), tmp_path_factory.mktemp("s3") / "moto.log") as url:
        yield url


@pytest.fixture
def s3_app(app, s3_endpoint):
    """The app with its photos and print results in a fresh bucket of the S3 server."""
    from .support.s3_server import new_bucket

    bucket = new_bucket(s3_endpoint)
    app.config.update(STORAGE_URL=f"s3://{bucket}/bangfu", S3_ENDPOINT_URL=s3_endpoint)
    return app

"""Slow CPU work in a write request (the password hash at login, decoding an uploaded photo) runs
outside any database transaction. On SQLite a write request begins with BEGIN IMMEDIATE, so
otherwise the database's one write lock is held through it and a burst of such requests queues
until one waits out busy_timeout: "database is locked" (found by bench/load.py)."""
import sqlite3
import threading

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tests.support.visit_data import jpeg, photo_form, visit_body
from webapp import database
from webapp.extensions import db
from webapp.models import Photo, Unit, User
from webapp.services import photos


def _no_transaction_held(app, seen: list) -> None:
    """At this moment the request holds no transaction, and (SQLite) another connection can take
    the write lock without waiting."""
    seen.append(db.session().in_transaction())
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        con = sqlite3.connect(url.database, timeout=0, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")  # raises "database is locked" if the request holds it
            con.execute("ROLLBACK")
        finally:
            con.close()


def _watch_hashing(app, monkeypatch) -> list:
    """Every password hash checked or made from now on records whether a transaction was held."""
    from webapp.models import org  # User.check_password / set_password
    from webapp.services import auth as auth_service
    from webapp.services import users as users_service

    seen: list = []
    real_check, real_make = org.check_password_hash, org.generate_password_hash

    def check(stored, password):
        _no_transaction_held(app, seen)
        return real_check(stored, password)

    def make(password):
        _no_transaction_held(app, seen)
        return real_make(password)

    monkeypatch.setattr(auth_service, "check_password_hash", check, raising=False)
    monkeypatch.setattr(users_service, "generate_password_hash", make, raising=False)
    monkeypatch.setattr(org, "check_password_hash", check)
    monkeypatch.setattr(org, "generate_password_hash", make)
    return seen


def test_login_checks_the_password_outside_the_transaction(app, world, client, monkeypatch):
    seen = _watch_hashing(app, monkeypatch)
    client.login("h1")
    assert seen == [False]
    # a failed login still records the failure (reserved before the check, in its own transaction)
    resp = client.post("/login", data={"username": "h2", "password": "wrong-password"})
    assert resp.status_code == 401
    assert seen == [False, False]
    with app.app_context():
        from webapp.services import login_limits

        assert login_limits.failures("u:h2") == 1


def test_account_password_change_hashes_outside_the_transaction(app, world, client, monkeypatch):
    """POST /account checked the old password and hashed the new one inside the write
    transaction every POST begins: parallel wrong guesses made other users' writes wait."""
    from tests.support.factories import PASSWORD

    client.login("h1")
    seen = _watch_hashing(app, monkeypatch)
    resp = client.post("/account", data={"old_password": "wrong-password", "new_password": "new-password-9"})
    assert resp.status_code == 422 and "原密码不正确" in resp.get_data(as_text=True)
    assert seen == [False]
    resp = client.post("/account", data={"old_password": PASSWORD, "new_password": "new-password-9"})
    assert resp.status_code == 302
    assert seen == [False, False, False]  # the old one checked, the new one made


def test_admin_password_reset_hashes_outside_the_transaction(app, world, client, monkeypatch):
    client.login("admin")
    seen = _watch_hashing(app, monkeypatch)
    resp = client.post(f"/admin/users/{world['h1']}/password", data={"password": "new-password-9"})
    assert resp.status_code == 302
    assert seen == [False]


def test_photo_is_decoded_outside_the_transaction(app, world, client, monkeypatch):
    client.login("h1")
    body = visit_body(world["hh1"])
    assert client.post("/api/v1/visits", json=body).status_code == 201
    seen: list = []
    real = photos.process

    def process(data, rules):
        _no_transaction_held(app, seen)
        return real(data, rules)

    monkeypatch.setattr(photos, "process", process)
    form = photo_form(jpeg(seed=3))
    resp = client.post(f"/api/v1/visits/{body['client_uuid']}/photos", data=form, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert seen == [False]
    # the replay is answered from the stored row, without decoding again
    form = photo_form(jpeg(seed=3), photo_uuid=form["client_uuid"])
    assert client.post(f"/api/v1/visits/{body['client_uuid']}/photos", data=form,
                       content_type="multipart/form-data").status_code == 200
    assert seen == [False]


def test_photo_limit_is_checked_again_after_decoding(app, world, client, make_client, monkeypatch):
    """The place may be taken while the photo is decoded: the limit holds in the insert's
    transaction, and the refused upload leaves no file."""
    app.config["MAX_PHOTOS_PER_VISIT"] = 1
    client.login("h1")
    body = visit_body(world["hh1"])
    assert client.post("/api/v1/visits", json=body).status_code == 201
    real = photos.process
    other = {"done": False}

    c2 = make_client()
    c2.login("h1")
    answers = []

    def other_upload():  # its own thread: its own app context, session and connection
        r = c2.post(f"/api/v1/visits/{body['client_uuid']}/photos", data=photo_form(jpeg(seed=5)),
                    content_type="multipart/form-data")
        answers.append(r.status_code)

    def process(data, rules):
        done = real(data, rules)
        if not other["done"]:  # meanwhile, another upload of the same visit takes the last place
            other["done"] = True
            t = threading.Thread(target=other_upload)
            t.start()
            t.join(60)
        return done

    monkeypatch.setattr(photos, "process", process)
    resp = client.post(f"/api/v1/visits/{body['client_uuid']}/photos", data=photo_form(jpeg(seed=4)),
                       content_type="multipart/form-data")
    assert answers == [201]
    assert resp.status_code == 422, resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Photo)) == 1
    from pathlib import Path

    assert len([p for p in Path(app.config["UPLOAD_DIR"]).rglob("*.jpg")]) == 2  # the other photo's two files


def test_end_read_transaction_never_commits_a_write(ctx):
    db.session.add(Unit(name="未提交"))
    db.session.flush()
    assert database.end_read_transaction() is False
    assert db.session().in_transaction()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.name == "未提交")) == 0

    db.session.add(Unit(name="未刷新"))  # pending, not flushed
    assert database.end_read_transaction() is False
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.name == "未刷新")) == 0


def test_end_read_transaction_after_reads_keeps_only_what_was_asked(ctx, world):
    a = db.session.get(User, world["h1"])
    b = db.session.get(User, world["h2"])
    assert database.end_read_transaction(a) is True
    assert not db.session().in_transaction()
    assert "username" in a.__dict__  # kept: no query needed to read it
    assert "username" not in b.__dict__  # expired: read again in the next transaction
    assert b.username == "h2"

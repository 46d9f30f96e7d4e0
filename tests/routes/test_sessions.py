"""Sessions and password changes: where a login may send the browser, a new session and CSRF token
at login, a remember-me cookie that ends on the server,
the re-entered password on /account and the admin's reset, and GET that changes nothing."""
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.factories import PASSWORD
from tests.support.visit_data import visit_body
from webapp import security
from webapp.extensions import db
from webapp.models import User


def _copy_cookie(src, dst, name: str) -> None:
    cookie = src.get_cookie(name)
    assert cookie is not None, name
    dst.set_cookie(name, cookie.value)


# --- where a login may send the browser ------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "//evil.example", "/\\evil.example",
    "\\\\evil.example", "https://evil.example/", "javascript:alert(1)", "/ /evil.example",
    "/x\r\nSet-Cookie: a=b", "/\x7f/evil.example", "/\u2028/evil.example", "/\u3000/evil.example", "evil.example",
])
def test_next_goes_home_unless_it_is_a_same_site_path(world, client, target):
    """Today '/%09/evil.example' redirected to //evil.example (browsers drop the tab) and CR/LF
    gave a 500 after a successful login."""
    resp = client.post("/login", data={"username": "h1", "password": PASSWORD, "next": target})
    assert resp.status_code == 302 and resp.headers["Location"] == "/", target


def test_next_from_the_login_link_is_checked_after_login(world, client):
    page = client.get("/login?next=/%09/evil.example").get_data(as_text=True)
    assert 'name="next" value="/\t/evil.example"' in page  # carried in the form, as typed
    resp = client.post("/login", data={"username": "h1", "password": PASSWORD, "next": "/\t/evil.example"})
    assert resp.headers["Location"] == "/"


def test_same_site_paths_are_followed(world, client):
    for target in ("/reports/?month=2026-03", "/households/1#visits", "/account"):
        resp = client.post("/login", data={"username": "h1", "password": PASSWORD, "next": target})
        assert resp.headers["Location"] == target
        client.post("/logout")


# --- a new session at login ---------------------------------------------------------------------

def test_login_renews_the_session_and_its_csrf_token(world, client):
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by someone who set this browser's cookie"
        before = sess["csrf_token"]
    client.login("h1")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("csrf_token") != before
    # the new token works for the next write, the old one not
    assert client.post("/account", data={"old_password": "x", "new_password": "y"},
                       headers={"X-CSRFToken": "not-the-token"}, csrf=False).status_code == 400
    assert client.post("/logout").status_code == 302


# --- remember me ----------------------------------------------------------------------------

def test_remember_cookie_lives_30_days(world, client, app):
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    resp = client.login("h1")
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = client.get_cookie("remember_token").expires
    days = (expires - datetime.now(timezone.utc)).total_seconds() / 86400
    assert 29.9 < days <= 30.01, cookie


def test_remember_cookie_ends_on_the_server_after_its_lifetime(world, make_client, monkeypatch):
    """The browser's expiry is not enough: a copied cookie is refused 30 days after the login
    (today it restored a session for as long as anyone kept it)."""
    phone = make_client()
    phone.login("h1")
    copy = make_client()
    _copy_cookie(phone, copy, "remember_token")
    assert copy.get("/").status_code == 200  # restores a session on its own, within the lifetime
    later = time.time() + 31 * 86400
    monkeypatch.setattr(security.time, "time", lambda: later)
    fresh = make_client()
    _copy_cookie(phone, fresh, "remember_token")
    assert fresh.get("/").status_code == 302
    assert phone.get("/").status_code == 302  # the session carries the same login time


@pytest.mark.parametrize("revoke", ["logout", "password", "deactivate"])
def test_remember_cookie_is_revoked(world, make_client, revoke):
    phone = make_client()
    phone.login("h2")
    stolen = make_client()
    _copy_cookie(phone, stolen, "remember_token")
    assert stolen.get("/").status_code == 200
    stolen = make_client()
    _copy_cookie(phone, stolen, "remember_token")
    if revoke == "logout":
        phone.post("/logout")
    elif revoke == "password":
        assert phone.post("/account", data={"old_password": PASSWORD, "new_password": "new-password-9"}).status_code == 302
    else:
        admin = make_client()
        admin.login("admin")
        admin.post(f"/admin/users/{world['h2']}/active", data={"active": "0"})
    assert stolen.get("/").status_code == 302


def test_a_session_of_the_old_form_is_refused(world, client, app):
    with app.app_context():
        user = db.session.get(User, world["h1"])
        old_form = f"{user.id}:{user.session_version}"
    with client.session_transaction() as sess:
        sess["_user_id"] = old_form
    assert client.get("/").status_code == 302


# --- /account: the old password, limited, outside the write lock -------------------------------

def test_account_password_attempts_are_limited(world, client, app):
    client.login("h1")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        resp = client.post("/account", data={"old_password": "wrong-password", "new_password": "new-password-9"})
        assert resp.status_code == 422 and "原密码不正确" in resp.get_data(as_text=True)
    resp = client.post("/account", data={"old_password": PASSWORD, "new_password": "new-password-9"})
    assert resp.status_code == 429 and "密码错误次数过多" in resp.get_data(as_text=True)
    with app.app_context():  # unchanged
        assert db.session.get(User, world["h1"]).check_password(PASSWORD)
    assert client.get("/").status_code == 200  # still logged in


def test_a_short_new_password_costs_no_guess(world, client, app):
    client.login("h1")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 2):
        resp = client.post("/account", data={"old_password": "wrong-password", "new_password": "short"})
        assert resp.status_code == 422 and "密码至少 8 位。" in resp.get_data(as_text=True)
    assert client.post("/account", data={"old_password": PASSWORD, "new_password": "new-password-9"}).status_code == 302


def test_parallel_wrong_guesses_on_account_do_not_stall_other_writes(world, make_client, app):
    """Today ten parallel wrong guesses on /account hashed inside the write transaction: other
    users' visit POSTs waited (2 s median) and some got 500 "database is locked"."""
    limit = app.config["LOGIN_MAX_FAILURES"]
    guesser = [make_client() for _ in range(10)]
    for c in guesser:
        c.login("h2")
    writer = make_client()
    writer.login("h1")
    start = threading.Barrier(len(guesser) + 1)
    guesses: list[int] = []
    visits: list[int] = []

    def guess(c):
        start.wait(30)
        resp = c.post("/account", data={"old_password": "wrong-password", "new_password": "new-password-9"})
        guesses.append(resp.status_code)

    def write():
        start.wait(30)
        for hh in (world["hh1"], world["hh2"]) * 3:
            visits.append(writer.post("/api/v1/visits", json=visit_body(hh)).status_code)

    threads = [threading.Thread(target=guess, args=(c,)) for c in guesser] + [threading.Thread(target=write)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert visits == [201] * 6
    assert guesses.count(422) == limit and guesses.count(429) == len(guesser) - limit, guesses


# --- an office admin re-enters their own password -------------------------------------------

@pytest.fixture
def admin2(world, app):
    from tests.support import factories
    from webapp.models import Unit

    with app.app_context():
        person = factories.user(db.session.get(Unit, world["unit"]), "admin2", "office_admin", name="管理员二")
        db.session.commit()
        return person.id


def test_resetting_another_admins_password_needs_ones_own(world, client, app, admin2):
    client.login("admin")
    url = f"/admin/users/{admin2}/password"
    assert 'name="current_password"' in client.get("/admin/users").get_data(as_text=True)
    resp = client.post(url, data={"password": "taken-over-99"})
    assert resp.status_code == 422 and "您自己的当前密码不正确" in resp.get_data(as_text=True)
    resp = client.post(url, data={"password": "taken-over-99", "current_password": "wrong-password"})
    assert resp.status_code == 422
    with app.app_context():
        assert db.session.get(User, admin2).check_password(PASSWORD)
    assert client.post(url, data={"password": "taken-over-99", "current_password": PASSWORD}).status_code == 302
    with app.app_context():
        assert db.session.get(User, admin2).check_password("taken-over-99")


def test_an_admin_resetting_their_own_password_needs_it(world, client, app):
    client.login("admin")
    url = f"/admin/users/{world['admin']}/password"
    assert client.post(url, data={"password": "taken-over-99"}).status_code == 422
    assert client.post(url, data={"password": "taken-over-99", "current_password": PASSWORD}).status_code == 302


def test_admins_own_password_is_limited_on_the_reset_too(world, client, app, admin2):
    client.login("admin")
    url = f"/admin/users/{admin2}/password"
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.post(url, data={"password": "taken-over-99", "current_password": "wrong"}).status_code == 422
    assert client.post(url, data={"password": "taken-over-99", "current_password": PASSWORD}).status_code == 429


def test_resetting_a_helpers_password_needs_no_more(world, client, app):
    client.login("admin")
    assert client.post(f"/admin/users/{world['h1']}/password", data={"password": "new-password-9"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, world["h1"]).check_password("new-password-9")

"""Login limits that no anonymous client can turn against other people: counted per (username,
address), per address and per username; reserved atomically before the password check; one hash
on every path; usernames matched without case."""
import logging
import threading
import uuid

import pytest

from tests.support.factories import PASSWORD
from webapp.extensions import db
from webapp.services import auth as auth_service
from webapp.services import login_limits


def _at(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _fail(client, username: str, address: str = "127.0.0.1", password: str = "wrong-password"):
    return client.post("/login", data={"username": username, "password": password}, **_at(address))


def _login(client, username: str, address: str = "127.0.0.1"):
    return client.post("/login", data={"username": username, "password": PASSWORD}, **_at(address))


@pytest.fixture
def hashes(monkeypatch):
    """Counts the password hashes checked (thread-safe)."""
    from webapp.models import org

    calls = {"n": 0}
    lock = threading.Lock()
    real = org.check_password_hash

    def check(stored, password):
        with lock:
            calls["n"] += 1
        return real(stored, password)

    monkeypatch.setattr(org, "check_password_hash", check)  # User.check_password
    monkeypatch.setattr(auth_service, "check_password_hash", check, raising=False)
    return calls


def test_random_usernames_from_one_address_lock_out_no_one_else(world, make_client, app):
    """Today: 21 failures with random usernames from one address made every account answer 429."""
    attacker = make_client()
    per_address = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for _ in range(per_address):
        assert _fail(attacker, f"nobody-{uuid.uuid4().hex[:8]}", "203.0.113.9").status_code == 401
    # the address itself is slowed down: refused at once, even with a right password
    resp = _login(attacker, "h1", "203.0.113.9")
    assert resp.status_code == 429 and "本网络登录失败次数过多" in resp.get_data(as_text=True)
    # nobody else is: every account from every other address
    for name in ("h1", "h2", "admin", "sec1"):
        assert _login(make_client(), name, "198.51.100.7").status_code == 302


def test_one_account_guessed_from_one_address(world, make_client, app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    attacker = make_client()
    for _ in range(limit):
        assert _fail(attacker, "h1", "203.0.113.9").status_code == 401
    resp = _login(attacker, "h1", "203.0.113.9")
    assert resp.status_code == 429 and "登录失败次数过多" in resp.get_data(as_text=True)
    # the owner, elsewhere, is not locked out
    assert _login(make_client(), "h1", "198.51.100.7").status_code == 302
    # and the guessing address may still log in to another account
    assert _login(attacker, "h2", "203.0.113.9").status_code == 302


def test_guessing_spread_over_addresses_stops_but_not_for_the_owners_browser(world, make_client, app):
    phone = make_client()
    assert _login(phone, "h1", "198.51.100.7").status_code == 302  # the owner's phone has logged in before
    phone.post("/logout")
    per_username = app.config["LOGIN_MAX_FAILURES_PER_USERNAME"]
    for i in range(per_username):
        assert _fail(make_client(), "h1", f"203.0.113.{i + 1}").status_code == 401
    resp = _login(make_client(), "h1", "203.0.113.200")  # a browser that never logged in as h1
    assert resp.status_code == 429 and "该账号近期登录失败次数过多" in resp.get_data(as_text=True)
    # the owner's phone, even from a new address, still logs in
    assert _login(phone, "h1", "192.0.2.55").status_code == 302
    # a forged device cookie does not help
    forged = make_client()
    forged.set_cookie("bangfu_device", "W1siaDEiLCIwMDAwIl1d.forged.signature")
    assert _login(forged, "h1", "203.0.113.201").status_code == 429


def test_a_password_change_ends_the_trust_of_old_browsers(world, make_client, app):
    phone = make_client()
    assert _login(phone, "h1", "198.51.100.7").status_code == 302
    phone.post("/logout")
    admin = make_client()
    admin.login("admin")
    assert admin.post(f"/admin/users/{world['h1']}/password", data={"password": "new-password-9"}).status_code == 302
    for i in range(app.config["LOGIN_MAX_FAILURES_PER_USERNAME"]):
        assert _fail(make_client(), "h1", f"203.0.113.{i + 1}").status_code == 401
    resp = phone.post("/login", data={"username": "h1", "password": "new-password-9"}, **_at("192.0.2.55"))
    assert resp.status_code == 429


def test_parallel_wrong_guesses_check_at_most_the_limit(world, make_client, app, hashes):
    """Today 24 parallel wrong guesses for one username checked 11 passwords instead of 5."""
    limit = app.config["LOGIN_MAX_FAILURES"]
    clients = [make_client() for _ in range(24)]
    for c in clients:  # each has its CSRF session before the race
        c.get("/login")
    start = threading.Barrier(len(clients))
    answers: list[int] = []

    def guess(c):
        start.wait(30)
        answers.append(_fail(c, "h1", "203.0.113.9").status_code)

    threads = [threading.Thread(target=guess, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(set(answers)) == [401, 429], answers
    assert answers.count(401) == limit and answers.count(429) == len(clients) - limit
    assert hashes["n"] == limit
    with app.app_context():
        assert login_limits.failures("ua:h1|203.0.113.9") == limit
        assert login_limits.failures("u:h1") == limit


def test_every_failure_costs_one_hash(world, client, app, hashes):
    """An unknown or deactivated username costs the same hash as a wrong password, so the time of
    the answer does not say whether the account exists (today: ~5 ms against ~100 ms)."""
    with app.app_context():
        from webapp.models import User

        db.session.get(User, world["h3"]).active = False
        db.session.commit()
    for name in ("h1", "no-such-user", "h3"):
        before = hashes["n"]
        resp = _fail(client, name)
        assert resp.status_code == 401 and "用户名或密码错误" in resp.get_data(as_text=True)
        assert hashes["n"] == before + 1, name
    # the deactivated account with its right password: the same answer
    assert _login(client, "h3").status_code == 401


def test_usernames_ignore_case_and_spaces_and_count_once(world, make_client, app):
    assert _login(make_client(), "H1 ").status_code == 302
    assert _login(make_client(), "  Admin").status_code == 302
    attacker = make_client()
    limit = app.config["LOGIN_MAX_FAILURES"]
    spellings = ["H1", "h1 ", " h1", "ｈ１", "H1"]
    for name in spellings[:limit]:
        assert _fail(attacker, name, "203.0.113.9").status_code == 401
    with app.app_context():
        assert login_limits.failures("u:h1") == limit
        assert login_limits.failures("u:H1") == 0
    assert _fail(attacker, "h1", "203.0.113.9").status_code == 429


def test_a_success_gives_the_pair_a_fresh_start(world, client, app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        assert _fail(client, "h1").status_code == 401
    assert _login(client, "h1").status_code == 302
    client.post("/logout")
    with app.app_context():
        assert login_limits.failures("ua:h1|127.0.0.1") == 0
    for _ in range(limit - 1):
        assert _fail(client, "h1").status_code == 401


def test_window_passes(world, client, app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        _fail(client, "h1")
    assert _login(client, "h1").status_code == 429
    with app.app_context():
        from datetime import timedelta

        from webapp.models import LoginLimit

        for row in db.session.scalars(db.select(LoginLimit)):
            row.window_start -= timedelta(minutes=app.config["LOGIN_WINDOW_MINUTES"] + 1)
        db.session.commit()
    assert _login(client, "h1").status_code == 302


def test_forwarded_for_without_proxy_count_is_warned_once(world, client, app, caplog):
    app.extensions.pop("bangfu_xff_warned", None)
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            client.get("/login", headers={"X-Forwarded-For": "198.51.100.7"})
    warned = [r for r in caplog.records if "PROXY_COUNT" in r.getMessage()]
    assert len(warned) == 1 and "X-Forwarded-For" in warned[0].getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        client.get("/login")
    assert not [r for r in caplog.records if "PROXY_COUNT" in r.getMessage()]


def test_behind_the_proxy_each_client_is_counted_by_its_own_address(world, app):
    """With PROXY_COUNT=1 (the README's recipe) the limits see the forwarded client address: one
    client's failures do not slow down the others behind the same proxy."""
    from tests.conftest import Client
    from webapp import create_app

    proxied = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "PROXY_COUNT": 1,
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "UPLOAD_DIR": app.config["UPLOAD_DIR"]})
    proxied.test_client_class = Client
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    attacker = proxied.test_client()
    for _ in range(proxied.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        resp = attacker.post("/login", data={"username": f"x{uuid.uuid4().hex[:6]}", "password": "wrong"},
                             headers={"X-Forwarded-For": "203.0.113.9"}, environ_base=proxy)
        assert resp.status_code == 401
    resp = attacker.post("/login", data={"username": "h1", "password": PASSWORD},
                         headers={"X-Forwarded-For": "203.0.113.9"}, environ_base=proxy)
    assert resp.status_code == 429
    other = proxied.test_client()
    resp = other.post("/login", data={"username": "h1", "password": PASSWORD},
                      headers={"X-Forwarded-For": "198.51.100.7"}, environ_base=proxy)
    assert resp.status_code == 302
    with proxied.app_context():
        db.engine.dispose()


def test_parallel_guesses_on_many_keys_never_fail(world, make_client, app):
    """Reservations on overlapping keys (usernames × addresses) from many requests at once: no
    deadlock, no 'database is locked', every answer 401 or 429, and the counters add up."""
    names = ["h1", "h2", "h3", "nobody", "sec1", "admin"]
    addresses = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"]
    jobs = [(names[i % len(names)], addresses[i % len(addresses)]) for i in range(36)]
    clients = [make_client() for _ in jobs]
    for c in clients:
        c.get("/login")
    start = threading.Barrier(len(jobs))
    answers: list[int] = []

    def guess(c, name, address):
        start.wait(30)
        answers.append(_fail(c, name.upper(), address).status_code)

    threads = [threading.Thread(target=guess, args=(c, *job)) for c, job in zip(clients, jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert len(answers) == len(jobs) and set(answers) <= {401, 429}, answers
    with app.app_context():
        counted = sum(login_limits.failures(f"a:{a}") for a in addresses)
        assert counted == answers.count(401)


def test_passed_windows_are_cleared(world, client, app):
    from datetime import datetime, timedelta, timezone

    from webapp.models import LoginLimit

    with app.app_context():
        db.session.add(LoginLimit(key="u:long-ago", failures=3,
                                  window_start=datetime.now(timezone.utc) - timedelta(days=2)))
        db.session.commit()
    assert _fail(client, "h1").status_code == 401
    with app.app_context():
        assert db.session.get(LoginLimit, "u:long-ago") is None
        assert login_limits.failures("u:h1") == 1

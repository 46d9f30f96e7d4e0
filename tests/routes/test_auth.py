"""Login, rate limit, CSRF, and sessions that end on the server."""
from tests.support.factories import PASSWORD


def test_login_page_is_chinese_and_carries_a_csrf_meta(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "登录" in page
    assert 'name="csrf-token"' in page and 'name="csrf_token"' in page


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_login_and_logout(world, client):
    client.login("h1")
    assert "张一" in client.get("/").get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_bad_password_is_401_with_a_chinese_message(world, client):
    resp = client.post("/login", data={"username": "h1", "password": "nope"})
    assert resp.status_code == 401 and "用户名或密码错误" in resp.get_data(as_text=True)


def test_login_is_rate_limited_after_repeated_failures(world, client, app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert client.post("/login", data={"username": "h1", "password": "nope"}).status_code == 401
    resp = client.post("/login", data={"username": "h1", "password": PASSWORD})
    assert resp.status_code == 429 and "登录失败次数过多" in resp.get_data(as_text=True)
    # another account from the same address still works
    client.login("h2")


def test_open_redirect_is_refused(world, client):
    resp = client.post("/login", data={"username": "h1", "password": PASSWORD, "next": "//evil.example/"})
    assert resp.headers["Location"] == "/"


def test_post_without_csrf_token_is_refused(world, client):
    resp = client.post("/login", data={"username": "h1", "password": PASSWORD}, csrf=False)
    assert resp.status_code == 400
    client.login("h1")
    resp = client.post("/logout", csrf=False)
    assert resp.status_code == 400
    assert client.get("/").status_code == 200  # still logged in


def test_csrf_form_field_is_accepted(world, client):
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": "h1", "password": PASSWORD, "csrf_token": token}, csrf=False)
    assert resp.status_code == 302


def test_logout_ends_the_old_cookie_on_the_server(world, make_client):
    phone = make_client()
    phone.login("h1")
    stolen = make_client()
    for cookie in phone._cookies.values():
        stolen._cookies[(cookie.domain, cookie.path, cookie.key)] = cookie
    assert stolen.get("/").status_code == 200
    phone.post("/logout")
    assert stolen.get("/").status_code == 302


def test_deactivation_and_password_change_end_sessions(world, make_client):
    helper, admin = make_client(), make_client()
    helper.login("h2")
    admin.login("admin")
    admin.post(f"/admin/users/{world['h2']}/active", data={"active": "0"})
    assert helper.get("/").status_code == 302
    assert helper.post("/login", data={"username": "h2", "password": PASSWORD}).status_code == 401
    admin.post(f"/admin/users/{world['h2']}/active", data={"active": "1"})
    helper.login("h2")
    other = make_client()
    other.login("h2")
    resp = helper.post("/account", data={"old_password": PASSWORD, "new_password": "new-password-9"})
    assert resp.status_code == 302
    assert other.get("/").status_code == 302
    other.login("h2", "new-password-9")


def test_security_headers(world, client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    client.login("h1")
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_cookies_are_secure_over_https_and_behind_a_proxy(world, app, make_client):
    secure = make_client()
    resp = secure.post("/login", data={"username": "h1", "password": PASSWORD}, base_url="https://bangfu.example")
    cookies = resp.headers.getlist("Set-Cookie")
    assert cookies and all("; Secure" in c and "HttpOnly" in c for c in cookies), cookies
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = make_client()
    resp = plain.post("/login", data={"username": "h1", "password": PASSWORD})
    assert not any("; Secure" in c for c in resp.headers.getlist("Set-Cookie"))


def test_proxy_count_makes_forwarded_https_count():
    from webapp import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "PROXY_COUNT": 1})
    seen = {}

    @app.get("/_scheme")
    def _scheme():
        from flask import request

        seen["secure"] = request.is_secure
        return "ok"

    app.test_client().get("/_scheme", headers={"X-Forwarded-Proto": "https"})
    assert seen["secure"] is True

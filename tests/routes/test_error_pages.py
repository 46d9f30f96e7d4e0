"""Error answers in Chinese for every status: a page that says what happened and what to do next,
with a way home (never Werkzeug's English page, never a bare number), and JSON on the API."""
import re

import pytest
from flask import abort
from werkzeug.exceptions import default_exceptions

from tests.conftest import Client
from webapp import create_app
from webapp.extensions import db

CHINESE = re.compile(r"[\u4e00-\u9fff]{4,}")
ENGLISH = ("Internal Server Error", "The server encountered", "The requested URL", "Not Found", "Bad Request",
           "Method Not Allowed", "Traceback")


@pytest.fixture
def raising_app(app, database_url, tmp_path):
    """A second app on the test database with routes that fail: an unhandled exception, abort(code)."""
    other = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False, "SECRET_KEY": "test-secret",
                        "SQLALCHEMY_DATABASE_URI": database_url, "DATABASE_URL": database_url,
                        "UPLOAD_DIR": str(tmp_path), "HUEY_IMMEDIATE": True})

    def boom():
        db.session.execute(db.text("SELECT 1"))  # a transaction is open when it fails
        raise RuntimeError("a bug")

    def aborts(code: int):
        abort(code)

    for prefix in ("", "/api/v1"):
        other.add_url_rule(f"{prefix}/test-boom", f"boom{prefix}", boom, methods=["GET", "POST"])
        other.add_url_rule(f"{prefix}/test-abort/<int:code>", f"abort{prefix}", aborts)
    other.test_client_class = Client
    yield other
    with other.app_context():
        db.engine.dispose()


def _page_ok(resp, code: int) -> str:
    page = resp.get_data(as_text=True)
    assert resp.status_code == code and resp.mimetype == "text/html", (code, resp.status_code)
    assert not any(text in page for text in ENGLISH), page[:800]
    text = re.sub(r"<[^>]+>", " ", page)
    assert len(CHINESE.findall(text)) >= 3, text  # a title, what happened, what to do next
    assert re.search(r'href="/"', page), "no way home"
    return page


def test_an_exception_in_a_view_is_a_chinese_500_page(raising_app, world):
    c = raising_app.test_client()
    page = _page_ok(c.get("/test-boom"), 500)
    assert "服务器出错了" in page and "请稍后重试" in page
    c.login("h1")  # the page with the user's navigation, after the failed transaction was rolled back
    page = _page_ok(c.post("/test-boom"), 500)
    assert "帮扶一" in page


def test_an_exception_in_the_api_is_json_in_chinese(raising_app, world):
    resp = raising_app.test_client().get("/api/v1/test-boom")
    assert resp.status_code == 500 and resp.is_json
    [(field, [message])] = resp.get_json()["errors"].items()
    assert field == "_server" and CHINESE.search(message)


def test_when_the_page_itself_fails_a_plain_chinese_page_remains(raising_app, monkeypatch):
    from webapp.web import errors

    def broken(*args, **kwargs):
        raise RuntimeError("the template cannot render either")

    monkeypatch.setattr(errors, "render_template", broken)
    resp = raising_app.test_client().get("/test-boom")
    assert resp.status_code == 500 and "服务器出错了" in resp.get_data(as_text=True)
    assert "Internal Server Error" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("code", sorted(c for c in default_exceptions if c >= 400))
def test_every_error_status_has_a_chinese_page_and_json(raising_app, code):
    c = raising_app.test_client()
    page = _page_ok(c.get(f"/test-abort/{code}"), code)
    assert f"错误代码 {code}" in page  # the number is a detail under the explanation
    resp = c.get(f"/api/v1/test-abort/{code}")
    assert resp.status_code == code and resp.is_json
    messages = [m for ms in resp.get_json()["errors"].values() for m in ms]
    assert messages and all(CHINESE.search(m) for m in messages)


def test_an_unknown_url_is_a_chinese_404_with_a_link_home(client, world):
    page = _page_ok(client.get("/no-such-page"), 404)
    assert "页面不存在" in page and "返回首页" in page
    client.login("h1")
    page = _page_ok(client.get("/households/999999"), 404)
    assert "返回首页" in page
    assert client.get("/api/v1/no-such-thing").get_json()["errors"]["_request"] == ["页面不存在。"]


def test_a_wrong_method_is_a_chinese_405(client, world):
    client.login("h1")
    _page_ok(client.delete("/reviews/"), 405)

"""Logging in, in each kind of test: a browser page (the login form), a test client without the
password check (the hostile-input tests send thousands of requests), and a requests session
against a live server (support/live.py `login`). The test client's own `login` (the form, with
CSRF) is tests/conftest.py's Client."""
from sqlalchemy import select

from webapp.extensions import db

from .factories import PASSWORD


def login_page(page, username: str, password: str = PASSWORD):
    """The login form in a Playwright page; waits for the page it leads to."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def login_session_only(client, app, username: str):
    """Log the client in without the password check (its hash costs ~0.3 s a time): the session
    holds what Flask-Login's login_user() would put there, so every access check still runs."""
    from webapp.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        user_id = user.get_id()
        db.session.remove()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    return client

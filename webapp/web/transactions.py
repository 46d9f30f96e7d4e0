"""The request decides how its SQLite transactions begin (webapp/database.py): a page that only
reads (GET, HEAD, OPTIONS) begins them deferred; a write request takes the write lock at once, so a
transaction that reads and then writes never meets "database is locked" halfway."""
from __future__ import annotations

from flask import Flask, g, request

from .. import database

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def mode_for(method: str) -> str:
    return database.DEFERRED if method in READ_METHODS else database.IMMEDIATE


def init_app(app: Flask) -> None:
    def _begin_mode() -> None:
        g._bangfu_begin = database.begin_transactions(mode_for(request.method))

    # first of all: the other hooks (login, guards) may already read the database
    app.before_request_funcs.setdefault(None, []).insert(0, _begin_mode)

    @app.teardown_request
    def _end_mode(exc: BaseException | None) -> None:
        token = g.pop("_bangfu_begin", None)
        if token is not None:
            try:
                database.reset_begin(token)
            except ValueError:  # set in another context (cannot happen in one request): back to the default
                database.begin_transactions(database.IMMEDIATE)

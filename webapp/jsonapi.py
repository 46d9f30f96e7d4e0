"""Plumbing shared by the JSON API blueprints: 401 instead of a login redirect, the JSON body."""
import functools

from flask import jsonify, request
from flask_login import current_user

from .services.errors import ValidationFailed


def unauthorized():
    """The API's one 401: the outbox keeps the item and asks the user to log in again."""
    return jsonify(errors={"_session": ["登录已过期，请重新登录。"]}), 401


def login_required(view):
    """401 JSON instead of a redirect to the login page."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return unauthorized()
        return view(*args, **kwargs)

    return wrapped


def json_body() -> dict:
    """The request's JSON object, or a 422 naming `_body`."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # "[[[[…" nested deeper than the parser's recursion limit
        data = None
    if not isinstance(data, dict):
        raise ValidationFailed("请求体应为 JSON 对象（Content-Type: application/json）。", field="_body")
    return data

"""JSON API v1 (same session cookie as the pages; X-CSRFToken on writes)."""
from flask import Blueprint, jsonify
from flask_wtf.csrf import generate_csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/csrf")
def csrf_token():
    """A fresh CSRF token for this session (the offline outbox asks before replaying)."""
    resp = jsonify(csrf_token=generate_csrf())
    resp.headers["Cache-Control"] = "no-store"
    return resp

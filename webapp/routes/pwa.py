"""The installable app: manifest, the service worker at the root scope, the offline and outbox pages.

The service worker is rendered from templates/pwa/sw.js with a version that is the hash of every
static file and of the worker itself: any change makes a new worker, which drops the old caches.
"""
import hashlib
from pathlib import Path

from flask import Blueprint, current_app, jsonify, make_response, render_template, url_for
from flask_login import current_user, login_required

from .. import jsonapi
from ..schemas.account import me_json

bp = Blueprint("pwa", __name__)

SKIP = (".map", "LICENSE")


def _static_files() -> list[Path]:
    root = Path(current_app.static_folder)
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(SKIP) and not p.name.startswith("."))


def version() -> str:
    """Changes whenever a static file or the worker changes. Computed once per process."""
    cached = current_app.extensions.get("bangfu_sw_version")
    if cached:
        return cached
    h = hashlib.sha256()
    root = Path(current_app.static_folder)
    for p in _static_files():
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    h.update(Path(current_app.root_path, "templates", "pwa", "sw.js").read_bytes())
    value = h.hexdigest()[:12]
    current_app.extensions["bangfu_sw_version"] = value
    return value


def precache() -> list[str]:
    root = Path(current_app.static_folder)
    # unversioned (v=None): the worker's cache is per version already and matches pages' ?v= URLs ignoring it
    urls = [url_for("static", filename=str(p.relative_to(root)), v=None) for p in _static_files()]
    return urls + [url_for("pwa.offline")]


@bp.get("/manifest.webmanifest")
def manifest():
    icons = [
        {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {"src": url_for("static", filename="icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
         "purpose": "maskable"},
    ]
    resp = jsonify({
        "name": "帮扶通",
        "short_name": "帮扶通",
        "description": "结对帮扶：走访签到、照片、帮扶措施、驻村考勤",
        "lang": "zh-CN",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": "#b3261e",
        "background_color": "#f6f4f7",
        "icons": icons,
    })
    resp.mimetype = "application/manifest+json"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/sw.js")
def service_worker():
    body = render_template("pwa/sw.js", version=version(), precache=precache(), offline_url=url_for("pwa.offline"))
    resp = make_response(body)
    resp.mimetype = "text/javascript"
    # the browser must always ask for a new version; the worker controls the whole origin
    resp.headers["Cache-Control"] = "no-cache, no-store"
    resp.headers["Service-Worker-Allowed"] = "/"
    return resp


@bp.get("/offline")
def offline():
    """Shown by the service worker for a page never opened online. No user data: it is cached."""
    resp = make_response(render_template("pwa/offline.html"))
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/outbox")
@login_required
def outbox():
    """What waits on this phone to be sent (the list itself lives in the browser's IndexedDB)."""
    return render_template("pwa/outbox.html")


@bp.get("/api/v1/me")
@jsonapi.login_required
def me():
    """Who the session belongs to: the outbox sends only the items its user queued."""
    resp = jsonify(me_json(current_user))
    resp.headers["Cache-Control"] = "no-store"
    return resp

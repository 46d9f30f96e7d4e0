"""JSON API v1 around a visit being recorded: the would-be flags before saving, and the
household's signature afterwards."""
from dataclasses import asdict

from flask import Blueprint, jsonify, request
from flask_login import current_user

from ..extensions import db
from ..jsonapi import json_body, login_required
from ..schemas import signatures as sig_schemas
from ..schemas import visits as visit_schemas
from ..services import signatures, visit_preview
from ..web import rules
from ..web.stored_files import commit_upload, send_image

bp = Blueprint("api_visit_checks", __name__, url_prefix="/api/v1")

PREVIEW_FIELDS = ("household_id", "checked_in_at", "latitude", "longitude", "accuracy_m")


@bp.record_once
def _template_globals(state):
    # the visit form, the household page, the review card and the diary: 未签字 and the pad
    state.app.jinja_env.globals.update(signature_missing=signatures.missing, signature_required=signatures.required,
                                       visit_repeat_hours=visit_preview.REPEAT_HOURS)


@bp.post("/visits/preview")
@login_required
def preview_visit():
    """{household_id, checked_in_at, latitude, longitude, accuracy_m} → what saving would flag and why.
    Reads only; for the caller's paired households (404 otherwise)."""
    data = visit_schemas.load(visit_schemas.VisitIn(only=PREVIEW_FIELDS), json_body())
    result = visit_preview.preview(current_user, data["household_id"], data["checked_in_at"], data["latitude"],
                                   data["longitude"], data["accuracy_m"], rules.visits())
    db.session.rollback()  # nothing to keep
    resp = jsonify(asdict(result))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/visits/<uuid:client_uuid>/signature")
@login_required
def add_signature(client_uuid):
    """Multipart (client_uuid, status, note, file `image`) or JSON without an image (不在家).
    201 new, 200 replay, 409 another signature or changed content."""
    if request.mimetype == "application/json":
        raw, upload = json_body(), None
    else:
        raw = {k: v for k, v in request.form.items() if k != "csrf_token"}
        upload = request.files.get("image")
    fields = visit_schemas.load(sig_schemas.SignatureIn(), raw)
    photo_rules = rules.photos()
    data = upload.read(photo_rules.max_bytes + 1) if upload is not None else None
    result = signatures.add(current_user, str(client_uuid), str(fields["client_uuid"]), fields["status"],
                            fields["note"], data or None, photo_rules)
    sig = result.signature
    body = {"client_uuid": sig.client_uuid, "visit_client_uuid": str(client_uuid), "status": sig.status,
            "label": sig.label, "note": sig.note, "width": sig.width, "height": sig.height}
    return commit_upload(body, result.created, lambda: signatures.discard(sig))


def _send(visit_id: int, thumb: bool):
    sig = signatures.for_viewer(current_user, visit_id)
    return send_image(lambda: signatures.open_image(sig, thumb=thumb), sig.sha256, thumb, "签字图片文件不存在。")


@bp.get("/visits/<int:visit_id>/signature")
@login_required
def signature_image(visit_id: int):
    return _send(visit_id, thumb=False)


@bp.get("/visits/<int:visit_id>/signature/thumb")
@login_required
def signature_thumb(visit_id: int):
    return _send(visit_id, thumb=True)




"""JSON API v1 (same session cookie as the pages; X-CSRFToken on writes): the CSRF token, visits and photos."""
from flask import Blueprint, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..extensions import db
from ..jsonapi import json_body, login_required
from ..schemas import visits as visit_schemas
from ..services import access, amendments, lookups, permissions, photos, visits
from ..services.errors import ValidationFailed
from ..web import rules
from ..web.stored_files import commit_upload, send_image

bp = Blueprint("api_visits", __name__, url_prefix="/api/v1")


@bp.get("/csrf")
def csrf_token():
    """A fresh CSRF token for this session (the offline outbox asks before replaying)."""
    resp = jsonify(csrf_token=generate_csrf())
    resp.headers["Cache-Control"] = "no-store"
    return resp


# --- visits and photos -----------------------------------------------------------------------


@bp.get("/me/households")
@login_required
def my_households():
    """The helper's current households with id, name, location and last visit."""
    last = visits.last_visits(current_user.id) if permissions.records_visits(current_user) else {}
    return jsonify(households=[visit_schemas.household_json(hh, last.get(hh.id))
                               for hh in lookups.my_households(current_user)])


@bp.post("/visits")
@login_required
def create_visit():
    data = visit_schemas.load(visit_schemas.VisitIn(), json_body())
    result = visits.record(current_user, data, rules.visits())
    body = visit_schemas.visit_json(result.visit, result.household_location_set, viewer=current_user,
                                    rules=rules.visits())  # before commit expires it
    db.session.commit()
    return jsonify(body), 201 if result.created else 200


@bp.get("/visits/<uuid:client_uuid>")
@login_required
def get_visit(client_uuid):
    """One of the caller's visible visits by its client_uuid (the outbox can ask what arrived)."""
    return jsonify(visit_schemas.visit_json(lookups.visit_by_uuid(current_user, str(client_uuid)), viewer=current_user,
                                            rules=rules.visits()))


@bp.post("/visits/<uuid:client_uuid>/amendments")
@login_required
def amend_visit(client_uuid):
    """Correct a returned visit: new notes and/or a reply to the comment. 201, replay 200."""
    data = visit_schemas.load(visit_schemas.AmendmentIn(), json_body())
    result = amendments.amend(current_user, str(client_uuid), data)
    body = visit_schemas.visit_json(result.visit, viewer=current_user, rules=rules.visits())
    db.session.commit()
    return jsonify(body), 201 if result.created else 200


@bp.post("/visits/<uuid:client_uuid>/photos")
@login_required
def add_photo(client_uuid):
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    fields = visit_schemas.load(visit_schemas.PhotoIn(), form)
    upload = request.files.get("photo")
    if upload is None:
        raise ValidationFailed("请选择照片文件（表单字段 photo）。", field="photo")
    visit_rules = rules.visits()
    data = upload.read(visit_rules.photo.max_bytes + 1)
    result = photos.add(current_user, str(client_uuid), str(fields["client_uuid"]), data, fields["captured_at"],
                        visit_rules)
    return commit_upload(visit_schemas.photo_json(result.photo), result.created, lambda: photos.discard(result.photo))


def _send_photo(photo_id: int, thumb: bool):
    photo = access.photo(current_user, photo_id)
    return send_image(lambda: photos.open_image(photo, thumb=thumb), photo.sha256, thumb, "照片文件不存在。")


@bp.get("/photos/<int:photo_id>")
@login_required
def photo_image(photo_id: int):
    return _send_photo(photo_id, thumb=False)


@bp.get("/photos/<int:photo_id>/thumb")
@login_required
def photo_thumb(photo_id: int):
    return _send_photo(photo_id, thumb=True)

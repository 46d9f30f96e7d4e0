"""The helper's side of the first secretary's review: 批注 and visits sent back, marked fixed."""
from flask import Blueprint, render_template, url_for
from flask_login import current_user

from .. import htmx
from ..extensions import db
from ..security import role_required
from ..services import reviews
from ..services.errors import DomainError

bp = Blueprint("reviews", __name__, url_prefix="/reviews")


@bp.get("/")
@role_required("helper")
def index():
    return render_template("reviews/index.html", visits=reviews.feedback(current_user))


@bp.post("/<int:visit_id>/fixed")
@role_required("helper")
def fixed(visit_id: int):
    error = None
    try:
        visit = reviews.mark_fixed(current_user, visit_id)
    except DomainError as err:
        db.session.rollback()
        if err.status in (403, 404):
            raise
        error = err.message
        from ..services import access

        visit = access.review_visit(current_user, visit_id)
    else:
        db.session.commit()
    if not htmx.is_htmx():
        if error:
            return render_template("error.html", code=409, message=error), 409
        return htmx.redirect_to(url_for("reviews.index"))
    return render_template("reviews/_feedback_item.html", v=visit, error=error)


@bp.app_context_processor
def _review_helpers():
    def returned_visit_count() -> int:
        if not current_user.is_authenticated or current_user.role != "helper":
            return 0
        return reviews.returned_count(current_user)

    return {"review_labels": reviews.REVIEW_LABELS, "review_badge": reviews.REVIEW_BADGE,
            "returned_visit_count": returned_visit_count}

"""The helper's side of the first secretary's review: 批注 and visits sent back, marked fixed."""
from flask import Blueprint, render_template, url_for
from flask_login import current_user

from ..security import requires
from ..services import access, permissions, reviews
from ..web.writes import attempt, fragment_or_done

bp = Blueprint("reviews", __name__, url_prefix="/reviews")


@bp.get("/")
@requires(permissions.records_visits)
def index():
    return render_template("reviews/index.html", visits=reviews.feedback(current_user))


@bp.post("/<int:visit_id>/fixed")
@requires(permissions.records_visits)
def fixed(visit_id: int):
    visit, err = attempt(reviews.mark_fixed, current_user, visit_id, reraise=(403, 404))
    return fragment_or_done(err, url_for("reviews.index"), "reviews/_feedback_item.html", status=409,
                            visit=visit or access.review_visit(current_user, visit_id))


@bp.app_context_processor
def _review_helpers():
    def returned_visit_count() -> int:
        if not permissions.records_visits(current_user):
            return 0
        return reviews.returned_count(current_user)

    return {"review_labels": reviews.REVIEW_LABELS, "review_badge": reviews.REVIEW_BADGE,
            "returned_visit_count": returned_visit_count}

"""The household page: details, members, pairing history."""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from ..extensions import db
from ..services import access, audit, geo, pairing_changes, permissions
from .visits import household_context

bp = Blueprint("households", __name__, url_prefix="/households")


@bp.get("/<int:household_id>")
@login_required
def show(household_id: int):
    hh = access.household(current_user, household_id)
    # a fixed label: the household's name is not sent to the map companies (and no user text in a URL)
    links = geo.map_links(hh.latitude, hh.longitude, "帮扶户") if hh.has_location else []
    pending = pairing_changes.pending_for(hh.id) if permissions.administers_unit(current_user) else None
    return render_template("households/show.html", hh=hh, map_links=links, pending_change=pending, **household_context(hh))


@bp.post("/<int:household_id>/citizen-id")
@login_required
def reveal_id(household_id: int):
    """Show the full ID number to the roles allowed; every reveal is audited."""
    hh = access.household(current_user, household_id)
    if not permissions.can_see_full_id(current_user):
        abort(403)
    audit.record(current_user, "household.reveal_id", "household", hh.id)
    db.session.commit()
    return render_template("households/_citizen_id.html", hh=hh, revealed=True)

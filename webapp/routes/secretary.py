"""The village team's home: households, helpers, team."""
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import TEAM_ROLES, User
from ..security import role_required
from ..services import households

bp = Blueprint("secretary", __name__, url_prefix="/village")


@bp.get("/")
@role_required(*TEAM_ROLES)
def home():
    rows = households.listing(current_user)
    team = db.session.scalars(
        select(User).where(User.village_id == current_user.village_id, User.role.in_(TEAM_ROLES)).order_by(User.role, User.id)
    ).all()
    helpers: dict[int, tuple] = {}
    for r in rows:
        if r.helper is not None:
            n, visited = helpers.get(r.helper.id, (r.helper, 0, 0))[1:]
            helpers[r.helper.id] = (r.helper, n + 1, visited + (1 if r.visits_this_month else 0))
    return render_template("secretary/home.html", rows=rows, team=team, helpers=list(helpers.values()))

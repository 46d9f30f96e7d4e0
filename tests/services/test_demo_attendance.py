"""seed-demo's attendance: two months of check-ins and leave, one member behind the pace."""
import random

from webapp.extensions import db
from webapp.models import Checkin, Leave, User, Village
from webapp.services import access, attendance, demo_attendance
from webapp.services.calendar import local_date, local_today
from webapp.web import rules as app_rules


def test_demo_attendance(world, ctx):
    demo_attendance.seed(random.Random(7), app_rules.attendance())
    today = local_today()
    first = min(db.session.scalars(db.select(Checkin.checked_in_at)))
    assert (today - local_date(first)).days >= 28  # from the start of last month
    v1 = db.session.get(Village, world["v1"])
    summary = attendance.team_summary(app_rules.attendance(), v1, attendance.period_containing("quarter", today))
    pace = {m.user.username: m for m in summary.members}
    quarter_days = (min(today, summary.period.end) - summary.period.start).days
    if quarter_days >= 14:  # early in a quarter there is too little to judge
        assert pace["team1"].progress.behind  # the last member of the first village
        assert not pace["sec1"].progress.behind
    assert pace["sec1"].leave_days > 0
    sec1 = db.session.get(User, world["sec1"])
    pending = list(db.session.scalars(access.leaves_to_decide(sec1)))
    assert [lv.user.username for lv in pending] == ["team1"]
    assert pending[0].start_date > today
    admin = db.session.get(User, world["admin"])
    assert any(lv.user.username == "sec1" for lv in db.session.scalars(access.leaves_to_decide(admin)))
    assert db.session.query(Leave).filter_by(status="rejected").count() == 2
    assert all(c.within_geofence == (c.distance_m <= 2000) for c in db.session.scalars(db.select(Checkin)))
    # today is left for the demo user to check in themself
    assert all(local_date(c.checked_in_at) < today for c in db.session.scalars(db.select(Checkin)))

"""seed-demo: the office's own assessments show on their pages."""
import random

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import OnsiteAssessment, User, VillageYearEnd
from webapp.services import demo, team_checks
from webapp.web import rules as app_rules


def test_demo_office_assessments(ctx):
    demo.seed(app_rules.current(), random.Random(3))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(VillageYearEnd)) == 3
    rows = db.session.scalars(select(OnsiteAssessment)).all()
    assert len(rows) == 30 and [r.result for r in rows].count("不合格") == 1
    assert all(r.satisfaction for r in rows) and "不满意" in [r.satisfaction for r in rows]
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    checks = team_checks.for_office(app_rules.attendance(), app_rules.assessment(), admin)
    assert [len(c.flags) for c in checks] == [0, 1, 0]
    assert [p.username for c in checks for p, _ in c.recall] == ["team12"]

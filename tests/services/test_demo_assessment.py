"""seed-demo: policy problems, a spot check whose results move scores, a confirmed fake."""
import random

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Measure, SpotCheckItem, Visit
from webapp.services import demo_assessment, demo_visits
from webapp.web import rules as app_rules


def test_demo_assessment_shows_each_new_thing(ctx, world):
    demo_visits.seed(app_rules.visits(), random.Random(5))
    out = demo_assessment.seed(random.Random(5), app_rules.scoring(), app_rules.visits())
    db.session.commit()
    assert out["policy_problems"] == db.session.scalar(
        select(func.count()).select_from(Measure).where(Measure.source == "policy")) > 0
    assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.fake_confirmed_at.is_not(None))) == 1
    items = db.session.scalars(select(SpotCheckItem)).all()
    assert out["spot_checked"] == len(items) >= 1
    assert items[0].result == "不符合" and items[0].fake and items[0].satisfaction == "不满意"
    assert all(i.satisfaction for i in items)

"""seed-demo (issue 15): the office's own assessments show on their pages."""
import random

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import VillageYearEnd
from webapp.services import demo


def test_demo_office_assessments(ctx):
    demo.seed(random.Random(3))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(VillageYearEnd)) == 3

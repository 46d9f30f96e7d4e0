"""seed-demo, issue 15: what the office enters for its own assessments, so each page shows something.

- the year-end assessment of every village this year (the village ranking then shows 奖励 and
  取消评先评优资格 / 约谈);
"""
from __future__ import annotations

import random

from sqlalchemy import select

from ..extensions import db
from ..models import User, Village
from . import village_assessment
from .timeutil import local_today

YEAR_END_SCORES = (92, 78, 55)  # by village, in order: one rewarded, one losing awards, one talked to


def seed(rng: random.Random) -> dict[str, int]:
    admin = db.session.scalar(select(User).where(User.role == "office_admin").order_by(User.id))
    villages = db.session.scalars(select(Village).where(Village.unit_id == admin.unit_id).order_by(Village.id)).all()
    year = local_today().year
    for v, score in zip(villages, YEAR_END_SCORES):
        village_assessment.enter_year_end(admin, v, year, str(score), "年终考核（演示）")
    return {"year_ends": min(len(villages), len(YEAR_END_SCORES))}

"""seed-demo: what the office enters for its own assessments, so each page shows something.

- the year-end assessment of every village this year (the village ranking then shows 奖励 and
  取消评先评优资格 / 约谈);
- this quarter's on-site assessment of every helper (004 第六条(二)), mostly 合格 or 优秀, one
  不合格 with the household 不满意, each with the satisfaction found;
- work teams: team22 moved from 石桥村 to 柳树湾村 (石桥村 is left with 2 people: flagged), team12 away
  from the village the last 20 days (a 召回 candidate).
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Checkin, Leave, Role, User, Village
from . import onsite, village_assessment
from .calendar import local_today, quarter_of, tz

YEAR_END_SCORES = (92, 78, 55)  # by village, in order: one rewarded, one losing awards, one talked to


def seed(rng: random.Random) -> dict[str, int]:
    admin = db.session.scalar(select(User).where(User.role == Role.OFFICE_ADMIN).order_by(User.id))
    villages = db.session.scalars(select(Village).where(Village.unit_id == admin.unit_id).order_by(Village.id)).all()
    year = local_today().year
    for v, score in zip(villages, YEAR_END_SCORES):
        village_assessment.enter_year_end(admin, v, year, str(score), "年终考核（演示）")
    year_q, q = quarter_of(local_today())
    helpers = db.session.scalars(select(User).where(User.unit_id == admin.unit_id, User.role == Role.HELPER)
                                 .order_by(User.id)).all()
    for i, h in enumerate(helpers):
        if i == 1:
            onsite.record(admin, h, f"{year_q}-Q{q}", "不合格", "帮扶计划未落实，户主称很少见到帮扶人", "不满意",
                          "本季度只来过一次")
        else:
            result = "优秀" if rng.random() < 0.3 else "合格"
            onsite.record(admin, h, f"{year_q}-Q{q}", result, "实地查看、查阅资料、见面谈话",
                          rng.choice(("满意", "满意", "基本满意")), "")
    _teams(villages)
    return {"year_ends": min(len(villages), len(YEAR_END_SCORES)), "onsite": len(helpers)}


def _teams(villages: list[Village]) -> None:
    def person(username: str) -> User | None:
        return db.session.scalar(select(User).where(User.username == username))

    moved = person("team22")
    if moved is not None and len(villages) >= 3:
        moved.village_id = villages[2].id
    away = person("team12")
    if away is None:
        return
    since = local_today() - timedelta(days=20)
    start = datetime.combine(since, time.min, tz())
    for c in db.session.scalars(select(Checkin).where(Checkin.user_id == away.id, Checkin.checked_in_at >= start)):
        db.session.delete(c)
    for lv in db.session.scalars(select(Leave).where(Leave.user_id == away.id, Leave.end_date >= since)):
        db.session.delete(lv)
    db.session.flush()

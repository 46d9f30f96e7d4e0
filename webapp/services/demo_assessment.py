"""seed-demo: what the township's own checks found, so each new thing shows.

- policy problems opened from the demo visits' answers (未享受 subsidies, 两不愁三保障 answered 否),
  exactly as a real visit opens them;
- last month's spot check drawn with a fixed seed: one helper 不符合 (score and rating move), one
  基本符合, the others 符合, each with the household's satisfaction;
- one visit confirmed fake by its village's first secretary (004 第九条(四)2).
"""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Household, Role, SubsidyAnswer, User, Visit
from . import performance, policy_problems, sanctions
from .assessment import spot_effects
from .calendar import local_today, month_key
from .errors import ValidationFailed
from .rules import VisitRules


def seed(rng: random.Random, scoring: performance.ScoringRules, rules: VisitRules) -> dict[str, int]:
    visits = db.session.scalars(select(Visit).order_by(Visit.checked_in_at, Visit.id)).all()
    answers: dict[int, list[SubsidyAnswer]] = {}
    for a in db.session.scalars(select(SubsidyAnswer)):
        answers.setdefault(a.visit_id, []).append(a)
    problems = 0
    for v in visits:
        problems += len(policy_problems.open_from_visit(v, answers.get(v.id, []), v.checklist or {}, rules))

    admin = db.session.scalar(select(User).where(User.role == Role.OFFICE_ADMIN).order_by(User.id))
    last_month = month_key(local_today().replace(day=1) - timedelta(days=1))
    checked = 0
    if admin is not None:
        try:
            d = performance.draw(scoring, admin, last_month, seed=f"演示抽查 {last_month}")
        except ValidationFailed:  # no helper with households last month: nothing to draw
            d = None
        if d is not None:
            db.session.flush()
            items = list(d.items)
            for i, item in enumerate(items):
                if i == 0:
                    performance.record_result(admin, item, "不符合", "户主称上月未见帮扶人，走访记录与实际不符")
                    sanctions.mark_spot_check_fake(admin, item, True)
                    level, note = "不满意", "一个多月没见到人"
                elif i == 1:
                    performance.record_result(admin, item, "基本符合", "帮扶日志少记一次")
                    level, note = "基本满意", "希望多来看看孩子学习"
                else:
                    performance.record_result(admin, item, "符合", "")
                    level, note = rng.choice((("满意", ""), ("满意", "帮扶人很负责"), ("基本满意", "")))
                spot_effects.record_satisfaction(admin, item, level, note)
                checked += 1

    fake = 0
    target = next((v for v in reversed(visits) if not v.flags), None)
    if target is not None:
        village_id = db.session.scalar(select(Household.village_id).where(Household.id == target.household_id))
        sec = db.session.scalar(select(User).where(User.role == Role.FIRST_SECRETARY, User.village_id == village_id))
        if sec is not None:
            sanctions.confirm_fake_visit(sec, target, "户主称当天无人来访，照片为以前拍的")
            fake = 1
    db.session.flush()
    return {"policy_problems": problems, "spot_checked": checked, "fake_visits": fake}

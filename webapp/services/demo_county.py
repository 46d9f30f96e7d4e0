"""seed-demo: the county above the demo township, and pairing changes waiting for it.

- the county 长阳县 (a Unit of kind county) over the township, with its office account `county`;
- one pairing change the township proposed and the county has still to approve (待县审批), and one
  the county refused with its reason (001: changes only with the county's approval).
"""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import COUNTY_KIND, Household, Pairing, PairingChange, PairingChangeStatus, Role, Unit, User
from .calendar import now_utc

COUNTY_USER = ("county", "县扶贫攻坚指挥部 田科长")


def seed(rng: random.Random, make_user) -> dict[str, int]:
    township = db.session.scalars(select(Unit).where(Unit.kind != COUNTY_KIND).order_by(Unit.id)).first()
    county = Unit(name="长阳县", kind=COUNTY_KIND)
    db.session.add(county)
    db.session.flush()
    township.parent_id = county.id
    boss = make_user(COUNTY_USER[0], COUNTY_USER[1], Role.COUNTY_ADMIN, county)
    admin = db.session.scalar(select(User).where(User.unit_id == township.id, User.role == Role.OFFICE_ADMIN))
    paired = db.session.execute(select(Pairing, Household).join(Household, Household.id == Pairing.household_id)
                                .where(Pairing.end_date.is_(None)).order_by(Pairing.id).limit(2)).all()
    helpers = db.session.scalars(select(User).where(User.unit_id == township.id, User.role == Role.HELPER)
                                 .order_by(User.id.desc()).limit(2)).all()
    now = now_utc()
    made = 0
    for (pairing, hh), helper, (status, reason, note) in zip(paired, helpers, (
            (PairingChangeStatus.PENDING, "原帮扶教师调往县城中学，改由本村小学教师帮扶", None),
            (PairingChangeStatus.REJECTED, "教师申请减少帮扶户", "该教师帮扶户未满 5 户，无需调整"))):
        db.session.add(PairingChange(unit_id=township.id, household_id=hh.id, from_helper_id=pairing.helper_id,
                                     to_helper_id=helper.id, reason=reason, status=status, proposed_by_id=admin.id,
                                     proposed_at=now - timedelta(days=3), decision_note=note,
                                     decided_by_id=boss.id if note else None, decided_at=now if note else None))
        made += 1
    db.session.flush()
    return {"pairing_changes": made}

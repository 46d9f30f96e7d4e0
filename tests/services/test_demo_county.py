"""seed-demo: the county over the township, one pairing change waiting, one refused."""
import random

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import PairingChange, Unit, User
from webapp.services import demo
from webapp.web import rules as app_rules


def test_demo_has_a_county_and_its_pairing_changes(ctx):
    demo.seed(app_rules.current(), random.Random(3))
    db.session.commit()
    county = db.session.scalar(select(Unit).where(Unit.kind == "county"))
    township = db.session.scalar(select(Unit).where(Unit.kind == "township"))
    assert township.parent_id == county.id
    assert db.session.scalar(select(User).where(User.username == "county")).role == "county_admin"
    changes = db.session.scalars(select(PairingChange).order_by(PairingChange.id)).all()
    assert [c.status for c in changes] == ["pending", "rejected"] and changes[1].decision_note

"""seed-demo's visits: photos really stored, flags as the service computes them, measures ticked."""
import random
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Measure, Photo, Visit
from webapp.services import demo_visits, storage, visits
from webapp.web import rules as app_rules


def test_demo_visits_are_consistent_with_the_real_rules(ctx, world):
    result = demo_visits.seed(app_rules.visits(), random.Random(5))
    assert result["visits"] > 0 and result["photos"] >= result["visits"]
    all_visits = db.session.scalars(select(Visit)).all()
    assert len(all_visits) == result["visits"]
    for v in all_visits:
        assert v.flags == visits.compute_flags(v, app_rules.visits())
        assert v.photos and len(v.content_hash) == 64
    store = storage.get()
    for p in db.session.scalars(select(Photo)):
        assert store.exists(p.storage_key) and store.exists(p.thumb_key)
        assert max(p.width, p.height) <= current_app.config["PHOTO_LONG_EDGE"]
    assert not [p for p in Path(current_app.config["UPLOAD_DIR"]).rglob(".tmp-*")]
    done = db.session.scalars(select(Measure).where(Measure.status == "done")).all()
    assert all(m.done_visit_id is not None for m in done)


def test_honest_demo_months_get_no_flag(ctx, world):
    """With too few helpers for the deliberate examples, every demo visit is honest —
    different scenes, check-ins at the households, photos taken on the spot — and none is flagged."""
    demo_visits.seed(app_rules.visits(), random.Random(11))
    flagged = [(v.id, v.flags) for v in db.session.scalars(select(Visit)) if v.flags]
    assert flagged == []

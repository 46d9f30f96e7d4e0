"""The first secretary reviews helpers' visits; the helper sees it and marks it fixed."""
import uuid
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import AuditLog, Household, User, Visit
from webapp.services import reviews
from webapp.services.calendar import now_utc
from webapp.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from webapp.web import rules as app_rules


def visit(helper: User, hh: Household, flags=(), days_ago: float = 0) -> Visit:
    v = Visit(client_uuid=str(uuid.uuid4()), household_id=hh.id, helper_id=helper.id,
              checked_in_at=now_utc() - timedelta(days=days_ago), latitude=30.301, longitude=109.501,
              accuracy_m=10, distance_m=5, within_geofence="outside_geofence" not in flags, notes="了解生产生活情况",
              flags=list(flags), content_hash="0" * 64)
    db.session.add(v)
    db.session.flush()
    return v


def test_first_secretary_reviews_with_a_comment(w):
    v = visit(w["h1"], w["hh1"])
    reviews.review(w["sec1"], v.id, "reviewed", "记录详实")
    assert (v.review_status, v.review_comment, v.reviewed_by_id) == ("reviewed", "记录详实", w["sec1"].id)
    assert v.reviewed_at is not None
    assert db.session.query(AuditLog).filter_by(action="visit.reviewed", entity_id=v.id).count() == 1


def test_send_back_needs_a_comment_and_the_helper_marks_it_fixed(w):
    v = visit(w["h1"], w["hh1"], flags=["outside_geofence"])
    with pytest.raises(ValidationFailed):
        reviews.review(w["sec1"], v.id, "returned", " ")
    with pytest.raises(ValidationFailed):
        reviews.review(w["sec1"], v.id, "approve", "x")
    reviews.review(w["sec1"], v.id, "returned", "定位不在户内，请补充说明")
    assert v.review_status == "returned"
    # the helper sees it, returned first
    other = visit(w["h1"], w["hh2"])
    reviews.review(w["sec1"], other.id, "reviewed", "")
    assert [x.id for x in reviews.feedback(w["h1"])] == [v.id, other.id]
    assert reviews.returned_count(w["h1"]) == 1
    assert reviews.feedback(w["h2"]) == []
    with pytest.raises(NotFound):  # another helper cannot touch it
        reviews.mark_fixed(w["h2"], v.id)
    with pytest.raises(Forbidden):  # the first secretary can see it but it is not theirs to fix
        reviews.mark_fixed(w["sec1"], v.id)
    reviews.mark_fixed(w["h1"], v.id)
    assert v.review_status == "fixed"
    with pytest.raises(Conflict):
        reviews.mark_fixed(w["h1"], v.id)
    reviews.review(w["sec1"], v.id, "reviewed", "已补充")
    assert v.review_status == "reviewed"


def test_only_the_villages_first_secretary_reviews(w):
    v = visit(w["h1"], w["hh1"])
    with pytest.raises(NotFound):
        reviews.review(w["sec2"], v.id, "reviewed", "")
    for who in ("team1", "admin", "h1"):
        with pytest.raises(Forbidden):
            reviews.review(w[who], v.id, "reviewed", "")
    assert v.review_status == "pending"


def test_helpers_work_this_month(w):
    sec1 = w["sec1"]
    fresh = visit(w["h1"], w["hh1"])
    flagged = visit(w["h2"], w["hh3"], flags=["duplicate_photo"])
    visit(w["h3"], w["hh4"])  # another village
    old = visit(w["h1"], w["hh2"], days_ago=40)
    old.review_status = "fixed"
    work = reviews.helpers_work(sec1, w["v1"], app_rules.visits().recent_shown)
    assert {x.id for x in work.recent} == {fresh.id}  # a flagged visit is listed once, under 异常
    assert [x.id for x in work.flagged] == [flagged.id]
    assert [x.id for x in work.to_recheck] == [old.id]
    assert work.visits_this_month == 2 and work.pending == 2
    gaps = {(g.helper.username if g.helper else None): [h.head_name for h in g.households] for g in work.unvisited}
    # h1 visited 张一 but not 张二 this month; h2 visited 张三; 王六 has no helper
    assert gaps == {"h1": ["张二"], None: ["王六"]}

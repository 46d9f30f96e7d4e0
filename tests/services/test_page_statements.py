"""Pages at province size: the helpers' work page runs as many statements for many visits
as for few, and the ranking's scope looked up once gives the same months as the scope derived in
each statement."""
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import event

from tests.support.perf_factories import MARCH, local, march, measure, visit
from webapp.extensions import db
from webapp.services import performance, reviews
from webapp.services.calendar import now_utc
from webapp.services.performance import results
from webapp.web import rules as app_rules

AFTER = local(2026, 5, 1)


@contextmanager
def counted():
    statements: list[str] = []
    listener = lambda *a, **k: statements.append(a[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def _cards(work) -> None:
    """What village/_review_visit.html reads of each shown visit."""
    for v in work.flagged + work.recent + work.to_recheck:
        _ = (v.household.head_name, v.helper.display_name, list(v.photos), list(v.amendments), v.signature)


def test_helpers_work_statements_do_not_grow_with_the_visits(w):
    sec1, shown = w["sec1"], app_rules.visits().recent_shown

    def page():
        db.session.expire_all()
        with counted() as statements:
            work = reviews.helpers_work(sec1, w["v1"], shown)
            _cards(work)
        return work, len(statements)

    visit(w["h1"], w["hh1"], now_utc() - timedelta(minutes=1))
    visit(w["h2"], w["hh3"], now_utc() - timedelta(minutes=2), flags=["outside_geofence"])
    db.session.commit()
    few, n_few = page()
    assert (len(few.recent), len(few.flagged), few.visits_this_month) == (1, 1, 2)

    n, flagged = 2 * shown, len(range(0, 2 * shown, 4))  # more than the page shows; some flagged
    for i in range(n):
        visit(w["h1"], w["hh2"], now_utc() - timedelta(minutes=3 + i), flags=["late_entry"] if i % 4 == 0 else [])
    db.session.commit()
    many, n_many = page()
    assert n_many == n_few
    assert len(many.recent) == shown and len(many.flagged) == 1 + flagged
    assert many.visits_this_month == many.pending == n + 2
    times = [v.checked_in_at for v in many.recent]
    assert times == sorted(times, reverse=True)  # newest first, as before


def test_the_scope_looked_up_once_gives_the_same_months(w, monkeypatch):
    march(w)
    measure(w["hh2"], None)
    visit(w["h2"], w["hh3"], local(2026, 3, 9), flags=["outside_geofence"])
    fake = visit(w["h1"], w["hh1"], local(2026, 3, 12))
    fake.fake_confirmed_at, fake.fake_note = local(2026, 3, 20), "照片不是本户"  # the partial index's rows
    policy = measure(w["hh2"], date(2026, 3, 15), title="低保未落实")
    policy.source, policy.source_ref = "policy", "checklist:dibao"
    db.session.commit()

    def months(user):
        return [(r.helper_id, r.score, r.rating, r.rank, r.veto, [f.to_dict() for f in r.flags],
                 [x.to_dict() for x in r.rules])
                for r in performance.month_results(app_rules.scoring(), user, MARCH, now=AFTER)]

    looked_up = {name: months(w[name]) for name in ("admin", "sec1", "sec2")}
    monkeypatch.setattr(results, "RESOLVE_MAX", 0)  # every scope stays a subquery
    derived = {name: months(w[name]) for name in ("admin", "sec1", "sec2")}
    assert looked_up == derived
    assert looked_up["admin"] and looked_up["sec1"]
    flags = {f["code"] for _, _, _, _, _, fs, _ in looked_up["admin"] for f in fs}
    assert {"fake", "policy_short"} <= flags

    # the month closed: the snapshot for the scope, nothing live
    monkeypatch.setattr(results, "RESOLVE_MAX", 5000)
    performance.close_month(app_rules.scoring(), w["admin"], MARCH, now=AFTER)
    db.session.commit()
    closed = {name: months(w[name]) for name in ("admin", "sec1", "sec2")}
    monkeypatch.setattr(results, "RESOLVE_MAX", 0)
    assert closed == {name: months(w[name]) for name in ("admin", "sec1", "sec2")}
    assert [r[:4] for r in closed["admin"]] == [r[:4] for r in looked_up["admin"]]

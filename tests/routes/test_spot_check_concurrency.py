"""Two draws of one month sent at the same moment (a double tap, two tabs): one draw stands, the
other is told the month has one (409), never two current draws (a real threaded server)."""
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import select

from tests.support import live, perf_factories
from webapp.extensions import db
from webapp.models import SpotCheckDraw

MARCH = "2026-03"


def _session(base: str) -> tuple[requests.Session, str]:
    return live.login(base, "admin")


def test_draws_sent_at_once_leave_one_current_draw(app, world, live_server):
    with app.app_context():
        perf_factories.march(world)
        db.session.commit()
    sessions = [_session(live_server) for _ in range(6)]

    def send(i, replace=False):
        s, token = sessions[i]
        data = {"month": MARCH, "seed": f"第{i}次", "csrf_token": token} | ({"replace": "1"} if replace else {})
        return s.post(f"{live_server}/performance/spot-checks/draw", data=data, allow_redirects=False, timeout=30)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(send, range(6)))
    assert sorted(a.status_code for a in answers) == [302] + [409] * 5
    with ThreadPoolExecutor(6) as pool:  # confirmed re-draws at once: each replaces the one before
        answers = list(pool.map(lambda i: send(i, True), range(6)))
    assert [a.status_code for a in answers] == [302] * 6
    with app.app_context():
        current = db.session.scalars(select(SpotCheckDraw).where(SpotCheckDraw.month == MARCH,
                                                                 SpotCheckDraw.superseded.is_(False))).all()
        assert len(current) == 1
        assert len(db.session.scalars(select(SpotCheckDraw.id)).all()) == 7


def test_a_confirmed_redraw_from_another_role_or_township_replaces_nothing(app, world, make_client):
    with app.app_context():
        perf_factories.march(world)
        db.session.commit()
    admin = make_client()
    admin.login("admin")
    assert admin.post("/performance/spot-checks/draw", data={"month": MARCH, "seed": "本乡"}).status_code == 302
    for who, status in (("sec1", 403), ("h1", 403), ("admin_x", 422)):  # admin_x: its own unit, nobody to draw
        c = make_client()
        c.login(who)
        assert c.post("/performance/spot-checks/draw",
                      data={"month": MARCH, "seed": who, "replace": "1"}).status_code == status, who
    with app.app_context():
        rows = db.session.execute(select(SpotCheckDraw.seed, SpotCheckDraw.superseded)).all()
        assert [tuple(r) for r in rows] == [("本乡", False)]

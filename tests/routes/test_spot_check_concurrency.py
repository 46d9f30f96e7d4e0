"""Two draws of one month sent at the same moment (a double tap, two tabs): one draw stands, the
other is told the month has one (409), never two current draws (a real threaded server)."""
import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from tests.support import live, perf_factories
from tests.support.timing import slowed
from webapp.extensions import db
from webapp.models import MonthClosure, SpotCheckDraw
from webapp.services.performance import closing

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


def _close_under_way(app, world, live_server, monkeypatch, then):
    """March closed by one admin, the close's snapshot slowed (under way, not committed), while
    `then(session, token)` is sent by a second admin: (the close's answer, the second's answer)."""
    with app.app_context():
        perf_factories.march(world)
        db.session.commit()
    closer, close_token = _session(live_server)
    other, other_token = _session(live_server)
    answers = {}

    def close():
        answers["close"] = closer.post(f"{live_server}/performance/unit/close",
                                       data={"month": MARCH, "csrf_token": close_token}, allow_redirects=False, timeout=60)

    first = then(other, other_token, prepare=True)
    snapshotting = slowed(monkeypatch, closing, "_snapshot")
    thread = threading.Thread(target=close)
    thread.start()
    assert snapshotting.wait(30)
    second = then(other, other_token)
    thread.join(60)
    assert first is None or first.status_code == 302
    return answers["close"], second


def test_a_redraw_sent_while_the_month_is_being_closed_waits_and_is_refused(app, world, live_server, monkeypatch):
    """The office closes March while a colleague confirms a re-draw: the close's snapshot counts the
    draw current when it was taken, so the re-draw must wait for the close and then be refused (the
    month is closed), not slip in before the close commits and leave a current draw the closed
    month's scores never saw (PostgreSQL: the close did not take the unit's lock the draw takes)."""
    def draw(s, token, prepare=False):
        data = {"month": MARCH, "seed": "第一次", "csrf_token": token} if prepare else \
            {"month": MARCH, "seed": "第二次", "replace": "1", "csrf_token": token}
        return s.post(f"{live_server}/performance/spot-checks/draw", data=data, allow_redirects=False, timeout=60)

    closed, redraw = _close_under_way(app, world, live_server, monkeypatch, draw)
    assert closed.status_code == 302
    assert redraw.status_code == 409 and "已经关账" in redraw.text
    with app.app_context():
        assert db.session.scalar(select(MonthClosure.closed).where(MonthClosure.month == MARCH)) is True
        rows = db.session.execute(select(SpotCheckDraw.seed, SpotCheckDraw.superseded)).all()
        assert [tuple(r) for r in rows] == [("第一次", False)]


def test_a_close_sent_twice_at_once_closes_once(app, world, live_server, monkeypatch):
    """A double tap on 关账 (or two admins): the second waits and is told the month is closed, not a
    500 from the closure's unique (unit, month) when both inserted it (PostgreSQL)."""
    def close(s, token, prepare=False):
        return None if prepare else s.post(f"{live_server}/performance/unit/close",
                                           data={"month": MARCH, "csrf_token": token}, allow_redirects=False, timeout=60)

    closed, again = _close_under_way(app, world, live_server, monkeypatch, close)
    assert closed.status_code == 302
    assert again.status_code == 422 and "已经关账" in again.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MonthClosure)) == 1


def test_a_result_sent_while_the_draw_is_replaced_waits_and_is_refused(app, world, live_server, monkeypatch):
    """One admin records a helper's check (不符合, 弄虚作假) while a colleague confirms a re-draw: the
    result must not be stored on the draw being superseded and answered as saved (PostgreSQL: the
    check read the draw as current before the re-draw committed); it waits, then is told to record
    it in the new draw (409), nothing stored."""
    from webapp.models import SpotCheckItem
    from webapp.services.performance import spot_checks

    with app.app_context():
        perf_factories.march(world)
        db.session.commit()
    drawer, draw_token = _session(live_server)
    checker, check_token = _session(live_server)
    first = drawer.post(f"{live_server}/performance/spot-checks/draw",
                        data={"month": MARCH, "seed": "第一次", "csrf_token": draw_token}, allow_redirects=False, timeout=30)
    assert first.status_code == 302
    with app.app_context():
        item_id = db.session.scalars(select(SpotCheckItem.id)).first()
    drawing = slowed(monkeypatch, spot_checks, "sample")  # the re-draw has superseded the first draw, not committed yet
    answers = {}

    def redraw():
        answers["redraw"] = drawer.post(f"{live_server}/performance/spot-checks/draw",
                                        data={"month": MARCH, "seed": "第二次", "replace": "1", "csrf_token": draw_token},
                                        allow_redirects=False, timeout=60)

    thread = threading.Thread(target=redraw)
    thread.start()
    assert drawing.wait(30)
    result = checker.post(f"{live_server}/performance/spot-checks/items/{item_id}",
                          data={"result": "不符合", "note": "户主称没见过帮扶人", "satisfaction": "不满意",
                                "satisfaction_note": "没人来过", "fake": "1", "csrf_token": check_token},
                          allow_redirects=False, timeout=60)
    thread.join(60)
    assert answers["redraw"].status_code == 302
    assert result.status_code == 409 and "重新抽取替代" in result.text
    with app.app_context():
        item = db.session.get(SpotCheckItem, item_id)
        assert item.draw.superseded and item.result is None and not item.fake

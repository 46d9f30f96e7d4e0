"""Proposals to the county sent at once: the helper's household limit counts the changes waiting,
also when two of them arrive at the same moment (a real threaded server); another township's
helper or household is not there to propose (404, nothing stored). A township without a county
pairs at once, and keeps the limit the same way."""
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from tests.support import factories, live
from webapp.extensions import db
from webapp.models import Pairing, PairingChange


def _pending(app) -> list[tuple[int, int]]:
    with app.app_context():
        rows = db.session.execute(select(PairingChange.household_id, PairingChange.to_helper_id)).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def _session(base: str) -> tuple[requests.Session, str]:
    return live.login(base, "admin")


def test_two_proposals_to_one_helper_at_once_keep_the_limit(app, live_server):
    ids = factories.county_ids(app)
    app.config["HOUSEHOLD_LIMIT"] = 2  # h2 holds hh3: room for one more, waiting changes included
    sessions = [_session(live_server) for _ in range(2)]

    def send(i):
        s, token = sessions[i]
        household = (ids["hh1"], ids["hh4"])[i]
        return s.post(f"{live_server}/admin/households/{household}/pairing", allow_redirects=False, timeout=30,
                      data={"helper_id": ids["h2"], "reason": "教师调动", "csrf_token": token})

    for _ in range(3):  # the overlap is a matter of timing: try a few times
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(send, range(2)))
        assert sorted(a.status_code for a in answers) == [302, 422]
        assert len(_pending(app)) == 1
        with app.app_context():
            db.session.execute(PairingChange.__table__.delete())
            db.session.commit()
            db.session.remove()


def test_another_townships_helper_or_household_is_not_proposed(app, make_client):
    ids = factories.county_ids(app)
    admin = make_client()
    admin.login("admin")
    assert admin.post(f"/admin/households/{ids['hh1']}/pairing",
                      data={"helper_id": ids["h_x"], "reason": "调动"}).status_code == 404
    assert admin.post(f"/admin/households/{ids['hhx1']}/pairing",
                      data={"helper_id": ids["h2"], "reason": "调动"}).status_code == 404
    assert admin.post(f"/admin/households/{ids['hh1']}/pairing",
                      data={"helper_id": "２", "reason": "调动"}).status_code == 422
    other = make_client()
    other.login("admin_x")
    assert other.post(f"/admin/households/{ids['hhx1']}/pairing",
                      data={"helper_id": ids["h1"], "reason": "调动"}).status_code == 404
    assert _pending(app) == []
    # the same form sent twice (a replay): one change waits, the second is told so
    url = f"/admin/households/{ids['hh1']}/pairing"
    assert admin.post(url, data={"helper_id": ids["h2"], "reason": "调动"}).status_code == 302
    again = admin.post(url, data={"helper_id": ids["h2"], "reason": "调动"})
    assert again.status_code == 422 and "待县里审批" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PairingChange)) == 1


def test_a_first_pairing_counts_the_changes_waiting_for_the_county(app, make_client):
    ids = factories.county_ids(app)
    app.config["HOUSEHOLD_LIMIT"] = 3  # h2 holds hh3; h3 holds hh4 and hh5
    admin = make_client()
    admin.login("admin")
    for hh in ("hh1", "hh4"):  # both wait for the county: h2 at 3 with them
        assert admin.post(f"/admin/households/{ids[hh]}/pairing",
                          data={"helper_id": ids["h2"], "reason": "教师调动"}).status_code == 302
    first = admin.post(f"/admin/households/{ids['hh6']}/pairing", data={"helper_id": ids["h2"], "reason": "新识别户"})
    assert first.status_code == 422 and "含待审批" in first.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Pairing).where(Pairing.household_id == ids["hh6"])) == 0
        db.session.remove()
    assert admin.post(f"/admin/households/{ids['hh6']}/pairing",
                      data={"helper_id": ids["h3"], "reason": "新识别户"}).status_code == 302


def _current(app, helper_id: int) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Pairing)
                              .where(Pairing.helper_id == helper_id, Pairing.end_date.is_(None)))
        db.session.remove()
    return n


def test_two_pairings_to_one_helper_at_once_keep_the_limit_without_a_county(app, live_server):
    with app.app_context():
        ids = factories.world().ids()  # no county: a pairing is made at once
        db.session.commit()
        db.session.remove()
    app.config["HOUSEHOLD_LIMIT"] = 2  # h2 holds hh3: room for one more
    sessions = [_session(live_server) for _ in range(2)]

    def send(i):
        s, token = sessions[i]
        household = (ids["hh1"], ids["hh6"])[i]  # a re-pairing and a first pairing
        return s.post(f"{live_server}/admin/households/{household}/pairing", allow_redirects=False, timeout=30,
                      data={"helper_id": ids["h2"], "reason": "教师调动", "csrf_token": token})

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(send, range(2)))
    assert sorted(a.status_code for a in answers) == [302, 422]
    assert _current(app, ids["h2"]) == 2

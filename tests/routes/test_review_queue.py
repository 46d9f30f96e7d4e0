"""The first secretary's review queue (/village/helpers/queue): filters with counts, one visit at a
time, 下一条, and a decision that answers with the next visit and fresh counts."""
from datetime import timedelta

import pytest

from tests.support import factories
from webapp.extensions import db
from webapp.models import Visit
from webapp.services.calendar import now_utc

HX = {"HX-Request": "true"}


@pytest.fixture
def queued(app, world):
    """In 东村: three pending visits (newest first: c, b, a), b flagged; one in 西村."""
    with app.app_context():
        now = now_utc()
        ids = {}
        for name, hh, helper, age, flags in (("a", "hh1", "h1", 30, []), ("b", "hh3", "h2", 20, ["outside_geofence"]),
                                             ("c", "hh2", "h1", 10, []), ("west", "hh4", "h3", 5, [])):
            ids[name] = factories.visit_row(world[helper], world[hh], now - timedelta(minutes=age),
                                            notes=f"走访记录 {name}", flags=flags).id
        db.session.commit()
        return ids


def card(html: str) -> str:
    return html.split('data-visit="')[1].split('"')[0]


def test_queue_walks_the_pending_visits_one_at_a_time(client, world, queued):
    client.login("sec1")
    page = client.get("/village/helpers/queue")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<title>审阅走访" in html
    assert card(html) == str(queued["c"]) and "第 1 / 3 条" in html
    assert 'data-count="pending">3<' in html and 'data-count="unverified">1<' in html
    assert "走访记录 west" not in html  # another village
    nxt = client.get(f"/village/helpers/queue?filter=pending&after={queued['c']}", headers=HX).get_data(as_text=True)
    assert '<section id="queue"' in nxt and "<html" not in nxt
    assert card(nxt) == str(queued["b"]) and "第 2 / 3 条" in nxt
    last = client.get(f"/village/helpers/queue?after={queued['a']}").get_data(as_text=True)
    assert "这一组已看完" in last
    flagged = client.get("/village/helpers/queue?filter=unverified").get_data(as_text=True)
    assert card(flagged) == str(queued["b"]) and "第 1 / 1 条" in flagged
    by_helper = client.get(f"/village/helpers/queue?filter=pending&helper_id={world['h1']}").get_data(as_text=True)
    assert 'data-count="pending">2<' in by_helper
    assert client.get("/village/helpers/queue?filter=nonsense").status_code == 422


def test_a_decision_in_the_queue_answers_with_the_next_visit_and_fresh_counts(app, client, world, queued):
    client.login("sec1")
    url = f"/village/visits/{queued['c']}/review"
    html = client.post(url, data={"action": "reviewed", "filter": "pending"}, headers=HX).get_data(as_text=True)
    assert card(html) == str(queued["b"]) and 'data-count="pending">2<' in html and "第 1 / 2 条" in html
    # an error keeps the same visit, with the message beside the form and the comment kept
    html = client.post(f"/village/visits/{queued['b']}/review", data={"action": "returned", "filter": "pending"},
                       headers=HX).get_data(as_text=True)
    assert card(html) == str(queued["b"]) and "退回整改时请写明" in html and 'data-count="pending">2<' in html
    html = client.post(f"/village/visits/{queued['b']}/verify", data={"note": "已电话核实", "filter": "unverified"},
                       headers=HX).get_data(as_text=True)
    assert 'data-count="unverified">0<' in html and "没有要处理的走访" in html
    # without htmx: on to the next one
    resp = client.post(f"/village/visits/{queued['b']}/review", data={"action": "reviewed", "filter": "pending"})
    assert resp.status_code == 302 and f"after={queued['b']}" in resp.headers["Location"]
    with app.app_context():
        assert db.session.get(Visit, queued["c"]).review_status == "reviewed"
        assert db.session.get(Visit, queued["b"]).verified_at is not None


def test_the_village_page_links_into_the_queue_and_shows_a_flagged_visit_once(client, world, queued):
    client.login("sec1")
    html = client.get("/village/helpers").get_data(as_text=True)
    assert "/village/helpers/queue?filter=unverified" in html and 'data-count="pending">3<' in html
    assert html.count(f'data-visit="{queued["b"]}"') == 1


def test_the_office_reads_a_village_queue_and_others_cannot(make_client, world, queued):
    admin = make_client()
    admin.login("admin")
    html = admin.get(f"/village/helpers/queue?village_id={world['v1']}").get_data(as_text=True)
    assert card(html) == str(queued["c"]) and f"village_id={world['v1']}" in html
    sec2 = make_client()
    sec2.login("sec2")
    assert sec2.get(f"/village/helpers/queue?village_id={world['v1']}").status_code == 404
    helper = make_client()
    helper.login("h1")
    assert helper.get("/village/helpers/queue").status_code == 403

"""Who sees which household."""
import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditLog


@pytest.mark.parametrize("user, own, other", [
    ("h1", "hh1", "hh3"),      # another helper's household in the same village
    ("h1", "hh2", "hh4"),      # another village
    ("h3", "hh5", "hh1"),
    ("sec1", "hh3", "hh4"),    # first secretary: own village only
    ("team2", "hh4", "hh6"),
    ("admin", "hh6", None),
])
def test_household_scope(world, client, user, own, other):
    client.login(user)
    resp = client.get(f"/households/{world[own]}")
    assert resp.status_code == 200
    if other:
        assert client.get(f"/households/{world[other]}").status_code == 404


def test_other_units_admin_sees_nothing(world, client):
    client.login("admin_x")
    assert client.get(f"/households/{world['hh1']}").status_code == 404


def test_helper_home_lists_only_current_pairings(world, client):
    client.login("h1")
    page = client.get("/").get_data(as_text=True)
    assert "张一" in page and "张二" in page and "张三" not in page and "本月未走访" in page


def test_citizen_id_is_masked_and_reveals_are_audited(world, client, app):
    with app.app_context():
        from webapp.models import Household

        cid = db.session.get(Household, world["hh1"]).citizen_id
    client.login("h1")
    page = client.get(f"/households/{world['hh1']}").get_data(as_text=True)
    assert cid not in page and cid[:4] + "**********" + cid[-4:] in page
    assert client.post(f"/households/{world['hh1']}/citizen-id").status_code == 403
    client.post("/logout")
    client.login("sec1")
    resp = client.post(f"/households/{world['hh1']}/citizen-id", headers={"HX-Request": "true"})
    assert resp.status_code == 200 and cid in resp.get_data(as_text=True)
    with app.app_context():
        log = db.session.scalars(select(AuditLog).where(AuditLog.action == "household.reveal_id")).all()
        assert [(e.entity_id, e.user.username) for e in log] == [(world["hh1"], "sec1")]


def test_pairing_history_is_shown(world, client):
    client.login("admin")
    page = client.get(f"/households/{world['hh1']}").get_data(as_text=True)
    assert "结对记录" in page and "帮扶一" in page and "测试结对" in page


def test_team_pages_are_closed_to_helpers_and_admin_pages_to_others(world, client):
    client.login("h1")
    assert client.get("/village/").status_code == 403
    assert client.get("/admin/").status_code == 403
    client.post("/logout")
    client.login("sec1")
    page = client.get("/village/").get_data(as_text=True)
    assert "张一" in page and "李四" not in page and "队员一" in page
    assert client.get("/admin/users").status_code == 403


def test_navigation_links_only_for_a_located_household(make_client, world):
    """geo: / 高德 / 百度 links with each app's datum; none before the household is located."""
    c = make_client()
    c.login("h3")
    located = c.get(f"/households/{world['hh4']}").get_data(as_text=True)
    assert 'data-map="geo"' in located and 'data-map="amap"' in located and 'data-map="baidu"' in located
    assert 'data-map=' not in c.get(f"/households/{world['hh5']}").get_data(as_text=True)

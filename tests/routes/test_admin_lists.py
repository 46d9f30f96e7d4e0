"""The office's long lists (/admin/pairings, /admin/users): search, pages, and light pages at a
large roster (no list page over 60 KB of HTML)."""
import pytest

from tests.support import factories
from webapp.extensions import db
from webapp.models import Household, Unit, Village

PAGE_MAX = 60 * 1024


@pytest.fixture
def roster(app, world):
    """400 more households in 东村 and 150 more helpers (each paired with some), 10 villages."""
    with app.app_context():
        unit = db.session.get(Unit, world["unit"])
        v1 = db.session.get(Village, world["v1"])
        for i in range(10):
            factories.village(unit, f"新村{i:02d}")
        ids = {}
        helpers = [factories.user(unit, f"teacher{i:03d}", name=f"老师{i:03d}") for i in range(150)]
        for i in range(400):
            born = f"1980{i // 28 + 1:02d}{i % 28 + 1:02d}"
            hh = factories.household(v1, f"户主{i:03d}", citizen_id=factories.citizen_id(born))
            ids[i] = hh.citizen_id
            if i < 300:
                factories.pair(helpers[i // 2], hh)
        db.session.commit()
        return ids


def test_pairings_pages_and_search(app, client, world, roster):
    client.login("admin")
    resp = client.get("/admin/pairings")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and len(resp.data) <= PAGE_MAX
    assert "1–40 / 共 406" in html and 'rel="next"' in html and html.count('class="card pairing"') == 40
    last = client.get("/admin/pairings?page=11").get_data(as_text=True)
    assert "401–406 / 共 406" in last and 'rel="next"' not in last
    assert "401–406" in client.get("/admin/pairings?page=99").get_data(as_text=True)  # past the end: the last page
    found = client.get("/admin/pairings?q=户主12").get_data(as_text=True)
    assert "共 10<" in found and "户主120" in found and "户主012" not in found  # 户主120 … 户主129
    by_id = client.get(f"/admin/pairings?q={roster[123][-8:]}").get_data(as_text=True)
    assert "户主123" in by_id and "共 1<" in by_id
    by_helper = client.get("/admin/pairings?q=老师007").get_data(as_text=True)
    assert "户主014" in by_helper and "户主015" in by_helper and "共 2<" in by_helper
    by_village = client.get(f"/admin/pairings?q=西村&village_id={world['v2']}").get_data(as_text=True)
    assert "李四" in by_village and "共 2<" in by_village
    fragment = client.get("/admin/pairings?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="pairings"') and "41–80" in fragment
    assert client.get("/admin/pairings?page=abc").status_code == 422
    assert "没有找到" in client.get("/admin/pairings?q=100%").get_data(as_text=True)


def test_the_pairing_form_opens_for_one_household_and_still_changes_it(app, client, world, roster):
    client.login("admin")
    form = client.get(f"/admin/households/{world['hh6']}/pairing", headers={"HX-Request": "true"})
    html = form.get_data(as_text=True)
    assert html.lstrip().startswith("<form") and "老师000（teacher000，2 户）" in html
    page = client.get(f"/admin/households/{world['hh6']}/pairing").get_data(as_text=True)
    assert "<title>调整结对 · 王六" in page
    assert client.get(f"/admin/households/{world['hh6']}/pairing").status_code == 200
    resp = client.post(f"/admin/households/{world['hh6']}/pairing", data={"helper_id": world["h1"], "reason": "调整"})
    assert resp.status_code == 302
    with app.app_context():
        hh = db.session.get(Household, world["hh6"])
        assert [p.helper_id for p in hh.pairings if p.end_date is None] == [world["h1"]]


def test_users_pages_and_search(client, world, roster):
    client.login("admin")
    resp = client.get("/admin/users")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and len(resp.data) <= PAGE_MAX
    assert html.index("新建账号") < html.index("<table")  # at the top, not after the list
    assert "共 158" in html and 'rel="next"' in html
    found = client.get("/admin/users?q=TEACHER01").get_data(as_text=True)
    assert "共 10<" in found and "teacher010" in found and "teacher020" not in found
    assert "书记一" in client.get("/admin/users?q=东村").get_data(as_text=True)
    fragment = client.get("/admin/users?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section class="card" id="people"') and "31–60" in fragment
    bad = client.post("/admin/users", data={"username": "", "display_name": "", "role": "helper", "password": "x"})
    assert bad.status_code == 422 and "<details class=\"card new-user\" id=\"new-user\" open>" in bad.get_data(as_text=True)

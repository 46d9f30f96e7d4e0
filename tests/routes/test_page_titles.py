"""Every page has its own tab title, and every page below the bottom bar a back link (an installed
app has no browser back button); the diary is one tap from 本月 and 考核."""
import re

import pytest

from webapp import nav

TOP, BELOW = True, False


def pages(w: dict) -> dict[str, list[tuple[str, bool]]]:
    hh1 = w["hh1"]
    return {
        "h1": [("/", TOP), ("/visits/month", TOP), ("/performance/me", TOP), ("/reviews/", TOP), ("/account", TOP),
               ("/reports/", BELOW), ("/outbox", BELOW), (f"/households/{hh1}", BELOW), ("/performance/me/year", BELOW),
               (f"/households/{hh1}/visits", BELOW), (f"/households/{hh1}/measures", BELOW)],
        "sec1": [("/village/", TOP), ("/village/team", TOP), ("/village/helpers", TOP), ("/attendance/", TOP),
                 ("/village/helpers/queue", BELOW), ("/performance/village", BELOW), ("/attendance/leave", BELOW),
                 ("/reports/", BELOW), (f"/village/team/{w['team1']}/calendar", BELOW), ("/attendance/approvals", BELOW),
                 (f"/performance/helpers/{w['h1']}", BELOW), (f"/households/{hh1}", BELOW)],
        "team1": [("/village/", TOP), ("/attendance/", TOP), ("/attendance/leave", TOP), ("/attendance/calendar", TOP),
                  ("/outbox", BELOW)],
        "admin": [("/admin/", TOP), ("/admin/pairings", TOP), ("/attendance/approvals", TOP), ("/performance/unit", TOP),
                  ("/admin/users", BELOW), ("/admin/villages", BELOW), ("/admin/roster", BELOW),
                  ("/performance/spot-checks", BELOW), ("/reports/", BELOW), (f"/households/{hh1}", BELOW),
                  ("/performance/unit/quarter", BELOW), (f"/performance/helpers/{w['h1']}", BELOW),
                  (f"/admin/households/{hh1}/pairing", BELOW)],
    }


@pytest.mark.parametrize("who", ["h1", "sec1", "team1", "admin"])
def test_every_page_has_its_own_title_and_a_back_link_below_the_top(make_client, world, who):
    client = make_client()
    client.login(who)
    titles = {}
    for url, top in pages(world)[who]:
        resp = client.get(url)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, url
        (title,) = re.findall(r"<title>(.*?)</title>", html, re.S)
        assert title.endswith(" · 帮扶通") and title != "帮扶通", (url, title)
        titles.setdefault(title, []).append(url)
        back = re.search(r'<header class="topbar">\s*<a href="([^"]+)" class="back"', html)
        assert (back is None) == top, (url, back and back.group(1))
    assert {t: u for t, u in titles.items() if len(u) > 1} == {}  # no two pages share a title


def test_back_links_lead_up(world):
    assert nav.back_endpoint("helper", "visits.month") is None
    assert nav.back_endpoint("helper", "printing.index") == "main.account"
    assert nav.back_endpoint("office_admin", "performance.helper_month") == "performance.unit"
    assert nav.back_endpoint("first_secretary", "performance.helper_month") == "performance.village"
    assert nav.back_endpoint("helper", "households.show") == "main.home"


def test_the_diary_is_one_tap_from_this_month_and_the_score(client, world):
    client.login("h1")
    for url in ("/visits/month?month=2026-03", "/performance/me?month=2026-03"):
        html = client.get(url).get_data(as_text=True)
        assert f'href="/reports/diary/{world["h1"]}/2026-03.pdf"' in html, url
        assert f'href="/reports/diary/{world["h1"]}/2026-02.pdf"' in html, url
    html = client.get("/visits/month?month=2026-01").get_data(as_text=True)
    assert "/2025-12.pdf" in html

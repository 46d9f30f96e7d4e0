"""The office's ranking in pages (a township has ~1,000 helpers: within 300 ms), and the
same month whether a unit's scope is aggregated wide (one unit) or probed (many units)."""
import re

from webapp.extensions import db
from webapp.services import performance
from webapp.web import rules as app_rules

MARCH = "2026-03"


def ranks(html: str) -> list[str]:
    return re.findall(r'<span class="title">(\d+)\. ', html)


def test_the_ranking_is_paged_and_the_export_has_everyone(app, client, march):
    app.config["RANKING_PAGE_SIZE"] = 2
    client.login("admin")
    first = client.get(f"/performance/unit?month={MARCH}").get_data(as_text=True)
    assert ranks(first) == ["1", "2"] and "共 3 人" in first and "第 1 / 2 页" in first
    assert "page=2" in first and "上一页" not in first
    second = client.get(f"/performance/unit?month={MARCH}&page=2").get_data(as_text=True)
    assert ranks(second) == ["3"] and "第 2 / 2 页" in second and "下一页" not in second
    assert ranks(client.get(f"/performance/unit?month={MARCH}&page=99").get_data(as_text=True)) == ["3"]
    fragment = client.get(f"/performance/unit?month={MARCH}&page=2", headers={"HX-Request": "true"})
    assert ranks(fragment.get_data(as_text=True)) == ["3"] and "<html" not in fragment.get_data(as_text=True)
    assert client.get(f"/performance/unit?month={MARCH}&page=abc").status_code == 422
    export = client.get(f"/performance/unit/export?month={MARCH}&format=csv").get_data(as_text=True)
    assert all(name in export for name in ("帮扶一", "帮扶二", "帮扶三"))
    app.config["RANKING_PAGE_SIZE"] = 100
    assert "第 1 /" not in client.get(f"/performance/unit?month={MARCH}").get_data(as_text=True)


def test_a_units_month_is_the_same_aggregated_wide_or_probed(app, march):
    from webapp.models import User
    from webapp.services import access

    with app.test_request_context():
        admin = db.session.get(User, march["admin"])
        p = performance.period(MARCH)
        scope = access.helper_ids(admin, p.start, p.end)
        wide = performance.compute_month(app_rules.scoring(), MARCH, scope, wide=True)
        db.session.rollback()
        probed = performance.compute_month(app_rules.scoring(), MARCH, scope, wide=False)
        assert [r.to_data() for r in wide] == [r.to_data() for r in probed] and len(wide) == 3
        assert not performance.one_unit()  # the test world has a second unit: pages probe

"""The quarterly on-site assessment of helpers (004 第六条(二)) and household satisfaction,
computed by hand."""
import pytest

from tests.support import factories
from webapp.extensions import db
from webapp.models import OnsiteAssessment, SpotCheckDraw, SpotCheckItem
from webapp.services import onsite
from webapp.services.errors import Forbidden, ValidationFailed
from webapp.web import rules as app_rules


def test_the_worst_on_site_result_caps_the_year(ctx, app, monkeypatch):
    assert onsite.year_end_rating(app_rules.assessment(), "优秀", ["合格", "优秀"]) == "合格"
    assert onsite.year_end_rating(app_rules.assessment(), "合格", []) == "合格"  # no on-site result: the computed rating stands
    assert onsite.year_end_rating(app_rules.assessment(), None, ["不合格"]) == "不合格"
    assert onsite.year_end_rating(app_rules.assessment(), "不合格", ["优秀"]) == "不合格"  # never raises the computed rating
    monkeypatch.setitem(app.config, "ONSITE_CAPS_YEAR", False)
    assert onsite.year_end_rating(app_rules.assessment(), "优秀", ["不合格"]) == "优秀"


def test_record_checks_its_input_and_replaces_the_quarters_entry(ctx):
    o = factories.second_unit(factories.world()).objects
    with pytest.raises(ValidationFailed) as err:
        onsite.record(o["admin"], o["h1"], "2026-Q1", "好", "", "", "")
    assert "优秀、合格 或 不合格" in err.value.errors["result"][0]
    with pytest.raises(ValidationFailed) as err:
        onsite.record(o["admin"], o["h1"], "2026-Q1", "不合格", "", "不满意", "")
    assert set(err.value.errors) == {"note", "satisfaction_note"}
    with pytest.raises(Forbidden):
        onsite.record(o["admin_x"], o["h1"], "2026-Q1", "合格", "", "", "")
    onsite.record(o["admin"], o["h1"], "2026-Q1", "合格", "", "", "")
    onsite.record(o["admin"], o["h1"], "2026-Q1", "不合格", "户主称很少见到", "不满意", "一季度只来过一次")
    rows = db.session.query(OnsiteAssessment).all()
    assert [(r.result, r.satisfaction) for r in rows] == [("不合格", "不满意")]


def test_satisfaction_per_helper_and_village_from_on_site_and_spot_checks(ctx):
    o = factories.world().objects
    for month, level in (("2026-02", "满意"), ("2026-04", "不满意")):  # April is the next quarter
        draw = SpotCheckDraw(unit_id=o["unit"].id, month=month, seed="s", ratio=0.3)
        db.session.add(draw)
        db.session.flush()
        db.session.add(SpotCheckItem(draw_id=draw.id, helper_id=o["h1"].id, result="符合", satisfaction=level))
    onsite.record(o["admin"], o["h1"], "2026-Q1", "合格", "", "不满意", "帮扶措施没落实")
    onsite.record(o["admin"], o["h3"], "2026-Q1", "优秀", "", "基本满意", "")
    per_helper, per_village = onsite.satisfaction("2026-Q1", {o["h1"].id: o["v1"].id, o["h3"].id: o["v2"].id})
    assert per_helper[o["h1"].id] == {"满意": 1, "基本满意": 0, "不满意": 1}
    assert per_village == {o["v1"].id: {"满意": 1, "基本满意": 0, "不满意": 1},
                           o["v2"].id: {"满意": 0, "基本满意": 1, "不满意": 0}}
    basis = onsite.year_basis(app_rules.assessment(), o["h1"], 2026, "优秀")
    assert basis["rating"] == "合格" and basis["onsite"]["2026-Q1"].result == "合格"
    assert [m for m, _ in basis["spots"]] == ["2026-02", "2026-04"]

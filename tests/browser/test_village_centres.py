"""The office confirms a proposed village centre on a 360×640 phone."""
from tests.support import factories
from tests.support.factories import PASSWORD
from webapp.extensions import db
from webapp.models import Village

from .conftest import login, no_horizontal_scroll


def test_office_confirms_the_proposed_centre(app, world, phone):
    with app.app_context():
        v = Village(unit_id=world["unit"], name="北村")
        db.session.add(v)
        db.session.flush()
        for i, (lat, lng) in enumerate(((30.50, 109.70), (30.502, 109.702), (30.504, 109.704))):
            factories.household(v, f"北{i}", lat, lng)
        db.session.commit()
        village_id = v.id
    login(phone, "admin", PASSWORD)
    phone.locator("#villages-without-centre a", has_text="北村").click()
    card = phone.locator(f"#village-{village_id}")
    assert "建议中心" in card.inner_text()
    assert card.locator("input[name=latitude]").input_value() == "30.502"
    assert no_horizontal_scroll(phone)
    card.get_by_role("button", name="保存").click()
    phone.wait_for_url("**/admin/villages")
    assert phone.locator(f"#village-{village_id}[data-centre=set]").count() == 1
    with app.app_context():
        v = db.session.get(Village, village_id)
        assert (v.latitude, v.longitude) == (30.502, 109.702)

"""The printed diary and the web page name things with the same words, from one vocabulary
(services/visits.CHECKLIST, services/subsidies, services/visit_flags): no raw code in print."""
import re
from datetime import date, datetime, timedelta, timezone

from tests.support import factories
from webapp.extensions import db
from webapp.models import Household, SubsidyAnswer, User
from webapp.services import subsidies, visits

CST = timezone(timedelta(hours=8))


def _labels_on_page(html: str) -> dict[str, str]:
    """code → label as the visit page shows them (checklist, subsidies, flags)."""
    found = {code: label for code, label in visits.CHECKLIST if f"<li>{label}：" in html}
    for code in ("boarding_junior", "nutrition"):
        m = re.search(rf"· ({re.escape(subsidies.label(code))})：", html)
        if m:
            found[code] = m.group(1)
    for code, label in re.findall(r'data-flag="([a-z_]+)">([^<]+)<', html):
        found[code] = label
    return found


def test_every_label_in_the_diary_is_the_web_pages(app, client, world):
    with app.app_context():
        hh = db.session.get(Household, world["hh1"])
        kid = factories.member(hh, "小明", stage="初中", born=date(2012, 5, 1))
        at = datetime(2026, 3, 5, 10, tzinfo=CST)
        v = factories.visit_row(world["h1"], world["hh1"], at, notes="了解孩子上学情况。", received_at=at,
                                checklist={code: {"ok": True, "note": None} for code, _ in visits.CHECKLIST},
                                flags=["outside_geofence"], within_geofence=False, distance_m=900.0,
                                flag_details={"outside_geofence": {"distance_m": 900, "radius_m": 300}})
        for code in ("boarding_junior", "nutrition"):
            db.session.add(SubsidyAnswer(visit_id=v.id, member_id=kid.id, item=code, answer="已享受"))
        db.session.commit()
        visit_id = v.id
    client.login("h1")
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    labels = _labels_on_page(page)
    assert set(labels) >= {"food", "water", "boarding_junior", "nutrition", "outside_geofence"}, labels
    with app.test_request_context():
        from webapp.services.printing import diary as pdf

        doc = pdf.diary_document(db.session.get(User, world["h1"]), "2026-03")
    text = re.sub(r"<[^>]+>", " ", doc.html)
    for code, label in labels.items():
        assert label in text, (code, label)
        assert not re.search(rf"\b{code}\b", text), f"raw code {code} in the printed diary"

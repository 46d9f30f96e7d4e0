"""The county above the townships: pairing changes wait for its approval (001), it reads
its townships only, and a township office cannot make county accounts."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from tests.support import factories
from webapp.extensions import db
from webapp.models import Pairing, PairingChange, User
from webapp.services.calendar import local_today, month_key


def _counties(app) -> dict:
    with app.app_context():
        w = factories.counties(factories.second_unit(factories.world()))
        now = datetime.now(timezone.utc) - timedelta(hours=1)
        factories.visit_row(w.objects["h1"].id, w.objects["hh1"].id, now, notes="张一家走访：了解家庭情况。")
        db.session.commit()
        ids = w.ids()
        db.session.remove()
    return ids


def _current(app, household_id: int) -> int | None:
    with app.app_context():
        p = db.session.scalar(select(Pairing).where(Pairing.household_id == household_id, Pairing.end_date.is_(None)))
        db.session.remove()
        return p.helper_id if p else None


def _change(app, household_id: int) -> PairingChange:
    with app.app_context():
        c = db.session.scalar(select(PairingChange).where(PairingChange.household_id == household_id)
                              .order_by(PairingChange.id.desc()))
        db.session.expunge(c)
        db.session.remove()
        return c


def test_a_pairing_change_waits_for_the_county_and_a_refusal_needs_a_reason(app, make_client):
    ids = _counties(app)
    admin, county, county_x = make_client(), make_client(), make_client()
    admin.login("admin"), county.login("county"), county_x.login("county_x")
    url = f"/admin/households/{ids['hh1']}/pairing"
    assert admin.post(url, data={"helper_id": ids["h2"], "reason": "教师调动"}).status_code == 302
    assert _current(app, ids["hh1"]) == ids["h1"]  # not yet: the county has not approved
    change = _change(app, ids["hh1"])
    assert (change.status, change.from_helper_id, change.to_helper_id) == ("pending", ids["h1"], ids["h2"])
    page = admin.get(f"/households/{ids['hh1']}").get_data(as_text=True)  # the household says what waits
    assert "待县审批" in page and "教师调动" in page
    helper = make_client()
    helper.login("h1")
    assert "待县审批" not in helper.get(f"/households/{ids['hh1']}").get_data(as_text=True)  # the office's business
    again = admin.post(url, data={"helper_id": ids["h3"], "reason": "再调"})
    assert again.status_code == 422 and "待县里审批" in again.get_data(as_text=True)
    assert "待县审批" in admin.get("/admin/pairings").get_data(as_text=True)

    page = county.get("/county/").get_data(as_text=True)
    assert "张一" in page and "教师调动" in page and "测试乡" in page and "别的乡" not in page
    assert "张一" not in county_x.get("/county/").get_data(as_text=True)
    decide = f"/county/pairing-changes/{change.id}"
    assert county_x.post(decide, data={"decision": "approve"}).status_code == 404  # another county
    assert admin.post(decide, data={"decision": "approve"}).status_code == 403  # the township itself
    refused = county.post(decide, data={"decision": "reject", "note": ""})
    assert refused.status_code == 422 and "请填写不同意的理由" in refused.get_data(as_text=True)
    assert county.post(decide, data={"decision": "reject", "note": "帮扶二已满负荷"}).status_code == 302
    assert _change(app, ids["hh1"]).status == "rejected" and _current(app, ids["hh1"]) == ids["h1"]
    assert "帮扶二已满负荷" in admin.get("/admin/pairings").get_data(as_text=True)
    assert county.post(decide, data={"decision": "approve"}).status_code == 422  # decided already

    assert admin.post(url, data={"helper_id": ids["h2"], "reason": "教师调动"}).status_code == 302
    change = _change(app, ids["hh1"])
    assert county.post(f"/county/pairing-changes/{change.id}", data={"decision": "approve"}).status_code == 302
    assert _current(app, ids["hh1"]) == ids["h2"]
    with app.app_context():
        ended = db.session.scalar(select(Pairing).where(Pairing.household_id == ids["hh1"], Pairing.helper_id == ids["h1"]))
        assert ended.end_reason == "教师调动（县审批同意）" and ended.ended_by.username == "county"


def test_ending_a_pairing_waits_too_but_a_first_pairing_does_not(app, make_client):
    ids = _counties(app)
    admin, county = make_client(), make_client()
    admin.login("admin"), county.login("county")
    assert admin.post(f"/admin/households/{ids['hh6']}/pairing",
                      data={"helper_id": ids["h2"], "reason": "新结对"}).status_code == 302
    assert _current(app, ids["hh6"]) == ids["h2"]  # an unpaired household: not an adjustment (调整)
    assert admin.post(f"/admin/households/{ids['hh3']}/pairing", data={"reason": "户已搬迁"}).status_code == 302
    assert _current(app, ids["hh3"]) == ids["h2"]
    change = _change(app, ids["hh3"])
    assert change.to_helper_id is None
    # the pairing moved meanwhile (e.g. a roster import): the county's approval is refused, nothing changes
    with app.app_context():
        from webapp.models import Household
        from webapp.services import pairings
        from webapp.web import rules as app_rules

        pairings.assign(db.session.get(Household, ids["hh3"]), db.session.get(User, ids["h3"]), None, "花名册导入",
                        app_rules.pairings())
        db.session.commit()
        db.session.remove()
    stale = county.post(f"/county/pairing-changes/{change.id}", data={"decision": "approve"})
    assert stale.status_code == 422 and "结对已经变动" in stale.get_data(as_text=True)
    assert _current(app, ids["hh3"]) == ids["h3"] and _change(app, ids["hh3"]).status == "pending"


def test_the_county_reads_its_townships_only(app, make_client):
    ids = _counties(app)
    county, county_x, admin = make_client(), make_client(), make_client()
    county.login("county"), county_x.login("county_x"), admin.login("admin")
    page = county.get(f"/county/units/{ids['unit']}")
    assert page.status_code == 200 and "帮扶一" in page.get_data(as_text=True) and "张一" in page.get_data(as_text=True)
    assert county.get(f"/county/units/{ids['unit_x']}").status_code == 404
    assert county.get(f"/county/units/{ids['county_unit']}").status_code == 404  # the county itself is no township
    assert county_x.get(f"/county/units/{ids['unit']}").status_code == 404
    assert admin.get("/county/").status_code == 403
    with app.app_context():
        month = month_key(local_today())
    diary = county.get(f"/reports/diary/{ids['h1']}/{month}.pdf?unit_id={ids['unit']}")
    assert diary.status_code == 200 and diary.get_data().startswith(b"%PDF")
    assert county.get(f"/reports/diary/{ids['h1']}/{month}.pdf").status_code == 404
    assert county.get(f"/reports/diary/{ids['h1']}/{month}.pdf?unit_id={ids['unit_x']}").status_code == 404
    assert county_x.get(f"/reports/diary/{ids['h1']}/{month}.pdf?unit_id={ids['unit']}").status_code == 404
    assert county.get("/", follow_redirects=False).headers["Location"].endswith("/county/")


def test_a_township_office_cannot_make_a_county_account(app, make_client):
    _counties(app)
    admin = make_client()
    admin.login("admin")
    resp = admin.post("/admin/users", data={"username": "bigboss", "display_name": "县长", "role": "county_admin",
                                            "password": "long-enough-1"})
    assert resp.status_code == 422 and "县级账号只能建在县单位" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "bigboss")) is None

"""Office admin: users, pairings (history, limit), villages, roster upload."""

from sqlalchemy import func, select

from tests.support import factories
from tests.support.roster_files import csv_bytes, household_row, upload
from webapp.extensions import db
from webapp.models import Household, Pairing, User


def test_create_user_and_refuse_bad_input(world, client, app):
    client.login("admin")
    resp = client.post("/admin/users", data={"username": "t 1", "display_name": "", "role": "team_member",
                                              "password": "short"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "用户名只能用" in page and "请填写姓名" in page and "必须指定所驻村" in page and "密码至少 8 位" in page
    resp = client.post("/admin/users", data={"username": "newhelper", "display_name": "新老师", "role": "helper",
                                              "password": "long-enough-1"})
    assert resp.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "newhelper"))
        assert user.role == "helper" and user.unit.name == "测试乡" and user.check_password("long-enough-1")
    assert client.post("/admin/users", data={"username": "newhelper", "display_name": "x", "role": "helper",
                                             "password": "long-enough-1"}).status_code == 422


def test_pairing_change_keeps_history_and_needs_a_reason(world, client, app):
    client.login("admin")
    url = f"/admin/households/{world['hh1']}/pairing"
    assert client.post(url, data={"helper_id": world["h2"], "reason": ""}).status_code == 422
    assert client.post(url, data={"helper_id": world["h2"], "reason": "教师调动"}).status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(Pairing).where(Pairing.household_id == world["hh1"]).order_by(Pairing.id)).all()
        assert [(p.helper_id, p.end_date is None) for p in rows] == [(world["h1"], False), (world["h2"], True)]
        assert rows[0].end_reason == "教师调动" and rows[1].created_by.username == "admin"
    page = client.get(f"/households/{world['hh1']}").get_data(as_text=True)
    assert "教师调动" in page and "帮扶一" in page and "帮扶二" in page


def test_sixth_household_is_refused_with_a_clear_message(world, client, app):
    with app.app_context():
        v1 = db.session.get(Household, world["hh1"]).village
        extra = [factories.household(v1, f"户{i}").id for i in range(4)]
        db.session.commit()
    client.login("admin")
    for hid in extra[:3]:  # h1 holds 2 → 5
        resp = client.post(f"/admin/households/{hid}/pairing", data={"helper_id": world["h1"], "reason": "新结对"})
        assert resp.status_code == 302
    resp = client.post(f"/admin/households/{extra[3]}/pairing", data={"helper_id": world["h1"], "reason": "新结对"})
    assert resp.status_code == 422 and "已帮扶 5 户，达到上限" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Pairing).where(
            Pairing.helper_id == world["h1"], Pairing.end_date.is_(None))) == 5


def test_admin_cannot_pair_with_another_units_user_or_household(world, client):
    client.login("admin_x")
    resp = client.post(f"/admin/households/{world['hh6']}/pairing", data={"helper_id": world["h1"], "reason": "x"})
    assert resp.status_code == 404
    client.post("/logout")
    client.login("admin")
    assert client.post(f"/admin/users/{world['admin_x']}/active", data={"active": "0"}).status_code == 404


def test_villages_page(world, client):
    client.login("admin")
    assert client.post("/admin/villages", data={"name": "东村", "geofence_m": "2000"}).status_code == 422
    assert client.post("/admin/villages", data={"name": "北村", "latitude": "30.5", "longitude": "",
                                                "geofence_m": "2000"}).status_code == 422
    assert client.post("/admin/villages", data={"name": "北村", "latitude": "30.5", "longitude": "109.7",
                                                "geofence_m": "1500"}).status_code == 302
    assert "北村" in client.get("/admin/villages").get_data(as_text=True)


def test_roster_upload_shows_every_bad_row_and_imports_nothing(world, client, app):
    client.login("admin")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Household))
    bad = csv_bytes([household_row(), household_row(身份证号="123"), household_row(帮扶责任人="ghost")])
    resp, _ = upload(client, bad, "花名册.csv", create_villages="1")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "未导入任何数据" in page and "确认导入" not in page
    assert "<td>3</td>" in page and "18 位" in page and "<td>4</td>" in page and "ghost" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Household)) == before
    good = csv_bytes([household_row(户主姓名="导入户")])
    preview, result = upload(client, good, "花名册.csv")
    assert preview.status_code == 200 and "预览（尚未写入）" in preview.get_data(as_text=True)
    assert result.status_code == 200 and "导入成功" in result.get_data(as_text=True)


def test_roster_upload_is_for_office_admins_only(world, client):
    client.login("sec1")
    assert client.get("/admin/roster").status_code == 403


def test_admin_resets_a_password_from_the_users_page(world, client, make_client, app):
    client.login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{world['h2']}/password" in page
    assert f"/admin/users/{world['admin']}/active" not in page  # no button to lock oneself out
    assert client.post(f"/admin/users/{world['h2']}/password", data={"password": "short"}).status_code == 422
    assert client.post(f"/admin/users/{world['h2']}/password", data={"password": "brand-new-pw1"}).status_code == 302
    helper = make_client()
    helper.login("h2", "brand-new-pw1")

"""Correcting a returned visit through the API: only while 退回, idempotent,
kept as history, check-in untouched; the first secretary sees it and decides again."""
import uuid

import pytest
from sqlalchemy import func, select

from tests.support.visit_data import jpeg, photo_form, visit_body
from webapp.extensions import db
from webapp.models import AuditLog, Visit, VisitAmendment


@pytest.fixture
def returned(client, make_client, world):
    client.login("h1")
    body = visit_body(world["hh1"], notes="电话联系户主")
    assert client.post("/api/v1/visits", json=body).status_code == 201
    sec = make_client()
    sec.login("sec1")
    vid = client.get(f"/api/v1/visits/{body['client_uuid']}").get_json()["id"]
    resp = sec.post(f"/village/visits/{vid}/review", data={"action": "returned", "comment": "请补充走访内容和照片"},
                    headers={"HX-Request": "true"})
    assert resp.status_code == 200
    return body, sec, vid


def amend(client, visit_uuid, **payload):
    return client.post(f"/api/v1/visits/{visit_uuid}/amendments", json=payload)


def test_a_returned_visit_is_amended_and_the_history_kept(app, client, returned):
    body, sec, vid = returned
    payload = {"client_uuid": str(uuid.uuid4()), "notes": "入户了解家庭收入，孩子在校情况良好，已补拍照片。",
               "reply": "已补充内容和照片。"}
    resp = amend(client, body["client_uuid"], **payload)
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert out["notes"] == payload["notes"] and out["review_status"] == "fixed"
    assert out["checked_in_at"] == client.get(f"/api/v1/visits/{body['client_uuid']}").get_json()["checked_in_at"]
    (a,) = out["amendments"]
    assert a["notes_before"] == "电话联系户主" and a["notes_after"] == payload["notes"]
    assert a["reply"] == "已补充内容和照片。" and a["review_comment"] == "请补充走访内容和照片"
    assert a["changed"] == ["notes", "reply"] and a["author_id"] == out["helper_id"]
    # the replay answers 200 and writes nothing; the same uuid with other content is a conflict
    again = amend(client, body["client_uuid"], **payload)
    assert again.status_code == 200 and len(again.get_json()["amendments"]) == 1
    clash = amend(client, body["client_uuid"], **dict(payload, reply="别的"))
    assert clash.status_code == 409 and "client_uuid" in clash.get_json()["errors"]
    # the first secretary sees the amendment on the review page and can return it again
    page = sec.get("/village/helpers").get_data(as_text=True)
    assert "已补充内容和照片。" in page and "<del>电话联系户主</del>" in page
    resp = sec.post(f"/village/visits/{vid}/review", data={"action": "returned", "comment": "照片还是没有"},
                    headers={"HX-Request": "true"})
    assert resp.status_code == 200
    second = amend(client, body["client_uuid"], client_uuid=str(uuid.uuid4()), reply="照片已上传。")
    assert second.status_code == 201
    assert [x["changed"] for x in second.get_json()["amendments"]] == [["notes", "reply"], ["reply"]]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VisitAmendment)) == 2
        assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "visit.amended")) == 2


def test_a_photo_can_be_added_while_returned(client, returned):
    body, _, _ = returned
    resp = client.post(f"/api/v1/visits/{body['client_uuid']}/photos", data=photo_form(jpeg(seed=3)),
                       content_type="multipart/form-data")
    assert resp.status_code == 201


@pytest.mark.parametrize("status", ["pending", "reviewed", "fixed"])
def test_only_a_returned_visit_can_be_amended(app, client, world, status):
    client.login("h1")
    body = visit_body(world["hh1"])
    client.post("/api/v1/visits", json=body)
    with app.app_context():
        v = db.session.scalar(select(Visit).where(Visit.client_uuid == body["client_uuid"]))
        v.review_status = status
        db.session.commit()
    resp = amend(client, body["client_uuid"], client_uuid=str(uuid.uuid4()), notes="补充了走访的详细内容。")
    assert resp.status_code == 409
    msg = resp.get_json()["errors"]["client_uuid"][0]
    assert "不能" in msg
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VisitAmendment)) == 0
        assert db.session.scalar(select(Visit.notes).where(Visit.client_uuid == body["client_uuid"])) == body["notes"]


def test_bad_amendments_are_refused(app, client, make_client, returned):
    body, _, _ = returned
    # nothing changed
    assert amend(client, body["client_uuid"], client_uuid=str(uuid.uuid4()), notes="电话联系户主").status_code == 422
    # too short, unknown field (the check-in cannot be changed), no uuid
    assert amend(client, body["client_uuid"], client_uuid=str(uuid.uuid4()), notes="好").status_code == 422
    r = amend(client, body["client_uuid"], client_uuid=str(uuid.uuid4()), reply="x", latitude=30.0)
    assert r.status_code == 422 and "latitude" in r.get_json()["errors"]
    assert amend(client, body["client_uuid"], reply="已改").status_code == 422
    # another helper, another visit, nobody
    other = make_client()
    other.login("h2")
    assert amend(other, body["client_uuid"], client_uuid=str(uuid.uuid4()), reply="我来改").status_code == 404
    assert amend(client, str(uuid.uuid4()), client_uuid=str(uuid.uuid4()), reply="已改").status_code == 404
    assert make_client().post(f"/api/v1/visits/{body['client_uuid']}/amendments",
                              json={"client_uuid": str(uuid.uuid4()), "reply": "x"}).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VisitAmendment)) == 0

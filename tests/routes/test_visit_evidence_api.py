"""A visit's evidence through the API: its `reason`, the would-be flags before saving
(POST /api/v1/visits/preview) and the household's signature (POST …/signature)."""
import io
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.support import factories as f
from tests.support.visit_data import jpeg, visit_body
from webapp.extensions import db
from webapp.models import Unit, Visit, VisitSignature

PREVIEW_KEYS = ("household_id", "checked_in_at", "latitude", "longitude", "accuracy_m")
REASON = "户主在外务工，在田间地头走访"


def count(app, model) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
        return n


def preview_body(household_id, **over):
    body = {k: v for k, v in visit_body(household_id).items() if k in PREVIEW_KEYS}
    body.update(over)
    return body


def require_signature(app, on=True):
    with app.app_context():
        for u in db.session.scalars(select(Unit)):
            u.require_signature = on
        db.session.commit()
        db.session.remove()


# --- reason ------------------------------------------------------------------------------------

def test_a_reason_is_stored_returned_and_part_of_the_content(app, client, world):
    client.login("h1")
    body = visit_body(world["hh1"], latitude=30.301 + 0.018, reason=f"  {REASON} ")
    resp = client.post("/api/v1/visits", json=body)
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    # the server decides the flags: a reason does not remove them
    assert out["reason"] == REASON and out["flags"] == ["outside_geofence"]
    assert client.post("/api/v1/visits", json=body).status_code == 200  # replay
    changed = dict(body, reason="另一个原因：在村委会见到户主")
    assert client.post("/api/v1/visits", json=changed).status_code == 409
    assert client.post("/api/v1/visits", json={k: v for k, v in body.items() if k != "reason"}).status_code == 409
    with app.app_context():
        assert db.session.scalar(select(Visit.reason)) == REASON


def test_without_a_reason_the_content_hash_is_what_it_was(app, client, world):
    """Visits queued on phones before this field replay as the same content."""
    client.login("h1")
    body = visit_body(world["hh1"])
    assert client.post("/api/v1/visits", json=body).status_code == 201
    for same in (dict(body, reason=""), dict(body, reason=None), dict(body, reason="   ")):
        assert client.post("/api/v1/visits", json=same).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Visit.reason)) is None


@pytest.mark.parametrize("value, message", [("原" * 501, "不能超过 500 字"), ("a\x00b", "空字符"), (12, "应为文字")])
def test_a_bad_reason_is_422_naming_the_field_and_nothing_is_stored(app, client, world, value, message):
    client.login("h1")
    resp = client.post("/api/v1/visits", json=visit_body(world["hh1"], reason=value))
    assert resp.status_code == 422
    assert message in " ".join(resp.get_json()["errors"]["reason"])
    assert count(app, Visit) == 0


def test_the_reason_is_shown_to_the_first_secretary_and_printed_in_the_diary(app, client, make_client, world):
    client.login("h1")
    body = visit_body(world["hh1"], latitude=30.301 + 0.018, reason=REASON)
    visit_id = client.post("/api/v1/visits", json=body).get_json()["id"]
    sec = make_client()
    sec.login("sec1")
    assert REASON in sec.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert REASON in sec.get("/village/helpers").get_data(as_text=True)  # the review card
    assert REASON in sec.get(f"/households/{world['hh1']}").get_data(as_text=True)
    with app.test_request_context():
        from webapp.models import User
        from webapp.services.printing import diary as print_diary

        month = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m")
        doc = print_diary.diary_document(db.session.get(User, world["h1"]), month)
        assert "原因说明" in doc.html and REASON in doc.html


# --- preview -----------------------------------------------------------------------------------

def test_preview_explains_distance_and_accuracy_and_writes_nothing(app, client, world):
    client.login("h1")
    resp = client.post("/api/v1/visits/preview", json=preview_body(world["hh1"], latitude=30.301 + 0.018, accuracy_m=350))
    assert resp.status_code == 200, resp.get_json()
    out = resp.get_json()
    assert out["flags"] == ["outside_geofence", "poor_accuracy"] and out["needs_reason"] is True
    geo, acc = out["flag_details"]
    assert geo["code"] == "outside_geofence" and geo["radius_m"] == 300 and 1990 <= geo["distance_m"] <= 2010
    assert geo["text"] == f"距这户 {geo['distance_m']} 米，超出 300 米范围"
    assert acc["accuracy_m"] == 350 and acc["limit_m"] == 200 and "定位精度 ±350 米，超过 200 米" in acc["text"]
    assert resp.headers["Cache-Control"] == "no-store"
    assert count(app, Visit) == 0


def test_preview_of_a_clean_check_in_flags_nothing(app, client, world):
    client.login("h1")
    out = client.post("/api/v1/visits/preview", json=preview_body(world["hh1"])).get_json()
    assert out["flags"] == [] and out["flag_details"] == [] and out["needs_reason"] is False
    assert out["last_here"] is None and out["radius_m"] == 300


def test_preview_explains_travel_from_the_previous_visit_with_its_time_and_place(app, client, world):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with app.app_context():
        prev = f.visit_row(world["h1"], world["hh2"], now - timedelta(minutes=30), latitude=30.302 + 0.6, longitude=109.502)
        db.session.commit()
        prev_id = prev.id
    client.login("h1")
    out = client.post("/api/v1/visits/preview", json=preview_body(world["hh1"], checked_in_at=now.isoformat())).get_json()
    assert out["flags"] == ["impossible_travel"] and out["needs_reason"] is False
    (d,) = out["flag_details"]
    assert d["other_visit_id"] == prev_id and d["other_household"] == "张二"
    assert 66 <= d["km"] <= 67 and d["hours"] == 0.5 and 132 <= d["kmh"] <= 134
    assert d["text"].startswith("与上一次走访（张二户，") and "只隔 30 分钟" in d["text"] and "超过 120 公里/小时" in d["text"]


def test_preview_says_the_household_was_visited_within_two_hours(app, client, world):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with app.app_context():
        f.visit_row(world["h1"], world["hh1"], now - timedelta(hours=3))
        recent = f.visit_row(world["h1"], world["hh1"], now - timedelta(minutes=40))
        f.visit_row(world["h2"], world["hh3"], now - timedelta(minutes=5))  # someone else's
        db.session.commit()
        recent_uuid = recent.client_uuid
    client.login("h1")
    out = client.post("/api/v1/visits/preview", json=preview_body(world["hh1"], checked_in_at=now.isoformat())).get_json()
    assert out["last_here"]["client_uuid"] == recent_uuid and out["last_here"]["minutes_ago"] == 40
    assert out["last_here"]["text"].startswith("刚才已保存过一次（")
    out = client.post("/api/v1/visits/preview", json=preview_body(world["hh2"], checked_in_at=now.isoformat())).get_json()
    assert out["last_here"] is None


def test_preview_is_only_for_the_callers_paired_households(app, client, make_client, world):
    client.login("h1")
    for hh in ("hh3", "hh4", "hh6"):  # another helper's, another village's, unpaired
        resp = client.post("/api/v1/visits/preview", json=preview_body(world[hh]))
        assert resp.status_code == 404 and "household_id" in resp.get_json()["errors"]
    sec = make_client()
    sec.login("sec1")
    assert sec.post("/api/v1/visits/preview", json=preview_body(world["hh1"])).status_code == 403
    anon = make_client()
    assert anon.post("/api/v1/visits/preview", json=preview_body(world["hh1"])).status_code == 401


@pytest.mark.parametrize("change, field", [
    ({"latitude": 91}, "latitude"), ({"accuracy_m": -1}, "accuracy_m"), ({"checked_in_at": "昨天"}, "checked_in_at"),
    ({"notes": "多余的字段"}, "notes"), ({"household_id": "1"}, "household_id")])
def test_preview_refuses_bad_input_with_the_field_named(app, client, world, change, field):
    client.login("h1")
    resp = client.post("/api/v1/visits/preview", json={**preview_body(world["hh1"]), **change})
    assert resp.status_code == 422 and field in resp.get_json()["errors"]


# --- signature ---------------------------------------------------------------------------------

def png_signature(size=(640, 360)) -> bytes:
    """What the phone's canvas sends: black strokes on white, PNG."""
    from PIL import ImageDraw

    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    draw.line([(40, 200), (120, 120), (200, 240), (320, 100), (480, 220)], fill="black", width=5)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def saved_visit(client, world):
    """h1's visit to hh1, saved through the API: (client_uuid, id)."""
    client.login("h1")
    body = visit_body(world["hh1"])
    resp = client.post("/api/v1/visits", json=body)
    assert resp.status_code == 201
    return body["client_uuid"], resp.get_json()["id"]


def sign(client, visit_uuid, data=None, sig_uuid=None, status="signed", note="", name="sig.png"):
    form = {"client_uuid": sig_uuid or str(uuid.uuid4()), "status": status, "note": note}
    if data is not None:
        form["image"] = (io.BytesIO(data), name)
    return client.post(f"/api/v1/visits/{visit_uuid}/signature", data=form, content_type="multipart/form-data")


def test_a_signature_is_stored_re_encoded_and_idempotent(app, client, world, saved_visit):
    visit_uuid, visit_id = saved_visit
    sig_uuid = str(uuid.uuid4())
    data = png_signature()
    resp = sign(client, visit_uuid, data, sig_uuid)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["status"] == "signed" and resp.get_json()["label"] == "户主已签字"
    assert sign(client, visit_uuid, data, sig_uuid).status_code == 200  # the outbox's replay
    assert sign(client, visit_uuid, png_signature((600, 300)), sig_uuid).status_code == 409  # changed
    assert sign(client, visit_uuid, data).status_code == 409  # a second signature for the visit
    assert count(app, VisitSignature) == 1
    out = client.get(f"/api/v1/visits/{visit_uuid}").get_json()["signature"]
    assert out["status"] == "signed" and out["client_uuid"] == sig_uuid
    img = Image.open(io.BytesIO(client.get(out["url"]).data))
    assert img.format == "JPEG" and img.size == (640, 360) and not img.getexif()
    assert max(Image.open(io.BytesIO(client.get(out["thumb_url"]).data)).size) == 320
    # stored apart from the photos: no photo limit, no duplicate comparison
    assert client.get(f"/api/v1/visits/{visit_uuid}").get_json()["photos"] == []
    with app.app_context():
        stored = db.session.scalar(select(VisitSignature))
        assert stored.visit_id == visit_id and stored.width == 640


def test_not_at_home_is_json_without_an_image(app, client, world, saved_visit):
    visit_uuid, _ = saved_visit
    body = {"client_uuid": str(uuid.uuid4()), "status": "not_home", "note": "户主外出打工"}
    resp = client.post(f"/api/v1/visits/{visit_uuid}/signature", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert client.post(f"/api/v1/visits/{visit_uuid}/signature", json=body).status_code == 200
    out = client.get(f"/api/v1/visits/{visit_uuid}").get_json()["signature"]
    assert out["label"] == "户主不在家" and out["note"] == "户主外出打工" and out["url"] is None


def test_a_thumbprint_photo_is_a_photo_checked_like_any(app, client, world, saved_visit):
    visit_uuid, _ = saved_visit
    resp = sign(client, visit_uuid, jpeg(seed=3, size=(2400, 1800)), status="thumbprint", name="shouyin.jpg")
    assert resp.status_code == 201 and resp.get_json()["width"] == 1600


@pytest.mark.parametrize("kwargs, status, field", [
    ({"status": "signed"}, 422, "image"),
    ({"status": "not_home", "data": "png"}, 422, "image"),
    ({"status": "maybe", "data": "png"}, 422, "status"),
    ({"status": "signed", "note": "注" * 201, "data": "png"}, 422, "note"),
    ({"status": "signed", "data": b"<svg onload=alert(1)>", "name": "sig.svg"}, 415, "photo"),
    ({"status": "signed", "data": "cut"}, 422, "photo"),
])
def test_bad_signatures_are_refused_and_leave_nothing(app, client, world, saved_visit, kwargs, status, field):
    visit_uuid, _ = saved_visit
    data = kwargs.pop("data", None)
    if data == "png":
        data = png_signature()
    elif data == "cut":
        data = png_signature()[:2000]
    before = sorted(p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file())
    resp = sign(client, visit_uuid, data, **kwargs)
    assert resp.status_code == status, resp.get_json()
    assert field in resp.get_json()["errors"]
    assert count(app, VisitSignature) == 0
    assert sorted(p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()) == before


def test_only_the_visits_helper_signs_and_only_those_who_see_the_visit_see_it(app, client, make_client, world, saved_visit):
    visit_uuid, visit_id = saved_visit
    other = make_client()
    other.login("h2")
    assert sign(other, visit_uuid, png_signature()).status_code == 404
    assert sign(client, str(uuid.uuid4()), png_signature()).status_code == 404  # no such visit
    assert sign(client, visit_uuid, png_signature()).status_code == 201
    url = f"/api/v1/visits/{visit_id}/signature"
    for username, code in (("sec1", 200), ("admin", 200), ("h2", 404), ("sec2", 404), ("admin_x", 404)):
        c = make_client()
        c.login(username)
        assert c.get(url).status_code == code, username
        assert c.get(url + "/thumb").status_code == code, username
    assert make_client().get(url).status_code == 401


def test_unsigned_visits_show_未签字_only_where_the_unit_asks(app, client, make_client, world, saved_visit):
    visit_uuid, visit_id = saved_visit
    sec = make_client()
    sec.login("sec1")
    assert "未签字" not in sec.get(f"/visits/{visit_id}").get_data(as_text=True)
    require_signature(app)
    for page in (f"/visits/{visit_id}", f"/households/{world['hh1']}"):
        assert 'data-signature="missing"' in sec.get(page).get_data(as_text=True), page
    assert 'data-signature="missing"' in client.get(f"/households/{world['hh1']}").get_data(as_text=True)
    assert sign(client, visit_uuid, png_signature()).status_code == 201
    html = sec.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert 'data-signature="missing"' not in html and f"/api/v1/visits/{visit_id}/signature/thumb" in html


def test_the_diary_prints_the_signature_beside_the_visit_or_未签字(app, client, world, saved_visit):
    visit_uuid, _ = saved_visit
    require_signature(app)
    from webapp.models import User
    from webapp.services.printing import diary as print_diary

    month = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m")
    with app.test_request_context():
        doc = print_diary.diary_document(db.session.get(User, world["h1"]), month)
        assert "未签字" in doc.html
        db.session.remove()
    assert sign(client, visit_uuid, png_signature(), note="户主本人签字").status_code == 201
    with app.test_request_context():
        doc, data = print_diary.diary_pdf(db.session.get(User, world["h1"]), month)
        sig = db.session.scalar(select(VisitSignature))
        assert sig.thumb_key in doc.thumb_keys and "未签字" not in doc.html
        assert "户主已签字：户主本人签字" in doc.html
        db.session.remove()
    from tests.services.test_printing import images_of, text_of

    assert images_of(data) == 1 and "户主已签字" in text_of(data)


def test_the_signature_setting_renders_the_pad_on_the_form(app, client, world):
    client.login("h1")
    assert 'id="sig-pad"' not in client.get(f"/households/{world['hh1']}/visits/new").get_data(as_text=True)
    require_signature(app)
    html = client.get(f"/households/{world['hh1']}/visits/new").get_data(as_text=True)
    assert 'id="sig-pad"' in html and 'data-require-signature="1"' in html



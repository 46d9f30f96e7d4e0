"""Photos: accepted by content, re-encoded without EXIF, idempotent, hostile files refused without a
trace, and served only to those who may see the visit."""
import io
import struct
import uuid
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.support.visit_data import image_bytes, jpeg, photo_form, visit_body
from webapp.extensions import db
from webapp.models import Photo, Visit


def rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Photo))


def files(app) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def upload(client, visit_uuid, data, name="photo.jpg", **fields):
    return client.post(f"/api/v1/visits/{visit_uuid}/photos", data=photo_form(data, name, **fields),
                       content_type="multipart/form-data")


def test_a_jpeg_is_stored_resized_with_a_thumbnail(app, client, visit):
    resp = upload(client, visit, jpeg(size=(3000, 2000)), captured_at="2026-05-06T08:30:00+08:00")
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert (out["width"], out["height"]) == (1600, 1067)
    assert out["captured_at"] == "2026-05-06T00:30:00+00:00"
    assert len(files(app)) == 2
    img = Image.open(io.BytesIO(client.get(out["url"]).data))
    assert img.format == "JPEG" and img.size == (1600, 1067)
    thumb = Image.open(io.BytesIO(client.get(out["thumb_url"]).data))
    assert max(thumb.size) == 320
    # names on disk are UUIDs, not what the phone called the file
    assert all("photo" not in p.stem for p in files(app))


def test_exif_orientation_is_applied_and_no_exif_is_kept(app, client, visit):
    src = Image.new("RGB", (400, 200), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8769)[36867] = "2026:05:06 09:15:00"
    exif.get_ifd(0x8825)[2] = (30.0, 18.0, 3.6)  # GPS latitude
    buf = io.BytesIO()
    src.save(buf, "JPEG", exif=exif)
    out = upload(client, visit, buf.getvalue()).get_json()
    assert (out["width"], out["height"]) == (200, 400)
    # no capture time sent: the EXIF one (local time) is kept as a field
    assert out["captured_at"] == "2026-05-06T01:15:00+00:00"
    for url in (out["url"], out["thumb_url"]):
        stored = Image.open(io.BytesIO(client.get(url).data))
        assert not stored.getexif()
        assert "exif" not in stored.info and "xmp" not in stored.info
    for p in files(app):
        assert b"PhoneMaker" not in p.read_bytes()


@pytest.mark.parametrize("fmt,name", [("PNG", "a.png"), ("WEBP", "a.webp"), ("HEIF", "IMG_0001.HEIC")])
def test_png_webp_and_heic_are_accepted(app, client, visit, fmt, name):
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    resp = upload(client, visit, image_bytes(fmt, (640, 480)), name)
    assert resp.status_code == 201, resp.get_json()
    assert Image.open(io.BytesIO(client.get(resp.get_json()["url"]).data)).format == "JPEG"


def test_transparent_png_is_flattened_on_white(app, client, visit):
    img = Image.new("RGBA", (50, 50), (255, 0, 0, 0))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    out = upload(client, visit, buf.getvalue(), "t.png").get_json()
    stored = Image.open(io.BytesIO(client.get(out["url"]).data)).convert("RGB")
    assert stored.getpixel((25, 25))[0] > 240 and stored.getpixel((25, 25))[1] > 240


def test_the_same_photo_uuid_again_is_one_row(app, client, visit):
    data = jpeg()
    pid = str(uuid.uuid4())
    answers = [upload(client, visit, data, photo_uuid=pid) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200]
    assert len({a.get_json()["id"] for a in answers}) == 1
    assert rows(app) == 1
    assert len(files(app)) == 2


def test_a_photo_uuid_of_another_visit_is_a_conflict(app, client, world, visit):
    pid = str(uuid.uuid4())
    assert upload(client, visit, jpeg(), photo_uuid=pid).status_code == 201
    other = visit_body(world["hh2"])
    client.post("/api/v1/visits", json=other)
    assert upload(client, other["client_uuid"], jpeg(), photo_uuid=pid).status_code == 409
    assert rows(app) == 1
    assert len(files(app)) == 2


def _png_bomb(width: int, height: int) -> bytes:
    """A 1-bit PNG of width×height pixels, all zero: tiny on disk, huge when decoded."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    raw = zlib.compress(row * height, 9)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(1)</script><rect width="10" height="10"/></svg>')


def _bad_uploads():
    good = jpeg(size=(1200, 900))
    return [
        ("text renamed .jpg", b"This is not a picture, just text pretending.\n" * 20, "photo.jpg", 415, "不是可识别的照片"),
        ("truncated jpeg", good[: len(good) // 2], "photo.jpg", 422, "不完整"),
        ("decompression bomb", _png_bomb(20000, 20000), "photo.png", 422, "解压炸弹"),
        ("svg", SVG, "photo.svg", 415, "不是可识别的照片"),
        ("svg renamed jpg", SVG, "photo.jpg", 415, "不是可识别的照片"),
        ("empty", b"", "photo.jpg", 422, "空"),
        ("html polyglot", b"<html><script>alert(1)</script></html>" + good[:200], "x.php.jpg", 415, "不是可识别的照片"),
    ]


@pytest.mark.parametrize("case", _bad_uploads(), ids=lambda c: c[0])
def test_hostile_files_are_refused_and_leave_nothing(app, client, visit, case):
    _, data, name, status, words = case
    resp = upload(client, visit, data, name)
    assert resp.status_code == status, resp.get_json()
    assert words in resp.get_json()["errors"]["photo"][0]
    assert rows(app) == 0
    assert files(app) == []


def test_an_oversized_file_is_413_with_a_clear_message(app, client, visit):
    app.config["PHOTO_MAX_BYTES"] = 1024 * 1024
    data = jpeg(size=(1600, 1200), quality=100) + b"\x00" * (1024 * 1024)
    resp = upload(client, visit, data)
    assert resp.status_code == 413
    assert "照片太大" in resp.get_json()["errors"]["photo"][0]
    assert rows(app) == 0 and files(app) == []


def test_a_request_beyond_the_server_limit_is_413_json(app, client, visit):
    resp = upload(client, visit, b"\xff" * (app.config["MAX_CONTENT_LENGTH"] + 10))
    assert resp.status_code == 413
    assert resp.get_json()["errors"]
    assert rows(app) == 0 and files(app) == []


def test_pixel_limit_is_configurable(app, client, visit):
    app.config["PHOTO_MAX_PIXELS"] = 1000 * 1000
    resp = upload(client, visit, jpeg(size=(1200, 900)))
    assert resp.status_code == 422
    assert rows(app) == 0 and files(app) == []


def test_at_most_nine_photos_per_visit(app, client, visit):
    for i in range(9):
        assert upload(client, visit, jpeg(size=(64, 48))).status_code == 201
    resp = upload(client, visit, jpeg(size=(64, 48)))
    assert resp.status_code == 422
    assert "最多 9 张" in resp.get_json()["errors"]["photo"][0]
    assert rows(app) == 9


def test_missing_file_or_bad_fields(app, client, visit):
    resp = client.post(f"/api/v1/visits/{visit}/photos", data={"client_uuid": str(uuid.uuid4())},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "photo" in resp.get_json()["errors"]
    resp = client.post(f"/api/v1/visits/{visit}/photos", data={"photo": (io.BytesIO(jpeg()), "a.jpg")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "client_uuid" in resp.get_json()["errors"]
    resp = upload(client, visit, jpeg(), captured_at="last tuesday")
    assert resp.status_code == 422 and "captured_at" in resp.get_json()["errors"]
    assert rows(app) == 0 and files(app) == []


def test_photos_only_on_the_callers_own_visit(app, client, make_client, world, visit):
    other = make_client()
    other.login("h2")
    assert upload(other, visit, jpeg()).status_code == 404
    assert upload(client, str(uuid.uuid4()), jpeg()).status_code == 404
    anon = make_client()
    assert upload(anon, visit, jpeg()).status_code == 401
    assert rows(app) == 0 and files(app) == []


def test_a_reused_photo_flags_both_visits(app, client, world, visit):
    data = jpeg(seed=7)
    upload(client, visit, data)
    other = visit_body(world["hh2"])
    client.post("/api/v1/visits", json=other)
    assert upload(client, other["client_uuid"], data).status_code == 201
    with app.app_context():
        for v in db.session.scalars(select(Visit)):
            assert "duplicate_photo" in v.flags
    # a different photo leaves a third visit clean
    third = visit_body(world["hh2"])
    client.post("/api/v1/visits", json=third)
    upload(client, third["client_uuid"], jpeg(seed=8))
    out = client.get(f"/api/v1/visits/{third['client_uuid']}").get_json()
    assert out["flags"] == []
    assert "重复照片" in client.get(f"/api/v1/visits/{visit}").get_json()["flag_labels"]


@pytest.mark.parametrize("user,allowed", [
    ("h1", True),        # made the visit
    ("h2", False),       # another helper of the same village
    ("h3", False),       # a helper of another village
    ("team1", True),     # the household's village team
    ("sec1", True),
    ("team2", False),    # another village's team
    ("sec2", False),
    ("admin", True),     # the unit's office
    ("admin_x", False),  # another unit's office
])
def test_who_may_see_a_photo(app, client, make_client, world, visit, user, allowed):
    out = upload(client, visit, jpeg()).get_json()
    viewer = make_client()
    viewer.login(user)
    for url in (out["url"], out["thumb_url"]):
        resp = viewer.get(url)
        assert resp.status_code == (200 if allowed else 404), (user, url)
        if allowed:
            assert resp.mimetype == "image/jpeg"
            assert "private" in resp.headers["Cache-Control"]


def test_anonymous_cannot_see_photos_and_uploads_are_not_static(app, client, make_client, visit):
    out = upload(client, visit, jpeg()).get_json()
    anon = make_client()
    assert anon.get(out["url"]).status_code == 401
    assert anon.get(out["thumb_url"]).status_code == 401
    upload_dir = Path(app.config["UPLOAD_DIR"]).resolve()
    assert not upload_dir.is_relative_to(Path(app.static_folder).resolve())
    for p in files(app):
        assert anon.get(f"/static/{p.name}").status_code == 404

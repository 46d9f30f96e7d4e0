"""Photo memory: one upload never needs more than PHOTO_MEMORY_BUDGET_MB (100) while it
is processed. The budget is checked from the header, before anything is decoded; a JPEG is decoded
at a reduced DCT scale. Peak memory itself is measured by bench/photo_memory.py, not here."""
import io
import struct
import zlib

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from tests.support.visit_data import photo_form, visit_body
from webapp.extensions import db
from webapp.models import Photo
from webapp.services import photos
from webapp.services.errors import ValidationFailed
from webapp.web import rules as app_rules


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def transparent_png(width: int, height: int) -> bytes:
    """A fully transparent RGBA PNG made row by row (never width×height×4 bytes in memory):
    6320×6320 is ~160 KB on disk and 160 MB decoded."""
    z = zlib.compressobj(9)
    row = b"\x00" * (1 + width * 4)
    raw = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + _chunk(b"IDAT", raw) + _chunk(b"IEND", b""))


def phone_picture(size=(4000, 3000), mode="RGB") -> Image.Image:
    img = Image.new(mode, size, (110, 140, 190) if mode == "RGB" else (110, 140, 190, 255))
    d = ImageDraw.Draw(img)
    for i in range(60):
        x, y = (i * 397) % size[0], (i * 211) % size[1]
        d.ellipse([x, y, x + 400, y + 300], fill=((i * 40) % 256, (i * 90) % 256, (i * 20) % 256))
    return img


def encoded(img: Image.Image, fmt: str, **save) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **save)
    return buf.getvalue()


def test_the_hostile_png_is_refused_before_it_is_decoded(ctx):
    data = transparent_png(6320, 6320)
    assert len(data) < 200_000
    img = Image.open(io.BytesIO(data))
    assert photos.working_bytes(img) > 300 * photos.MB  # what processing it would take
    with pytest.raises(ValidationFailed) as err:
        photos.process(data, app_rules.photos())
    assert err.value.field == "photo" and err.value.status == 422
    assert "6320×6320" in err.value.message and "100 MB" in err.value.message


def test_a_4000x3000_phone_jpeg_decodes_at_half_size_and_is_stored(ctx):
    data = encoded(phone_picture(), "JPEG", quality=90)
    img = Image.open(io.BytesIO(data))
    photos.reduce_on_decode(img, 1600)
    assert img.size == (2000, 1500)  # libjpeg's 1/2 scale: still covers the 1600 px long edge
    assert photos.working_bytes(img) == 2000 * 1500 * 6
    done = photos.process(data, app_rules.photos())
    assert (done.width, done.height) == (1600, 1200)
    assert Image.open(io.BytesIO(done.thumb)).size == (320, 240)


def test_a_48_megapixel_jpeg_decodes_at_a_quarter(ctx):
    img = Image.open(io.BytesIO(encoded(phone_picture((8000, 6000)), "JPEG", quality=80)))
    photos.reduce_on_decode(img, 1600)
    assert img.size == (2000, 1500)


def test_a_small_jpeg_is_decoded_as_it_is(ctx):
    img = Image.open(io.BytesIO(encoded(phone_picture((1600, 1200)), "JPEG")))
    photos.reduce_on_decode(img, 1600)
    assert img.size == (1600, 1200)


def test_a_4000x3000_rgba_png_fits_the_budget_and_is_flattened_on_white(ctx):
    img = phone_picture(mode="RGBA")
    img.paste((0, 0, 0, 0), (0, 0, 200, 200))  # a transparent corner
    data = encoded(img, "PNG")
    assert photos.working_bytes(Image.open(io.BytesIO(data))) <= 100 * photos.MB
    done = photos.process(data, app_rules.photos())
    assert (done.width, done.height) == (1600, 1200)
    out = Image.open(io.BytesIO(done.image))
    assert out.mode == "RGB" and min(out.getpixel((10, 10))) > 240  # transparent became white-ish


def test_a_4000x3000_heic_phone_photo_is_stored(ctx):
    data = encoded(phone_picture(), "HEIF", quality=60)
    done = photos.process(data, app_rules.photos())
    assert (done.width, done.height) == (1600, 1200)


def test_orientation_is_still_applied_after_shrinking(ctx):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    done = photos.process(encoded(phone_picture(), "JPEG", exif=exif), app_rules.photos())
    assert (done.width, done.height) == (1200, 1600)


def test_a_smaller_budget_is_obeyed(ctx, app):
    app.config["PHOTO_MEMORY_BUDGET_MB"] = 10
    with pytest.raises(ValidationFailed) as err:
        photos.process(encoded(phone_picture((2000, 1500)), "PNG"), app_rules.photos())
    assert err.value.field == "photo" and "上限 10 MB" in err.value.message


def test_the_api_refuses_the_hostile_png_naming_the_field_and_stores_nothing(app, client, world):
    client.login("h1")
    body = visit_body(world["hh1"])
    assert client.post("/api/v1/visits", json=body).status_code == 201
    resp = client.post(f"/api/v1/visits/{body['client_uuid']}/photos",
                       data=photo_form(transparent_png(6320, 6320), "big.png"), content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "6320×6320" in resp.get_json()["errors"]["photo"][0]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Photo)) == 0

"""Test data for visits and photos: request bodies and real images made with Pillow."""
import io
import random
import uuid
from datetime import datetime, timedelta, timezone

from PIL import Image, ImageDraw

CST = timezone(timedelta(hours=8))


def visit_body(household_id: int, **over) -> dict:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "household_id": household_id,
        "checked_in_at": (datetime.now(CST) - timedelta(minutes=10)).replace(microsecond=0).isoformat(),
        "latitude": 30.3011,
        "longitude": 109.5011,
        "accuracy_m": 12.5,
        "notes": "了解家庭收入，宣传教育资助政策。",
        "checklist": {"food": {"ok": True, "note": ""}, "water": {"ok": False, "note": "雨季水浑"}},
        "measures_done": [],
    }
    body.update(over)
    return body


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), seed: int | None = None, **save) -> bytes:
    """A real picture (random shapes, so two seeds differ) in the given format."""
    rng = random.Random(seed if seed is not None else uuid.uuid4().int)
    img = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle([x, y, x + rng.randrange(10, 200), y + rng.randrange(10, 200)],
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    buf = io.BytesIO()
    img.save(buf, fmt, **save)
    return buf.getvalue()


def jpeg(seed: int | None = None, size: tuple[int, int] = (800, 600), **save) -> bytes:
    return image_bytes("JPEG", size, seed, **save)


def photo_form(data: bytes, name: str = "photo.jpg", photo_uuid: str | None = None, **fields) -> dict:
    form = {"client_uuid": photo_uuid or str(uuid.uuid4()), "photo": (io.BytesIO(data), name)}
    form.update(fields)
    return form

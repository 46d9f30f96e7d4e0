"""Test data for visits and photos: request bodies and real images made with Pillow."""
import io
import random
import uuid
from datetime import datetime, timedelta, timezone

from PIL import Image, ImageDraw, ImageFilter

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


def rephotograph(img: Image.Image, rng: random.Random) -> Image.Image:
    """A phone photo of the picture shown on a screen: slight keystone, a dark bezel around,
    blur, colour cast, gamma, noise."""
    w, h = img.size
    k = rng.uniform(0.01, 0.03)
    # perspective: map the output square onto a slightly skewed quadrilateral of the input
    quad = (rng.uniform(-k, k) * w, rng.uniform(-k, k) * h, rng.uniform(-k, k) * w, h + rng.uniform(-k, k) * h,
            w + rng.uniform(-k, k) * w, h + rng.uniform(-k, k) * h, w + rng.uniform(-k, k) * w, rng.uniform(-k, k) * h)
    out = img.transform((w, h), Image.Transform.QUAD, quad, Image.Resampling.BILINEAR, fillcolor=(15, 15, 15))
    border = int(min(w, h) * rng.uniform(0.0, 0.03))
    if border:
        framed = Image.new("RGB", (w + 2 * border, h + 2 * border), (20, 20, 22))
        framed.paste(out, (border, border))
        out = framed
    out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 2.0)))
    r, g, b = out.split()
    cast = [rng.uniform(0.9, 1.1) for _ in range(3)]
    out = Image.merge("RGB", [ch.point(lambda v, c=c: min(255, int(v * c))) for ch, c in zip((r, g, b), cast)])
    gamma = rng.uniform(0.8, 1.25)
    out = out.point(lambda v: int(255 * (v / 255) ** gamma))
    # noise from rng, not Image.effect_noise (which draws from the C library's rand(): its result
    # depended on what other tests had drawn before)
    noise = Image.frombytes("L", out.size, rng.randbytes(out.width * out.height)).convert("RGB")
    out = Image.blend(out, noise, 0.05)
    return out.resize((int(out.width * rng.uniform(0.6, 0.9)), int(out.height * rng.uniform(0.6, 0.9))))

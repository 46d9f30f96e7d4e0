"""Generated rural scenes for the demo, the tests and bench/photo_dupes.py: sky and ground
gradients, hills, fields, houses, trees, people and sensor noise, laid out differently per seed.

Different seeds give scenes as different as photos of different households are; they are what
the near-duplicate detection (phash.py) is measured on, so the demo's honest visits do not look
like copies of each other.
"""
from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw


def _gradient(w: int, h: int, top: tuple, bottom: tuple) -> Image.Image:
    col = Image.new("RGB", (1, h))
    for y in range(h):
        t = y / max(1, h - 1)
        col.putpixel((0, y), tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    return col.resize((w, h))


def scene(seed: int, size: tuple[int, int] = (1600, 1200), label: str | None = None) -> Image.Image:
    """A rural-looking scene; seeds give distinct scenes, many of them similar in layout."""
    rng = random.Random(seed)
    w, h = size
    k = w / 1600  # the shapes are drawn for 1600 px wide and scaled
    sky = (120 + rng.randrange(100), 150 + rng.randrange(90), 200 + rng.randrange(55))
    img = _gradient(w, h, sky, (230, 230, 230))
    d = ImageDraw.Draw(img)
    horizon = h * rng.uniform(0.3, 0.6)
    pts = [(0, horizon)]
    for i in range(1, rng.randrange(3, 8)):
        pts.append((w * i / 7 + rng.uniform(-60, 60) * k, horizon + rng.uniform(-h * 0.15, h * 0.1)))
    pts += [(w, horizon + rng.uniform(-80, 80) * k), (w, h), (0, h)]
    ground = (60 + rng.randrange(120), 80 + rng.randrange(100), 40 + rng.randrange(80))
    d.polygon(pts, fill=ground)
    for _ in range(rng.randrange(0, 5)):  # fields
        x, y = rng.uniform(0, w), rng.uniform(horizon, h)
        d.polygon([(x, y), (x + rng.uniform(100, 500) * k, y + rng.uniform(-30, 30) * k),
                   (x + rng.uniform(100, 600) * k, y + rng.uniform(60, 300) * k),
                   (x - rng.uniform(0, 200) * k, y + rng.uniform(60, 300) * k)],
                  fill=tuple(max(0, min(255, c + rng.randrange(-50, 50))) for c in ground))
    for _ in range(rng.randrange(1, 4)):  # houses
        x, y = rng.uniform(0, w - 300 * k), rng.uniform(horizon - 100 * k, h - 300 * k)
        bw, bh = rng.uniform(150, 450) * k, rng.uniform(100, 300) * k
        wall = (180 + rng.randrange(70), 170 + rng.randrange(70), 150 + rng.randrange(80))
        d.rectangle([x, y, x + bw, y + bh], fill=wall, outline=(80, 60, 50), width=max(1, int(4 * k)))
        d.polygon([(x - 20 * k, y), (x + bw / 2, y - rng.uniform(50, 160) * k), (x + bw + 20 * k, y)],
                  fill=(100 + rng.randrange(80), 40 + rng.randrange(40), 40 + rng.randrange(40)))
        d.rectangle([x + bw * 0.4, y + bh * 0.4, x + bw * 0.6, y + bh], fill=(90, 60, 40))
        for n in range(rng.randrange(0, 3)):
            wx = x + bw * (0.1 + 0.55 * n)
            d.rectangle([wx, y + bh * 0.2, wx + bw * 0.15, y + bh * 0.45], fill=(60, 80, 110))
    for _ in range(rng.randrange(2, 25)):  # trees, people, animals
        cx, cy, r = rng.uniform(0, w), rng.uniform(horizon - 50 * k, h), rng.uniform(10, 90) * k
        d.ellipse([cx - r, cy - r, cx + r, cy + r],
                  fill=(20 + rng.randrange(80), 70 + rng.randrange(100), 20 + rng.randrange(60)))
    if rng.random() < 0.4:  # a person in front
        cx = rng.uniform(200 * k, w - 200 * k)
        d.ellipse([cx - 50 * k, h * 0.45, cx + 50 * k, h * 0.45 + 100 * k], fill=(200, 160, 130))
        d.rectangle([cx - 80 * k, h * 0.45 + 100 * k, cx + 80 * k, h], fill=tuple(rng.randrange(256) for _ in range(3)))
    if label:
        d.text((10, h - 22), label, fill=(255, 255, 255))  # ASCII: the default font has no CJK glyphs
    # sensor noise drawn from rng (Image.effect_noise draws from the C library's rand(), so the same
    # seed gave another picture after other code had drawn from it)
    nw, nh, sigma = max(1, w // 4), max(1, h // 4), rng.uniform(8, 30)
    grain = Image.frombytes("L", (nw, nh), rng.randbytes(nw * nh)).point(lambda v: int(128 + (v - 128) * sigma / 74))
    noise = grain.resize((w, h)).convert("RGB")
    return Image.blend(img, noise, 0.06)


def jpeg(seed: int, size: tuple[int, int] = (800, 600), quality: int = 85, label: str | None = None) -> bytes:
    buf = io.BytesIO()
    scene(seed, size, label).save(buf, "JPEG", quality=quality)
    return buf.getvalue()

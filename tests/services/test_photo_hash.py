"""Perceptual hashes and their index: copies found, distinct scenes not, the
pigeonhole lookup finds every hash within 7 bits, and nothing crosses units."""
import io
import random
import uuid
from datetime import datetime, timezone

from PIL import Image, ImageEnhance
from sqlalchemy import func, select

from tests.support import factories as f
from tests.support.visit_data import rephotograph
from webapp.extensions import db
from webapp.models import Photo, PhotoHashBand
from webapp.services import phash, photo_index
from webapp.services.demo_pictures import jpeg, scene


def _jpeg(img: Image.Image, quality: int = 80) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _thumb(data: bytes) -> bytes:
    img = Image.open(io.BytesIO(data)).convert("RGB")
    img.thumbnail((320, 320))
    return _jpeg(img, 75)


def _distance(original: bytes, copy: bytes) -> int:
    stored = phash.from_bytes(_thumb(original))
    query = phash.from_bytes(_thumb(copy), phash.QUERY_VARIANTS)
    return min(phash.hamming(a, b) for a in query.values() for b in stored.values())


def test_copies_are_close_and_other_scenes_far():
    original = jpeg(11, (1200, 900))
    img = Image.open(io.BytesIO(original))
    w, h = img.size
    copies = {
        "resized": img.resize((w // 3, h // 3)),
        "recompressed": Image.open(io.BytesIO(_jpeg(img, 25))),
        "cropped 10%": img.crop((int(w * 0.1), 0, w, h)),
        "cropped all round": img.crop((int(w * 0.05), int(h * 0.05), int(w * 0.95), int(h * 0.95))),
        "brightened": ImageEnhance.Brightness(img).enhance(1.35),
    }
    for name, copy in copies.items():
        assert _distance(original, _jpeg(copy)) <= 4, name
    others = [_distance(original, jpeg(seed, (1200, 900))) for seed in range(100, 130)]
    assert min(others) > 4


def test_the_band_probes_find_every_hash_within_seven_bits():
    rng = random.Random(3)
    for _ in range(300):
        h = rng.getrandbits(64)
        q = h
        for bit in rng.sample(range(64), 7):
            q ^= 1 << bit
        assert any(b in phash.probes(qb) for b, qb in zip(phash.bands(h), phash.bands(q)))
    assert phash.from_signed(phash.to_signed(2**64 - 1)) == 2**64 - 1 and phash.to_signed(2**63) == -(2**63)


def test_lookup_uses_the_unit_and_the_threshold(ctx):
    u1, u2 = f.unit("甲乡"), f.unit("乙乡")
    v = f.village(u1, "村")
    helper = f.user(u1, "hx")
    hh = f.household(v, "户")
    visit = f.visit_row(helper.id, hh.id, datetime(2026, 5, 1, tzinfo=timezone.utc))

    def add_photo(unit_id, h):
        p = Photo(client_uuid=str(uuid.uuid4()), visit_id=visit.id, sha256="0" * 64, storage_key="k",
                  thumb_key="t", width=1, height=1, size_bytes=1)
        db.session.add(p)
        db.session.flush()
        db.session.execute(PhotoHashBand.__table__.insert(), photo_index.band_rows(unit_id, p.id, 0, h))
        return p.id

    h = random.Random(9).getrandbits(64)
    near = h ^ 0b1010_0000_0000_0001_0000  # 3 bits off
    far = h ^ ((1 << 64) - 1)
    mine, theirs, other = add_photo(u1.id, near), add_photo(u2.id, h), add_photo(u1.id, far)
    found = photo_index.lookup(db.session, u1.id, [h], 6)
    assert [(m.photo_id, m.bits) for m in found] == [(mine, 3)]
    assert photo_index.lookup(db.session, u1.id, [h], 2) == []
    assert {m.photo_id for m in photo_index.lookup(db.session, u2.id, [h], 6)} == {theirs}
    assert [(m.photo_id, m.bits) for m in photo_index.lookup(db.session, u1.id, [far ^ 1], 6)] == [(other, 1)]
    assert db.session.scalar(select(func.count()).select_from(PhotoHashBand)) == 12


def test_a_rephotographed_screen_is_still_a_copy():
    # ten photos of the screen (keystone, bezel, blur, colour cast, noise each drawn anew): nine in
    # ten within the 4-bit threshold, as bench/photo_dupes.py measures (96 %), and none far off
    original = _jpeg(scene(21, (1200, 900)))
    distances = [_distance(original, _jpeg(rephotograph(Image.open(io.BytesIO(original)), random.Random(seed))))
                 for seed in range(4, 14)]
    assert sum(d <= 4 for d in distances) >= 9 and max(distances) <= 8, distances

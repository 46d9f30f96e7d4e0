"""Demo data: the households' signatures on the demo visits (the demo unit asks for
them), a few 不在家 / 按手印, a few left 未签字, and a 原因说明 on the visits outside the range or
with a weak fix. Images go through the same processing as real uploads."""
import io
import random
import uuid

from PIL import Image, ImageDraw
from sqlalchemy import select

from ..extensions import db
from ..models import SignatureStatus, Visit, VisitSignature
from . import photos, signatures, storage
from .rules import PhotoRules

REASONS = {"outside_geofence": "户主在外务工，在田间地头走访", "poor_accuracy": "山里信号差，定位一直不准"}


def _scribble(rng: random.Random) -> bytes:
    img = Image.new("RGB", (480, 200), "white")
    draw = ImageDraw.Draw(img)
    x = 40
    for _ in range(rng.randint(2, 3)):  # two or three "characters"
        points = [(x + rng.randint(0, 90), rng.randint(50, 150)) for _ in range(rng.randint(5, 9))]
        draw.line(points, fill=(20, 20, 20), width=4, joint="curve")
        x += 130
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _store(visit: Visit, status: str, note: str, data: bytes | None, rules: PhotoRules) -> VisitSignature:
    sig = VisitSignature(client_uuid=str(uuid.uuid4()), visit_id=visit.id, status=status, note=note,
                         content_hash=signatures._digest(status, note, data), received_at=visit.received_at)
    if data:
        done = photos.process(data, rules)
        sig.storage_key, sig.thumb_key = photos.new_keys()
        sig.sha256, sig.width, sig.height = done.sha256, done.width, done.height
        storage.get().put(sig.storage_key, done.image)
        storage.get().put(sig.thumb_key, done.thumb)
    db.session.add(sig)
    return sig


def seed(rules: PhotoRules, rng: random.Random | None = None) -> dict[str, int]:
    rng = rng or random.Random(13)
    counts = {"signed": 0, "not_home": 0, "thumbprint": 0, "unsigned": 0, "reasons": 0}
    for v in db.session.scalars(select(Visit).order_by(Visit.checked_in_at, Visit.id)):
        for code, text in REASONS.items():
            if code in (v.flags or []) and not v.reason:
                v.reason = text
                counts["reasons"] += 1
        roll = rng.random()
        if roll < 0.84:
            _store(v, SignatureStatus.SIGNED, "", _scribble(rng), rules)
            counts["signed"] += 1
        elif roll < 0.91:
            _store(v, SignatureStatus.NOT_HOME, rng.choice(("户主外出务工，与其妻子交谈", "户主住院，与其子女交谈")), None, rules)
            counts["not_home"] += 1
        elif roll < 0.94:
            _store(v, SignatureStatus.THUMBPRINT, "户主不会写字，按手印", _scribble(rng), rules)
            counts["thumbprint"] += 1
        else:
            counts["unsigned"] += 1  # shows 未签字
    db.session.flush()
    return counts

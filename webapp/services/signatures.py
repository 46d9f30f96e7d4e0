"""The household's word on a visit: a signature drawn on the helper's phone, a
thumbprint photo, or why there is none.

The image is handled like a photo (services/photos.process: checked by content, re-encoded
without EXIF, stored by UUID with a thumbnail) but kept apart from the visit's photos: it is
not evidence of the place, counts in no photo limit and is never compared for duplicates.
One per visit, sent by the visit's helper, idempotent by its own client_uuid.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import database
from ..extensions import db
from ..models import SIGNATURE_STATUSES, SignatureStatus, Unit, User, Visit, VisitSignature
from . import access, photos, storage
from .errors import Conflict, NotFound, ValidationFailed
from .rules import PhotoRules

WITH_IMAGE = (SignatureStatus.SIGNED, SignatureStatus.THUMBPRINT)
NOTE_MAX = 200


@dataclass
class Added:
    signature: VisitSignature
    created: bool


def required(unit: Unit | None) -> bool:
    return bool(unit is not None and unit.require_signature)


def missing(visit: Visit) -> bool:
    """未签字: the visit's unit asks for the household's word and none arrived."""
    return visit.signature is None and required(visit.household.village.unit)


def _digest(status: str, note: str, data: bytes | None) -> str:
    raw = json.dumps([status, note, hashlib.sha256(data).hexdigest() if data else None])
    return hashlib.sha256(raw.encode()).hexdigest()


def check(status: str, note: str, data: bytes | None) -> None:
    errors: dict[str, list[str]] = {}
    if status not in SIGNATURE_STATUSES:
        errors["status"] = [f"应为 {'、'.join(SIGNATURE_STATUSES)} 之一。"]
    elif status in WITH_IMAGE and not data:
        errors["image"] = ["请附上签字或手印图片（表单字段 image）。"]
    elif status not in WITH_IMAGE and data:
        errors["image"] = ["户主不在家时不附图片。"]
    if len(note) > NOTE_MAX:
        errors["note"] = [f"不能超过 {NOTE_MAX} 字。"]
    if errors:
        raise ValidationFailed("签字记录有误。", errors=errors)


def _replay(existing: VisitSignature, visit_id: int, digest: str) -> Added:
    if existing.visit_id != visit_id:
        raise Conflict("这个签字 client_uuid 已用于另一次走访。", field="client_uuid")
    if existing.content_hash != digest:
        raise Conflict("同一 client_uuid 已提交过内容不同的签字，未作修改。", field="client_uuid")
    return Added(existing, created=False)


def _taken(visit_id: int) -> None:
    if db.session.scalar(select(VisitSignature.id).where(VisitSignature.visit_id == visit_id)) is not None:
        raise Conflict("这次走访已经有签字记录，不能再改。", field="client_uuid")


def add(user: User, visit_uuid: str, sig_uuid: str, status: str, note: str, data: bytes | None,
        rules: PhotoRules) -> Added:
    """Attach the household's signature (or why there is none) to the caller's own visit.

    Like photos.add: checks in the first (read-only) transaction, decoding and writing the files
    outside it, the checks repeated in the short transaction that inserts the row."""
    note = (note or "").strip()
    check(status, note, data)
    visit = access.own_visit_by_uuid(user, visit_uuid)
    visit_id = visit.id
    digest = _digest(status, note, data)
    existing = db.session.scalar(select(VisitSignature).where(VisitSignature.client_uuid == sig_uuid))
    if existing is not None:
        return _replay(existing, visit_id, digest)
    _taken(visit_id)
    sig = VisitSignature(client_uuid=sig_uuid, visit_id=visit_id, status=status, note=note, content_hash=digest)
    if data:
        database.end_read_transaction()
        done = photos.process(data, rules)
        sig.storage_key, sig.thumb_key = photos.new_keys()
        sig.sha256, sig.width, sig.height = done.sha256, done.width, done.height
    try:
        if data:
            store = storage.get()
            store.put(sig.storage_key, done.image)
            store.put(sig.thumb_key, done.thumb)
        existing = db.session.scalar(select(VisitSignature).where(VisitSignature.client_uuid == sig_uuid))
        if existing is not None:
            discard(sig)
            return _replay(existing, visit_id, digest)
        _taken(visit_id)
        with db.session.begin_nested():
            db.session.add(sig)
            db.session.flush()
    except IntegrityError:
        discard(sig)
        existing = db.session.scalar(select(VisitSignature).where(VisitSignature.client_uuid == sig_uuid))
        if existing is None:
            raise Conflict("这次走访已经有签字记录，不能再改。", field="client_uuid") from None
        return _replay(existing, visit_id, digest)
    except BaseException:
        discard(sig)
        raise
    return Added(sig, created=True)


def discard(sig: VisitSignature) -> None:
    store = storage.get()
    for key in (sig.storage_key, sig.thumb_key):
        if key:
            store.delete(key)


def for_viewer(user: User, visit_id: int) -> VisitSignature:
    """The signature image of a visit the user may see (the same scope as its photos)."""
    visit = access.visit(user, visit_id)
    if visit.signature is None or not visit.signature.storage_key:
        raise NotFound("这次走访没有签字图片。")
    return visit.signature


def open_image(sig: VisitSignature, thumb: bool = False):
    return storage.get().open(sig.thumb_key if thumb else sig.storage_key)

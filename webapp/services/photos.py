"""Photos: checked by content, re-encoded without EXIF, stored by UUID behind the storage interface.

Nothing from the upload is kept as it came: Pillow must decode the whole image (JPEG, PNG,
WebP or HEIC), the orientation is applied, and a new JPEG (long edge ≤ PHOTO_LONG_EDGE) and a
thumbnail (≤ THUMB_LONG_EDGE) are written. Neither carries EXIF (so no GPS, no camera serial);
the capture time is kept as a field instead.

Memory is bounded before anything is decoded: a JPEG is decoded at the smallest DCT scale that
still covers PHOTO_LONG_EDGE (Pillow's draft: a 4000×3000 phone photo decodes at 2000×1500), and
the working memory the rest needs is estimated from the header (`working_bytes`) and refused
beyond PHOTO_MEMORY_BUDGET_MB. A large image is shrunk right after decoding, before the
orientation and the thumbnail are made, so no second full-size copy is ever held.
"""
from __future__ import annotations

import hashlib
import io
import math
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone

import pillow_heif
from PIL import ExifTags, Image, UnidentifiedImageError
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from .. import database
from ..extensions import db
from ..models import Photo, PhotoHashBand, User, Visit
from . import access, phash, photo_index, storage, visit_flags
from .calendar import tz
from .errors import Conflict, DomainError, ValidationFailed
from .rules import PhotoRules, VisitRules

pillow_heif.register_heif_opener()

FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
EXIF_IFD = 0x8769
TAG_DATETIME = 306
TAG_DATETIME_ORIGINAL = 36867
TAG_OFFSET_ORIGINAL = 36881
INCOMPLETE = "照片文件不完整或已损坏（可能上传中断），请重新拍摄或选择。"


class UnsupportedMedia(DomainError):
    status = 415


class TooLarge(DomainError):
    status = 413


@dataclass
class Processed:
    image: bytes
    thumb: bytes
    width: int
    height: int
    sha256: str
    exif_captured_at: datetime | None


class _Truncated(Exception):
    pass


class _StrictReader(io.BytesIO):
    """Fails a read past the end instead of returning b"".

    Pillow pads a cut-off JPEG or PNG with grey when ImageFile.LOAD_TRUNCATED_IMAGES is on, and
    WeasyPrint turns that global on when it is imported. A photo cut off in upload must be
    refused whatever that global says, so truncation is detected here, by the reader.
    """

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if size is not None and size > 0 and not data:
            raise _Truncated
        return data


def _exif_time(img: Image.Image) -> datetime | None:
    """DateTimeOriginal (with its offset when present; local time otherwise) as UTC."""
    try:
        exif = img.getexif()
        sub = exif.get_ifd(EXIF_IFD)
        raw = sub.get(TAG_DATETIME_ORIGINAL) or exif.get(TAG_DATETIME)
        if not raw:
            return None
        when = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        offset = sub.get(TAG_OFFSET_ORIGINAL)
        if offset:
            when = datetime.fromisoformat(when.isoformat() + str(offset).strip("\x00 "))
        else:
            when = when.replace(tzinfo=tz())
        return when.astimezone(timezone.utc)
    except Exception:  # EXIF is advisory: a broken block is no reason to refuse the photo
        return None


def _flatten(img: Image.Image) -> Image.Image:
    """RGB on white, whatever the source mode (palette, alpha, CMYK, 16-bit…). An RGBA image
    is its own mask, so only the RGB result is added to the source's memory."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img if img.mode == "RGBA" else img.convert("RGBA")
        out = Image.new("RGB", rgba.size, (255, 255, 255))
        out.paste(rgba, mask=rgba)
        return out
    return img if img.mode == "RGB" else img.convert("RGB")


# --- the memory budget ---------------------------------------------------------------------------
# Pillow keeps RGB, RGBA, CMYK, I and F images at 4 bytes a pixel, I;16 at 2, L and P at 1.
MB = 1024 * 1024
ORIENTATION = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
               5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
               8: Image.Transpose.ROTATE_90}


def reduce_on_decode(img: Image.Image, long_edge: int) -> None:
    """JPEG: decode at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling) while the result still
    covers long_edge on its long side. Other formats decode at full size."""
    w, h = img.size
    if img.format not in ("JPEG", "MPO") or max(w, h) < 2 * long_edge:
        return
    f = long_edge / max(w, h)
    img.draft(None, (max(1, math.ceil(w * f)), max(1, math.ceil(h * f))))


def working_bytes(img: Image.Image) -> int:
    """Peak memory process() needs for this opened, not yet decoded image (after
    reduce_on_decode), the largest of: the decode (plus libheif's own 3-byte copy for HEIC);
    the decoded image and its RGB conversion side by side (alpha, palette, CMYK, grey…); the
    RGB image and half of it again, LANCZOS's intermediate while it shrinks to PHOTO_LONG_EDGE."""
    pixels = img.size[0] * img.size[1]
    source = pixels * (1 if img.mode in ("1", "L", "P") else 2 if img.mode.startswith("I;16") else 4)
    rgb = pixels * 4
    decode = source + (pixels * 3 if img.format == "HEIF" else 0)
    convert = 0 if img.mode == "RGB" else source + rgb
    return max(decode, convert, rgb + rgb // 2)


def _check_budget(img: Image.Image, rules: PhotoRules) -> None:
    budget = rules.memory_budget_mb * MB
    need = working_bytes(img)
    if need > budget:
        w, h = img.size
        raise ValidationFailed(
            f"照片解码后太大（{w}×{h}，处理约需 {need / MB:.0f} MB 内存，上限 {budget / MB:.0f} MB），已拒收。"
            "请上传手机相机拍的普通照片，或先缩小后再上传。", field="photo")


def _shrink(img: Image.Image, long_edge: int) -> Image.Image:
    """At most long_edge on the long side, in place (the full-size pixels are released)."""
    if max(img.size) > long_edge:
        img.thumbnail((long_edge, long_edge), Image.Resampling.LANCZOS)
    return img


def _orientation(img: Image.Image) -> Image.Transpose | None:
    try:
        return ORIENTATION.get(img.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # noqa: BLE001 — a broken EXIF block: keep the picture as it is stored
        return None


def _jpeg(img: Image.Image, long_edge: int, quality: int) -> tuple[bytes, int, int]:
    out = img
    if max(img.size) > long_edge:
        out = img.copy()
        out.thumbnail((long_edge, long_edge), Image.Resampling.LANCZOS)
    out.info.clear()  # no comment, XMP or ICC carried into the output
    buf = io.BytesIO()
    # baseline, optimised Huffman tables: progressive would cost 3× the encoding time for ~4% size
    out.save(buf, "JPEG", quality=quality, optimize=True)
    return buf.getvalue(), out.width, out.height


def process(data: bytes, rules: PhotoRules) -> Processed:
    """Check an upload and make the stored image and thumbnail. Raises a 4xx DomainError."""
    max_bytes = rules.max_bytes
    if not data:
        raise ValidationFailed("照片文件是空的。", field="photo")
    if len(data) > max_bytes:
        raise TooLarge(f"照片太大（{len(data) / 1048576:.1f} MB），上限 {max_bytes / 1048576:.0f} MB。", field="photo")
    max_pixels = rules.max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(_StrictReader(data), formats=FORMATS)
        except _Truncated:
            raise ValidationFailed(INCOMPLETE, field="photo") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationFailed("图片像素过多（疑似“解压炸弹”），已拒收。", field="photo") from None
        except UnidentifiedImageError:
            raise UnsupportedMedia("不是可识别的照片：只接受 JPEG、PNG、WebP 或 HEIC 图片。", field="photo") from None
        except Exception:
            raise UnsupportedMedia("照片文件已损坏，无法读取。", field="photo") from None
        try:
            w, h = img.size
            if w < 1 or h < 1:
                raise ValidationFailed("照片尺寸无效。", field="photo")
            if w * h > max_pixels:
                raise ValidationFailed(
                    f"图片像素过多（{w}×{h}），上限 {max_pixels // 1_000_000} 百万像素（疑似“解压炸弹”），已拒收。",
                    field="photo")
            long_edge = rules.long_edge
            reduce_on_decode(img, long_edge)
            _check_budget(img, rules)  # before anything decodes (a PNG's getexif() decodes the whole image)
            captured = _exif_time(img)
            if img.format == "PNG":
                # every chunk's checksum, image data included: with LOAD_TRUNCATED_IMAGES on (see
                # _StrictReader) Pillow would decode a damaged IDAT into grey instead of failing
                Image.open(_StrictReader(data), formats=("PNG",)).verify()
            img.load()  # decodes everything: a truncated or corrupt file fails here
            turn = _orientation(img)
            rgb = _flatten(img)
            del img  # once converted, the decoded original is not needed: released before shrinking
            rgb = _shrink(rgb, long_edge)
            if turn is not None:
                rgb = rgb.transpose(turn)
        except DomainError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationFailed("图片像素过多（疑似“解压炸弹”），已拒收。", field="photo") from None
        except (_Truncated, OSError, ValueError, SyntaxError, EOFError):
            raise ValidationFailed(INCOMPLETE, field="photo") from None
    image, width, height = _jpeg(rgb, long_edge, 85)
    thumb, _, _ = _jpeg(rgb, rules.thumb_long_edge, 75)
    return Processed(image, thumb, width, height, hashlib.sha256(image).hexdigest(), captured)


def new_keys() -> tuple[str, str]:
    hex_ = uuid.uuid4().hex
    return storage.new_key("photos", hex_), storage.new_key("thumbs", hex_)


# --- attaching a photo to a visit ---------------------------------------------------------------

@dataclass
class Added:
    photo: Photo
    created: bool


def _replay(existing: Photo, visit_id: int) -> Added:
    if existing.visit_id != visit_id:
        raise Conflict("这个照片 client_uuid 已用于另一次走访。", field="client_uuid")
    return Added(existing, created=False)


def _check_room(visit_id: int, limit: int) -> None:
    count = db.session.scalar(select(func.count()).select_from(Photo).where(Photo.visit_id == visit_id)) or 0
    if count >= limit:
        raise ValidationFailed(f"每次走访最多 {limit} 张照片。", field="photo")


def add(user: User, visit_uuid: str, photo_uuid: str, data: bytes, captured_at: datetime | None,
        rules: VisitRules) -> Added:
    """Attach an uploaded photo to the caller's visit. The same photo uuid again is a replay.

    Files are written only after every check passed; if the row cannot be written they are
    removed again (`discard`), so a refused upload leaves nothing behind.

    Decoding, re-encoding and writing the files (50–300 ms) happen between two transactions:
    the checks run in the request's first one, which is ended before (it has only read), and
    are repeated in the short second one that inserts the row. So SQLite's write lock is not
    held through the slow part and a burst of uploads does not queue behind it.
    """
    visit = access.own_visit_by_uuid(user, visit_uuid)
    visit_id, unit_id = visit.id, visit.helper.unit_id
    existing = db.session.scalar(select(Photo).where(Photo.client_uuid == photo_uuid))
    if existing is not None:
        return _replay(existing, visit_id)
    _check_room(visit_id, rules.max_photos)
    database.end_read_transaction()
    done = process(data, rules.photo)
    hashes = phash.from_bytes(done.thumb)  # outside any transaction: ~20 ms of arithmetic
    image_key, thumb_key = new_keys()
    store = storage.get()
    photo = Photo(client_uuid=photo_uuid, visit_id=visit_id, sha256=done.sha256, storage_key=image_key,
                  thumb_key=thumb_key, width=done.width, height=done.height, size_bytes=len(done.image),
                  captured_at=captured_at or done.exif_captured_at, phash=phash.to_hex(hashes["full"]))
    try:
        store.put(image_key, done.image)
        store.put(thumb_key, done.thumb)
        # the write transaction begins here (files written): the index lookup is a few ms
        matches = similar(unit_id, visit_id, done.sha256, hashes, rules.duplicate_max_bits)
        # the same photo or the visit's last free place may have been taken meanwhile; uploads to
        # one visit sent at once count its photos one after the other (the visit's row lock)
        database.lock(Visit, visit_id)
        existing = db.session.scalar(select(Photo).where(Photo.client_uuid == photo_uuid))
        if existing is not None:
            discard(photo)
            return _replay(existing, visit_id)
        _check_room(visit_id, rules.max_photos)
        with db.session.begin_nested():
            db.session.add(photo)
            db.session.flush()
            db.session.execute(insert(PhotoHashBand), photo_index.all_rows(unit_id, photo.id, hashes))
    except IntegrityError:
        discard(photo)
        existing = db.session.scalar(select(Photo).where(Photo.client_uuid == photo_uuid))
        if existing is None or existing.visit_id != visit_id:
            raise Conflict("这个照片 client_uuid 已用于另一次走访。", field="client_uuid") from None
        return Added(existing, created=False)
    except BaseException:
        discard(photo)
        raise
    flag_photo(photo, matches, rules)
    return Added(photo, created=True)


def discard(photo: Photo) -> None:
    """Remove a photo's files (after a failed write)."""
    store = storage.get()
    for key in (photo.storage_key, photo.thumb_key):
        if key:
            store.delete(key)


def open_image(photo: Photo, thumb: bool = False):
    return storage.get().open(photo.thumb_key if thumb else photo.storage_key)


# --- near-copies: perceptual hashes, looked up in the unit's index --------------------

def similar(unit_id: int, visit_id: int, sha256: str, hashes: dict[str, int],
            threshold: int) -> list[tuple[Photo, int]]:
    """Earlier photos of the unit (any helper, other visits) this one copies (up to threshold
    bits apart: PHOTO_DUPLICATE_MAX_BITS): (photo, bits)."""
    found = {m.photo_id: m.bits for m in photo_index.lookup(
        db.session, unit_id, [hashes[n] for n in phash.QUERY_VARIANTS], threshold)}
    # photos stored before the index existed: the same bytes
    same = select(Photo.id).join(Visit, Visit.id == Photo.visit_id).join(User, User.id == Visit.helper_id).where(
        Photo.sha256 == sha256, User.unit_id == unit_id)
    for pid in db.session.scalars(same):
        found.setdefault(pid, 0)
    if not found:
        return []
    rows = db.session.scalars(select(Photo).where(Photo.id.in_(found), Photo.visit_id != visit_id)
                              .order_by(Photo.id).limit(20)).all()
    return [(p, found[p.id]) for p in rows]


def flag_photo(photo: Photo, matches: list[tuple[Photo, int]], rules: VisitRules) -> None:
    """A new photo: its visit's photo-time flag, and 重复照片 on both visits of every match."""
    visit = db.session.get(Visit, photo.visit_id)
    db.session.expire(visit, ["photos"])
    for other, bits in matches:
        other_visit = db.session.get(Visit, other.visit_id)
        visit_flags.add_duplicate(visit, {"photo_id": photo.id, "other_photo_id": other.id,
                                          "other_visit_id": other.visit_id, "bits": bits,
                                          "at": other_visit.checked_in_at.isoformat()})
        visit_flags.add_duplicate(other_visit, {"photo_id": other.id, "other_photo_id": photo.id,
                                                "other_visit_id": visit.id, "bits": bits,
                                                "at": visit.checked_in_at.isoformat()})
    visit_flags.store(visit, visit_flags.compute(visit, rules))
    db.session.flush()

"""Copying a whole store to another (`flask storage migrate --to s3://…`) and checking that every
key the database points at is there (`flask storage check`).

The copy is idempotent and resumable: a key already in the target with the source's size is
skipped, so a run that was stopped is simply run again; every copied object's size is read back
from the target and compared. Nothing is ever deleted from the source.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from sqlalchemy import select

from ..extensions import db
from ..models import Checkin, Photo, PrintJob
from .storage import Storage


@dataclass
class CopyResult:
    copied: int = 0
    skipped: int = 0  # already in the target with the same size
    bytes: int = 0
    failed: list[str] = field(default_factory=list)  # "key: reason"

    @property
    def ok(self) -> bool:
        return not self.failed


def _copy_one(src: Storage, dst: Storage, key: str, have: dict[str, int]) -> tuple[str, int | None, str | None]:
    size = src.size(key)
    if size is None:
        return "gone", None, None  # deleted from the source meanwhile (an expired print result)
    if have.get(key) == size:
        return "skipped", size, None
    with src.open(key) as f:
        data = f.read()
    if len(data) != size:
        return "failed", None, f"{key}: read {len(data)} of {size} bytes"
    dst.put(key, data)
    stored = dst.size(key)
    if stored != size:
        return "failed", None, f"{key}: {stored} bytes in the target, {size} in the source"
    return "copied", size, None


def copy_all(src: Storage, dst: Storage, workers: int = 8,
             progress: Callable[[CopyResult], None] | None = None) -> CopyResult:
    """Copy every key of src missing (or of another size) in dst, verifying sizes."""
    if src.url == dst.url:
        raise ValueError("source and target are the same store")
    have = _sizes(dst)
    result = CopyResult()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for n, (status, size, error) in enumerate(pool.map(lambda k: _copy_one(src, dst, k, have), src.keys()), 1):
            if status == "copied":
                result.copied += 1
                result.bytes += size or 0
            elif status == "skipped":
                result.skipped += 1
            elif status == "failed":
                result.failed.append(error or "?")
            if progress is not None and n % 500 == 0:
                progress(result)
    return result


def _sizes(store: Storage) -> dict[str, int]:
    return dict(store.sizes())


def referenced_keys() -> Iterator[str]:
    """Every key a row points at: photos and thumbnails, check-in photos and thumbnails, results."""
    from . import attendance

    for image, thumb in db.session.execute(select(Photo.storage_key, Photo.thumb_key)).yield_per(5000):
        yield image
        yield thumb
    for checkin in db.session.scalars(select(Checkin).where(Checkin.photo_key.is_not(None))).yield_per(5000):
        yield checkin.photo_key
        yield attendance.thumb_key(checkin)
    yield from db.session.scalars(select(PrintJob.result_key).where(PrintJob.result_key.is_not(None)))


def missing(store: Storage, keys: Iterable[str]) -> list[str]:
    """The keys (of those given) that the store does not hold."""
    held = _sizes(store)
    return [k for k in keys if k not in held]

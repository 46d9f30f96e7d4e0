"""Where uploaded files live: one small interface, two implementations.

- `file:///path` (the default: UPLOAD_DIR): files on this machine's disk;
- `s3://bucket/prefix`: an S3-compatible object store (MinIO, OSS, COS, OBS, AWS), reached with
  boto3 at S3_ENDPOINT_URL with the standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
  AWS_DEFAULT_REGION variables. Objects are written private (no ACL is ever set); they reach a
  user only through the access-checked routes, which stream them.

Keys are opaque strings made by the caller from UUIDs ("photos/ab/ab12….jpg"); no user-given
name ever reaches the store. The order that keeps rows and objects in step: write the object,
then commit the row (on a failed commit delete the object again); a row that goes deletes its
object only after its commit (`delete_after_commit`). So a row never points at a missing
object; a crash in between leaves at worst an orphan object, never a dangling row.
"""
from __future__ import annotations

import io
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol
from urllib.parse import unquote, urlparse

from sqlalchemy import event
from sqlalchemy.orm import Session

from .errors import DomainError

KEY_RE = re.compile(r"^[a-z]+(/[0-9a-f]{2})?/[0-9a-f]{32}(\.[a-z0-9]{2,5})?$")
SMALL_OBJECT = 16 * 1024 * 1024  # read into memory up to this size (photos); larger ones stream


class Storage(Protocol):
    url: str

    def put(self, key: str, data: bytes) -> None: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int | None: ...

    def keys(self) -> Iterator[str]: ...

    def sizes(self) -> Iterator[tuple[str, int]]: ...


def check_key(key: str) -> str:
    if not KEY_RE.match(key):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class DiskStorage:
    def __init__(self, root: str | os.PathLike, fsync: bool = True):
        self.root = Path(root)
        self.fsync = fsync  # off only for bulk demo data
        self.url = self.root.resolve().as_uri()

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        """Write atomically: a reader never sees half a file, a crash leaves no partial one."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                if self.fsync:
                    os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def keys(self) -> Iterator[str]:
        """Every stored key (leftover temp files and anything else not a key are skipped)."""
        if not self.root.exists():
            return
        for p in sorted(self.root.rglob("*")):
            key = p.relative_to(self.root).as_posix()
            if p.is_file() and KEY_RE.match(key):
                yield key

    def sizes(self) -> Iterator[tuple[str, int]]:
        for key in self.keys():
            if (size := self.size(key)) is not None:
                yield key, size

    def files(self) -> list[Path]:
        """Every stored file (tests and backups)."""
        return [self.root / k for k in self.keys()]


class StoreUnavailable(DomainError):
    """The object store did not answer or refused (503: the phone's outbox sends again later)."""

    status = 503

    def __init__(self, detail: str = ""):
        super().__init__("文件存储暂时不可用，请稍后重试。")
        self.detail = detail


_MISSING = ("404", "NoSuchKey", "NotFound")


class S3Storage:
    """An S3 bucket (optionally under a prefix). The bucket must exist and must not be public."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, client=None):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")
        self.client = client or _client(endpoint_url)

    def _call(self, op: str, key: str | None = None, **kw):
        """One request; a missing object is FileNotFoundError, any other failure StoreUnavailable."""
        from botocore.exceptions import BotoCoreError, ClientError

        if key is not None:
            kw["Key"] = self.prefix + check_key(key)
        try:
            return getattr(self.client, op)(Bucket=self.bucket, **kw)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _MISSING:
                raise FileNotFoundError(key) from None
            raise StoreUnavailable(f"{op} {key}: {err}") from err
        except BotoCoreError as err:
            raise StoreUnavailable(f"{op} {key}: {err}") from err

    def put(self, key: str, data: bytes) -> None:
        """One PUT: S3 makes the object visible whole or not at all. No ACL: private."""
        self._call("put_object", key, Body=data)

    def open(self, key: str) -> BinaryIO:
        obj = self._call("get_object", key)
        body = obj["Body"]
        if (obj.get("ContentLength") or 0) <= SMALL_OBJECT:
            with body:
                return io.BytesIO(body.read())
        return body  # a batch print result: streamed in chunks

    def delete(self, key: str) -> None:
        self._call("delete_object", key)

    def size(self, key: str) -> int | None:
        try:
            return self._call("head_object", key)["ContentLength"]
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def sizes(self) -> Iterator[tuple[str, int]]:
        """(key, size) of every object, from the listing (one request per 1,000 keys)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
                for obj in page.get("Contents", []):
                    key = obj["Key"][len(self.prefix):]
                    if KEY_RE.match(key):
                        yield key, obj["Size"]
        except (BotoCoreError, ClientError) as err:
            raise StoreUnavailable(f"list {self.url}: {err}") from err

    def keys(self) -> Iterator[str]:
        return (key for key, _ in self.sizes())


_clients: dict[str | None, object] = {}
_clients_lock = threading.Lock()


def _client(endpoint_url: str | None):
    """One boto3 client per endpoint and process (clients are thread-safe and slow to make)."""
    with _clients_lock:
        if endpoint_url not in _clients:
            import boto3
            from botocore.config import Config

            region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
            _clients[endpoint_url] = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url or None, region_name=region,
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"},
                              connect_timeout=5, read_timeout=30, max_pool_connections=20))
        return _clients[endpoint_url]


def from_url(url: str, endpoint_url: str | None = None, fsync: bool = True) -> Storage:
    """`file:///path` or `s3://bucket/prefix` (a plain path is taken as a folder)."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"no bucket in {url!r}")
        return S3Storage(parsed.netloc, parsed.path, endpoint_url)
    if parsed.scheme == "file":
        return DiskStorage(unquote(parsed.path), fsync=fsync)
    if parsed.scheme == "":
        return DiskStorage(url, fsync=fsync)
    raise ValueError(f"unknown storage URL {url!r}: use file:///path or s3://bucket/prefix")


@dataclass(frozen=True)
class Location:
    """Where the store is: STORAGE_URL (file:///path or s3://bucket/prefix), else the disk under
    UPLOAD_DIR; S3_ENDPOINT_URL for an S3-compatible service."""
    upload_dir: str
    url: str | None = None
    endpoint_url: str | None = None

    def open(self, fsync: bool = True) -> Storage:
        if not self.url:
            return DiskStorage(self.upload_dir, fsync=fsync)
        return from_url(self.url, self.endpoint_url, fsync=fsync)


_locate: Callable[[], Location] | None = None


def locate_with(locator: Callable[[], Location]) -> None:
    """Install how `get()` finds the current Location (create_app: the running app's settings,
    webapp/web/rules.py). Services keep calling `get()` and never read the config."""
    global _locate
    _locate = locator


def get(fsync: bool = True) -> Storage:
    """The configured store (see Location)."""
    if _locate is None:
        raise RuntimeError("storage: no location installed (create_app installs one)")
    return _locate().open(fsync=fsync)


def new_key(prefix: str, uuid_hex: str, ext: str = "jpg") -> str:
    return f"{prefix}/{uuid_hex[:2]}/{uuid_hex}.{ext}"


# --- deleting objects only after their row's deletion is committed -----------------------------

def delete_after_commit(session: Session, store: Storage, key: str | None) -> None:
    """Delete the object when the session's transaction commits (not if it rolls back): the row
    that pointed at it is gone first, so no row is ever left pointing at a missing object."""
    if key:
        session.info.setdefault("storage_deletes", []).append((store, key))


@event.listens_for(Session, "after_commit")
def _delete_committed(session: Session) -> None:
    pending = session.info.pop("storage_deletes", [])
    for store, key in pending:
        try:
            store.delete(key)
        except Exception:  # noqa: BLE001 — an orphan object is harmless; a dangling row is not
            import logging

            logging.getLogger(__name__).warning("could not delete %s from %s", key, store.url)


@event.listens_for(Session, "after_soft_rollback")
def _forget_deletes(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop("storage_deletes", None)

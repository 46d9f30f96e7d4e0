"""Where uploaded files live: one small interface, a disk implementation under UPLOAD_DIR.

Keys are opaque strings made by the caller from UUIDs ("photos/ab/ab12….jpg"); no user-given
name ever reaches the file system. An S3-compatible store can implement the same four methods.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

KEY_RE = re.compile(r"^[a-z]+(/[0-9a-f]{2})?/[0-9a-f]{32}(\.[a-z0-9]{2,5})?$")


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class DiskStorage:
    def __init__(self, root: str | os.PathLike, fsync: bool = True):
        self.root = Path(root)
        self.fsync = fsync  # off only for bulk demo data

    def _path(self, key: str) -> Path:
        if not KEY_RE.match(key):
            raise ValueError(f"invalid storage key {key!r}")
        return self.root / key

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

    def files(self) -> list[Path]:
        """Every stored file (tests and backups)."""
        if not self.root.exists():
            return []
        return [p for p in self.root.rglob("*") if p.is_file()]


def get(fsync: bool = True) -> Storage:
    """The configured store (disk under UPLOAD_DIR)."""
    return DiskStorage(current_app.config["UPLOAD_DIR"], fsync=fsync)


def new_key(prefix: str, uuid_hex: str, ext: str = "jpg") -> str:
    return f"{prefix}/{uuid_hex[:2]}/{uuid_hex}.{ext}"

"""Consistent online backups (database + photo store) and the matching restore.

A backup is a folder: `database.sqlite` (SQLite online backup API) or `database.dump`
(pg_dump custom format), `uploads/` (the photo store, disk or S3, laid out by key) and
`manifest.json` (row counts, files, the store's URL).

The database is copied first, the store second: every object a row of the copy points at was
written before that row was committed, so it is there when the store is copied (photos are never
deleted; a print result that expires in between is restored as a dangling `result_key` whose
download answers 文件已不存在). With `objects=False` (`flask backup --database-only`, for an
object store too big to copy) the store is not copied and the manifest says what the store's
own backup must cover (STORE_BACKUP_DUTY).
"""
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from ..extensions import db
from .storage import KEY_RE, DiskStorage, Storage

STORE_BACKUP_DUTY = (
    "对象存储未复制到本备份。对象存储自身的备份必须覆盖：{url} 下的全部对象（photos/、thumbs/、checkins/、"
    "checkinthumbs/、prints/）；开启桶的版本控制（versioning），已删除或覆盖的版本至少保留到最早一份仍需恢复的"
    "数据库备份之后；或复制（replication）到另一地点的桶。恢复时：先恢复数据库，再把桶恢复到不早于该数据库备份"
    "时刻的状态（对象只会在其数据行提交之前写入，所以更晚的状态也不缺文件）；`flask storage check` 列出缺失的对象。"
)


class BackupError(Exception):
    pass


def row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _pg_args(url) -> tuple[list[str], dict]:
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def backup(database_url: str, store: Storage | str, target: Path, objects: bool = True) -> dict:
    """store: the photo store (a plain path: a folder on disk)."""
    store = DiskStorage(store) if isinstance(store, (str, os.PathLike)) else store
    url = make_url(database_url)
    target.mkdir(parents=True, exist_ok=False)
    manifest = {"created_at": datetime.now(timezone.utc).isoformat(), "backend": url.get_backend_name(),
                "rows": row_counts(), "storage": store.url}
    db.session.rollback()  # read nothing stale; the copy itself is consistent
    if url.get_backend_name() == "sqlite":
        src = sqlite3.connect(url.database)
        dst = sqlite3.connect(target / "database.sqlite")
        with dst:
            src.backup(dst)
        dst.close()
        src.close()
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        done = subprocess.run(["pg_dump", *args, "-Fc", "-f", str(target / "database.dump"), url.database],
                              env=env, capture_output=True, text=True)
        if done.returncode:
            raise BackupError(done.stderr.strip())
    else:
        raise BackupError(f"unsupported database: {url.get_backend_name()}")
    if objects:
        _copy_out(store, target / "uploads")
    else:
        manifest["objects_not_copied"] = STORE_BACKUP_DUTY.format(url=store.url)
    manifest["files"] = _files(target / "uploads")
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def restore(source: Path, database_url: str, store: Storage | str) -> dict:
    """Restore into an EMPTY database and an empty store (upload folder or bucket prefix)."""
    store = DiskStorage(store) if isinstance(store, (str, os.PathLike)) else store
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    if (source / "uploads").exists() and not _empty(store):
        raise BackupError(f"{store.url} is not empty")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        dest = Path(url.database)
        if dest.exists() and dest.stat().st_size:
            raise BackupError(f"{dest} exists: restore only into a new database")
        src = sqlite3.connect(source / "database.sqlite")
        dst = sqlite3.connect(dest)
        with dst:
            src.backup(dst)
        dst.close()
        src.close()
    else:
        args, env = _pg_args(url)
        done = subprocess.run(["pg_restore", *args, "--no-owner", "-d", url.database, str(source / "database.dump")],
                              env=env, capture_output=True, text=True)
        if done.returncode:
            raise BackupError(done.stderr.strip())
    if (source / "uploads").exists():
        _copy_in(source / "uploads", store)
    return manifest


def _empty(store: Storage) -> bool:
    if isinstance(store, DiskStorage):
        return not store.root.exists() or not any(store.root.iterdir())
    return next(iter(store.keys()), None) is None


def _copy_out(store: Storage, dest: Path) -> None:
    """The store's files under dest, by key (a disk store: the folder as it is)."""
    if isinstance(store, DiskStorage):
        if store.root.exists():
            shutil.copytree(store.root, dest)
        return
    for key, size in store.sizes():  # the listing gives the sizes: no request per object for them
        path = dest / key
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with store.open(key) as f, open(path, "wb") as out:
                shutil.copyfileobj(f, out, 1 << 20)
        except FileNotFoundError:
            path.unlink(missing_ok=True)  # deleted since the listing (an expired print result)
            continue
        if path.stat().st_size != size:
            raise BackupError(f"{key}: {path.stat().st_size} bytes copied, {size} in the store")


def _copy_in(src: Path, store: Storage) -> None:
    if isinstance(store, DiskStorage):
        shutil.copytree(src, store.root, dirs_exist_ok=True)
        return
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        key = path.relative_to(src).as_posix()
        if KEY_RE.match(key):
            store.put(key, path.read_bytes())

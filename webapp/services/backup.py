"""Consistent online backups (database + photo store) and the matching restore.

A backup is a folder: `database.sqlite` (SQLite online backup API) or `database.dump`
(pg_dump custom format), `uploads/` (the photo store) and `manifest.json` (row counts, files).
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


def backup(database_url: str, upload_dir: str, target: Path) -> dict:
    url = make_url(database_url)
    target.mkdir(parents=True, exist_ok=False)
    manifest = {"created_at": datetime.now(timezone.utc).isoformat(), "backend": url.get_backend_name(),
                "rows": row_counts()}
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
    uploads = Path(upload_dir)
    if uploads.exists():
        shutil.copytree(uploads, target / "uploads")
    manifest["files"] = _files(target / "uploads")
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def restore(source: Path, database_url: str, upload_dir: str) -> dict:
    """Restore into an EMPTY database and upload folder."""
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
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
    uploads = Path(upload_dir)
    if uploads.exists() and any(uploads.iterdir()):
        raise BackupError(f"{uploads} is not empty")
    if (source / "uploads").exists():
        shutil.copytree(source / "uploads", uploads, dirs_exist_ok=True)
    return manifest

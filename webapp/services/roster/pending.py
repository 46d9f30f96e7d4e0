"""An uploaded roster waiting for the office admin to confirm the preview.

The files are kept on disk under a random token, with the admin, the unit, the options and the
preview's fingerprint. Confirming loads them only for the same admin of the same unit, and imports
only when planning again gives the same fingerprint (the same file against the same data).
"""
import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass
class Pending:
    token: str
    user_id: int
    unit_id: int
    files: list[tuple[str, bytes]]
    options: dict
    fingerprint: str


def _dir(base: str | Path, token: str) -> Path | None:
    if not TOKEN_RE.match(token or ""):
        return None
    return Path(base) / token


def save(base: str | Path, user_id: int, unit_id: int, files: list[tuple[str, bytes]], options: dict,
         ttl_minutes: int) -> str:
    root = Path(base)
    root.mkdir(parents=True, exist_ok=True)
    purge(root, ttl_minutes)
    token = secrets.token_urlsafe(24)
    folder = root / token
    folder.mkdir(mode=0o700)
    for i, (_, data) in enumerate(files):
        (folder / f"{i}.bin").write_bytes(data)
    meta = {"user_id": user_id, "unit_id": unit_id, "names": [name for name, _ in files], "options": options,
            "fingerprint": "", "created": time.time()}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return token


def set_fingerprint(base: str | Path, token: str, fingerprint: str) -> None:
    folder = _dir(base, token)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    meta["fingerprint"] = fingerprint
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def load(base: str | Path, token: str, user_id: int, unit_id: int, ttl_minutes: int) -> Pending | None:
    """The pending upload, or None when the token is unknown, expired, or another admin's or unit's."""
    folder = _dir(base, token)
    if folder is None or not (folder / "meta.json").is_file():
        return None
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user_id or meta.get("unit_id") != unit_id:
        return None
    if time.time() - meta.get("created", 0) > ttl_minutes * 60:
        discard(base, token)
        return None
    files = [(name, (folder / f"{i}.bin").read_bytes()) for i, name in enumerate(meta["names"])]
    return Pending(token, user_id, unit_id, files, meta.get("options") or {}, meta.get("fingerprint", ""))


def discard(base: str | Path, token: str) -> None:
    folder = _dir(base, token)
    if folder is not None and folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)


def purge(base: str | Path, ttl_minutes: int) -> None:
    """Delete uploads nobody confirmed in time (they hold ID numbers)."""
    limit = time.time() - ttl_minutes * 60
    for folder in Path(base).iterdir():
        if folder.is_dir() and TOKEN_RE.match(folder.name) and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)

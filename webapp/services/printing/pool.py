"""Single printed documents (a diary, an attendance sheet) made outside the request workers, with
bounds (no single account can occupy the server).

    with pdf_pool.reserved(limits, user_id):      # one document per user, N server-wide
        ...build the HTML...
        data = pdf_pool.render(limits, html, thumbs)   # a separate process, time- and page-bounded

- **One per user, N per server.** `reserved()` takes two non-blocking `flock` locks in the lock
  folder (PDF_LOCK_DIR, default `instance/locks/pdf-<database>/`): `user-<id>.lock` (taken: 429
  at once) and one of PDF_RENDER_SLOTS `slot-<n>.lock` (all taken for PDF_SLOT_WAIT_SECONDS:
  503). File locks are shared by every gunicorn worker of the machine and released by the
  kernel when their process dies, so a crashed worker never leaves a slot taken.
- **Not in the request worker.** `render()` forks a fresh process from the warmed fork server
  (services/printing/worker_preload.py, the same as batch printing): the request thread only waits on
  a pipe, holding no CPU and no GIL. The process runs at a lower priority (PDF_RENDER_NICE, +10), so pages of
  other users go first, and its memory goes back to the system when it ends.
- **Bounded.** The process is killed after PDF_RENDER_TIMEOUT_SECONDS (and kills itself a few
  seconds later should its parent be gone); a document of more than PDF_MAX_PAGES pages is
  refused after layout, before it is written.

No Flask here: `limits_from(config, instance_path)` turns the app's settings into `Limits`.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import DomainError

log = logging.getLogger(__name__)

# "__main__" first: the fork server imports the program's main module once (gunicorn's script), so
# each forked process does not import it again before it starts (multiprocessing does, otherwise)
PRELOAD = ["__main__", "webapp.services.printing.worker_preload"]
SLOT_POLL_SECONDS = 0.05


class Busy(DomainError):
    """This user already has a document being made."""

    status = 429


class ServerBusy(DomainError):
    """Every render slot of the server is taken (or a render ran out of time)."""

    status = 503


class TooLarge(DomainError):
    status = 422


@dataclass(frozen=True)
class Limits:
    lock_dir: Path
    slots: int = 1
    wait_seconds: float = 3.0
    timeout_seconds: float = 55.0
    max_pages: int = 1000
    nice: int = 10


def limits_from(config: Mapping, instance_path: str | os.PathLike) -> Limits:
    """The app's settings as Limits. The default lock folder is per database: the ids in the
    lock names are that database's."""
    lock_dir = config.get("PDF_LOCK_DIR")
    if not lock_dir:
        db_key = hashlib.sha256(str(config.get("SQLALCHEMY_DATABASE_URI") or "").encode()).hexdigest()[:12]
        lock_dir = Path(instance_path) / "locks" / f"pdf-{db_key}"
    slots = int(config.get("PDF_RENDER_SLOTS") or 0) or max(2, (os.cpu_count() or 1) // 2)
    return Limits(Path(lock_dir), slots, float(config.get("PDF_SLOT_WAIT_SECONDS", 3)),
                  float(config.get("PDF_RENDER_TIMEOUT_SECONDS", 55)), int(config.get("PDF_MAX_PAGES", 1000)),
                  int(config.get("PDF_RENDER_NICE", 10)))


# --- one per user, N per server -----------------------------------------------------------------

def _try_lock(path: Path) -> int | None:
    """An exclusive flock on path, or None if another holder has it. The fd is the lock."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _slot(limits: Limits) -> int | None:
    deadline = time.monotonic() + limits.wait_seconds
    while True:
        for n in range(limits.slots):
            fd = _try_lock(limits.lock_dir / f"slot-{n}.lock")
            if fd is not None:
                return fd
        if time.monotonic() >= deadline:
            return None
        time.sleep(SLOT_POLL_SECONDS)


@contextlib.contextmanager
def reserved(limits: Limits, user_id: int) -> Iterator[None]:
    """Hold this user's lock and a server-wide slot for the block. Busy (429) if the user already
    has a document being made; ServerBusy (503) if no slot frees within wait_seconds."""
    limits.lock_dir.mkdir(parents=True, exist_ok=True)
    user_fd = _try_lock(limits.lock_dir / f"user-{int(user_id)}.lock")
    if user_fd is None:
        raise Busy("上一份文档正在生成，请稍后再试（每人同时只生成一份）。", field="_request")
    try:
        slot_fd = _slot(limits)
        if slot_fd is None:
            raise ServerBusy("正在生成的文档较多，请稍后再试。", field="_request")
        try:
            yield
        finally:
            os.close(slot_fd)
    finally:
        os.close(user_fd)


# --- the render process ----------------------------------------------------------------------------

def _child(conn, html: str, thumbs: dict[str, bytes], timeout: float, max_pages: int, nice: int) -> None:
    """Runs in the forked process: render, send ("ok", bytes) | ("pages", n) | ("error", text)."""
    signal.alarm(int(timeout) + 5)  # bounded even if the parent is gone (SIGALRM ends the process)
    with contextlib.suppress(OSError):
        os.nice(nice)
    from . import render as pdf_render

    try:
        data = pdf_render.render_pdf(html, pdf_render.AppURLFetcher(thumbs.get), max_pages=max_pages)
        conn.send(("ok", data))
    except pdf_render.TooManyPages as err:
        conn.send(("pages", err.pages))
    except Exception as err:  # noqa: BLE001 — reported to the parent, which raises
        conn.send(("error", f"{type(err).__name__}: {err}"[:500]))
    finally:
        conn.close()


def render(limits: Limits, html: str, thumbs: dict[str, bytes]) -> bytes:
    """HTML → PDF bytes in a separate process, within limits.timeout_seconds and max_pages."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(sender, html, thumbs, limits.timeout_seconds, limits.max_pages, limits.nice),
                       daemon=True, name="bangfu-pdf")
    started = time.monotonic()
    proc.start()
    sender.close()
    try:
        if not receiver.poll(limits.timeout_seconds):
            log.warning("pdf: render killed after %.0f s", time.monotonic() - started)
            raise ServerBusy(f"文档生成超时（超过 {limits.timeout_seconds:.0f} 秒），内容可能过多或服务器繁忙，请稍后再试。",
                             field="_request")
        try:
            kind, value = receiver.recv()
        except EOFError:  # the process died without an answer (killed, out of memory)
            log.error("pdf: render process ended without a result (exit code %s)", proc.exitcode)
            raise ServerBusy("文档生成失败，请稍后再试。", field="_request") from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(10)
        receiver.close()
    if kind == "pages":
        raise TooLarge(f"这份文档有 {value} 页，超过一次可打印的 {limits.max_pages} 页，未生成。", field="_request")
    if kind != "ok":
        raise RuntimeError(f"pdf render failed: {value}")
    return value

"""Batch printing: all diaries of a month for the unit or one village, as one PDF with a bookmark
per helper or as a zip of one PDF per helper.

`start()` records a PrintJob (the route commits and enqueues `tasks.print_diaries`); `run()` is the
task body, executed by the Huey consumer. It builds each diary's HTML here (queries, template,
thumbnails from storage) and lets a pool of separate processes do the WeasyPrint work. The
processes are replaced every PDF_TASKS_PER_CHILD documents, so their memory goes back to the
system; they are forked from a warmed-up fork server, so a new one starts at once. Progress goes
to PrintJob.done/total as documents finish; the result is stored in photo storage under prints/
and kept until it is downloaded (plus a short grace) or PRINT_RESULT_TTL_HOURS have passed.
"""
from __future__ import annotations

import io
import logging
import multiprocessing
import tempfile
import time
import uuid
import zipfile
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from pypdf import PdfWriter
from sqlalchemy import exists, or_, select, update

from ... import database
from ...extensions import db
from ...models import Household, Pairing, PrintJob, PrintJobStatus, Unit, User, Village, Visit
from .. import access, audit, permissions, storage
from ..calendar import month_days, month_label, month_utc_range, now_utc, parse_month
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..rules import PrintRules
from . import diary, pool, render
from .documents import read_thumb

log = logging.getLogger(__name__)

FORMATS = {"pdf": "合并为一个 PDF（每人一个书签）", "zip": "压缩包（每人一个 PDF）"}
STATUS_LABELS = {PrintJobStatus.QUEUED: "排队中", PrintJobStatus.RUNNING: "生成中", PrintJobStatus.DONE: "已完成",
                 PrintJobStatus.FAILED: "失败", PrintJobStatus.DOWNLOADED: "已下载", PrintJobStatus.EXPIRED: "已过期",
                 PrintJobStatus.CANCELLED: "已取消"}
ACTIVE = (PrintJobStatus.QUEUED, PrintJobStatus.RUNNING)


def job_label(job: PrintJob) -> str:
    p = job.params or {}
    scope = p.get("village_name") or p.get("unit_name") or ""
    return f"{month_label(p['month'])} {scope} 帮扶日志（{'合并 PDF' if p.get('format') == 'pdf' else '压缩包'}）"


def helpers_for(user: User, month: str, village: Village | None) -> list[User]:
    """The helpers whose diary goes into the batch: every helper of the unit the user may print;
    for a village, those paired with or visiting one of its households during the month."""
    q = access.diary_helpers(user)
    if village is not None:
        year, mon = parse_month(month)
        first, last = month_days(year, mon)
        start, end = month_utc_range(year, mon)
        paired = exists().where(
            Pairing.helper_id == User.id, Pairing.household_id == Household.id, Household.village_id == village.id,
            Pairing.start_date <= last, or_(Pairing.end_date.is_(None), Pairing.end_date >= first))
        visited = exists().where(
            Visit.helper_id == User.id, Visit.household_id == Household.id, Household.village_id == village.id,
            Visit.checked_in_at >= start, Visit.checked_in_at < end)
        q = q.where(paired | visited)
    else:
        q = q.where(User.active.is_(True))
    # sorted here, not by the database's collation, so the order is the same on every backend
    return sorted(db.session.scalars(q), key=lambda u: (u.display_name, u.id))


def start(user: User, month: str, village_id: int | None, fmt: str) -> tuple[PrintJob, bool]:
    """Record a batch job (queued): (the job, True). The caller commits, then enqueues
    tasks.print_diaries(job.id). The same batch (month, format, village) still queued or running is
    answered instead of a new one: (that job, False), nothing to enqueue."""
    if not permissions.can_batch_print(user):
        raise Forbidden("只有扶贫办可以批量打印。")
    errors: dict[str, list[str]] = {}
    try:
        parse_month(month)
    except ValueError as err:
        errors["month"] = [str(err)]
    if fmt not in FORMATS:
        errors["format"] = ["请选择合并 PDF 或压缩包。"]
    if errors:
        raise ValidationFailed("请检查输入。", errors=errors)
    village = access.village(user, village_id) if village_id else None
    helpers = helpers_for(user, month, village)
    if not helpers:
        raise ValidationFailed("这个范围内没有帮扶责任人。", field="village_id")
    database.lock(Unit, user.unit_id)  # the same batch sent twice at once: the second finds the first
    same = {"month": month, "format": fmt, "village_id": village.id if village else None}
    for waiting in db.session.scalars(access.print_jobs(user).where(PrintJob.status.in_(ACTIVE))):
        if {k: (waiting.params or {}).get(k) for k in same} == same:
            return waiting, False  # a double click: that job, not a second one
    job = PrintJob(kind="diaries", requested_by_id=user.id, status=PrintJobStatus.QUEUED, done=0, total=len(helpers),
                   params={"month": month, "format": fmt, "village_id": village.id if village else None,
                           "village_name": village.name if village else None, "unit_name": user.unit.name,
                           "helper_ids": [h.id for h in helpers]})
    db.session.add(job)
    db.session.flush()
    return job, True


# --- the task body ----------------------------------------------------------------------------

@dataclass
class Part:
    index: int
    title: str
    filename: str
    path: Path


def _pool(workers: int, tasks_per_child: int) -> ProcessPoolExecutor:
    """Worker processes forked from a clean fork server (nothing inherited from the job process:
    no app, no database connections, no threads) that has imported WeasyPrint and rendered once
    (printing/worker_preload.py); each worker is replaced after PDF_TASKS_PER_CHILD documents, so
    WeasyPrint's memory goes back to the system."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(pool.PRELOAD)  # the same fork server as single documents
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                               max_tasks_per_child=tasks_per_child)


def cancel(user: User, job: PrintJob) -> PrintJob:
    """Cancel a job still queued or running (the worker drops its result); audit-logged. One
    conditional UPDATE, as the worker's own: a job that finished while the page was read stays
    done (a cancel read before and written after the worker's commit turned a done job cancelled)."""
    cancelled = db.session.execute(
        update(PrintJob).where(PrintJob.id == job.id, PrintJob.status.in_(ACTIVE))
        .values(status=PrintJobStatus.CANCELLED, finished_at=now_utc()).execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(job)
    if not cancelled:
        raise Conflict("这个任务已经结束，不能取消。")
    audit.record(user, "printjob.cancel", "print_job", job.id)
    return job


def _progress(job_id: int, done: int) -> None:
    db.session.execute(update(PrintJob).where(PrintJob.id == job_id).values(done=done))
    db.session.commit()


def run(job_id: int, rules: PrintRules) -> None:
    """Render a queued job. Safe to call twice: only a queued job is started."""
    claimed = db.session.execute(
        update(PrintJob).where(PrintJob.id == job_id, PrintJob.status == PrintJobStatus.QUEUED)
        .values(status=PrintJobStatus.RUNNING, done=0)
    ).rowcount
    db.session.commit()
    if not claimed:
        log.info("print job %s: not queued, skipped", job_id)
        return
    params = dict(db.session.get(PrintJob, job_id).params)
    db.session.commit()  # no transaction stays open while the job works (SQLite: it would hold the write lock)
    key = None
    try:
        with tempfile.TemporaryDirectory(prefix="bangfu-print-") as tmp:
            parts = _render_all(job_id, params, Path(tmp), rules)
            data = _merge(parts) if params["format"] == "pdf" else _zip(parts)
            key = storage.new_key("prints", uuid.uuid4().hex, params["format"])
            storage.get().put(key, data)
        ttl = timedelta(hours=rules.result_ttl_hours)
        finished = now_utc()
        stored = db.session.execute(update(PrintJob).where(
            PrintJob.id == job_id, PrintJob.status == PrintJobStatus.RUNNING).values(
            status=PrintJobStatus.DONE, done=len(parts), result_key=key, finished_at=finished,
            expires_at=finished + ttl)).rowcount
        db.session.commit()
        if not stored:  # cancelled while it ran: the result is nobody's
            storage.get().delete(key)
            log.info("print job %s: cancelled while running, result deleted", job_id)
            return
        log.info("print job %s: %s documents, %s bytes", job_id, len(parts), len(data))
    except Exception as err:  # the job records any failure for the page
        db.session.rollback()
        if key is not None:  # stored, but the row never pointed at it
            try:
                storage.get().delete(key)
            except Exception:  # noqa: BLE001 — an orphan object is harmless
                log.warning("print job %s: could not delete %s", job_id, key)
        log.exception("print job %s failed", job_id)
        db.session.execute(update(PrintJob).where(PrintJob.id == job_id, PrintJob.status == PrintJobStatus.RUNNING).values(
            status=PrintJobStatus.FAILED, error=f"{type(err).__name__}: {err}"[:500], finished_at=now_utc()))
        db.session.commit()


def _render_all(job_id: int, params: dict, tmp: Path, rules: PrintRules) -> list[Part]:
    month = params["month"]
    ids = params["helper_ids"]
    found = set(db.session.scalars(select(User.id).where(User.id.in_(ids))))
    helper_ids = [i for i in ids if i in found]
    # each diary holds what the requesting office admin may see (access.helper_visits)
    viewer_id = db.session.scalar(select(PrintJob.requested_by_id).where(PrintJob.id == job_id))
    db.session.commit()
    parts: list[Part | None] = [None] * len(helper_ids)
    pending: dict[Future, Part] = {}
    done, last_report = 0, time.monotonic()
    workers = rules.batch_workers
    with _pool(workers, rules.tasks_per_child) as processes:
        for i, helper_id in enumerate(helper_ids):
            helper = db.session.get(User, helper_id)
            viewer = db.session.get(User, viewer_id) if viewer_id is not None else None
            if viewer is None or not viewer.active:
                raise NotFound("发起打印的账号已不存在或已停用。")
            doc = diary.diary_document(helper, month, viewer)
            part = Part(i, helper.display_name, f"{i + 1:03d}-{doc.filename}", tmp / f"{i:05d}.pdf")
            # end the read transaction at once: on SQLite the job's transactions take the write lock
            db.session.commit()
            thumbs = {k: b for k in doc.thumb_keys if (b := read_thumb(k)) is not None}
            pending[processes.submit(render.render_in_worker, doc.html, thumbs)] = part
            while len(pending) >= 2 * workers or (i == len(helper_ids) - 1 and pending):
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    part = pending.pop(fut)
                    part.path.write_bytes(fut.result())
                    parts[part.index] = part
                    done += 1
                if time.monotonic() - last_report > 0.5 or not pending:
                    _progress(job_id, done)
                    last_report = time.monotonic()
    return [p for p in parts if p is not None]


def _merge(parts: list[Part]) -> bytes:
    writer = PdfWriter()
    for part in parts:
        writer.append(str(part.path), outline_item=part.title)
    writer.page_mode = "/UseOutlines"
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zip(parts: list[Part]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for part in parts:
            zf.write(part.path, part.filename)
    return out.getvalue()


# --- results ----------------------------------------------------------------------------------

def download_name(job: PrintJob) -> tuple[str, str]:
    """(readable name, ASCII fallback) of the job's result."""
    p = job.params
    ext = p["format"]
    scope = p.get("village_name") or p.get("unit_name") or ""
    return f"帮扶日志-{scope}-{p['month']}.{ext}", f"diaries-{p['month']}-job{job.id}.{ext}"


def open_result(job: PrintJob) -> BinaryIO:
    if job.status not in (PrintJobStatus.DONE, PrintJobStatus.DOWNLOADED) or not job.result_key:
        raise NotFound("这个打印任务没有可下载的文件（未完成或已过期）。")
    if job.expires_at and job.expires_at <= now_utc():
        raise NotFound("文件已过期，请重新生成。")
    try:
        return storage.get().open(job.result_key)
    except (OSError, ValueError):
        raise NotFound("文件已不存在，请重新生成。") from None


def mark_downloaded(job_id: int, rules: PrintRules) -> None:
    """The result stays PRINT_DOWNLOAD_GRACE_MINUTES after the first download (for a retry), then goes."""
    grace = now_utc() + timedelta(minutes=rules.download_grace_minutes)
    db.session.execute(update(PrintJob).where(PrintJob.id == job_id, PrintJob.status == PrintJobStatus.DONE).values(
        status=PrintJobStatus.DOWNLOADED, expires_at=grace))
    db.session.execute(update(PrintJob).where(PrintJob.id == job_id, PrintJob.expires_at > grace).values(
        expires_at=grace))


def fail_stale(rules: PrintRules, now: datetime | None = None) -> int:
    """Mark jobs still 'running' long after they started as failed (their worker was stopped or
    killed mid-job; Huey does not run a task twice). Returns how many."""
    now = now or now_utc()
    limit = now - timedelta(minutes=rules.job_stale_minutes)
    return db.session.execute(update(PrintJob).where(
        PrintJob.status == PrintJobStatus.RUNNING, PrintJob.created_at < limit).values(
        status=PrintJobStatus.FAILED, error="生成中断（后台进程已停止），请重新生成。", finished_at=now)).rowcount


def purge_expired(now: datetime | None = None) -> int:
    """Delete the files of expired results; returns how many."""
    now = now or now_utc()
    store = storage.get()
    n = 0
    for job in db.session.scalars(select(PrintJob).where(PrintJob.result_key.is_not(None), PrintJob.expires_at <= now)):
        storage.delete_after_commit(db.session, store, job.result_key)  # the row first, then the object
        job.result_key = None
        job.status = PrintJobStatus.EXPIRED
        n += 1
    return n

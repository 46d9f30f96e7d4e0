"""Printed documents: the monthly diary and the attendance sheet as PDF, and batch printing.

    GET  /reports/                                   what the user may print (month picker)
    GET  /reports/diary/<user_id>/<YYYY-MM>.pdf      a helper's diary
    GET  /reports/attendance/<village_id>/<YYYY-MM>.pdf  a village team's attendance sheet
    POST /reports/batch                              office admin: all diaries of a month (Huey job)
    GET  /reports/jobs                               the jobs list fragment (htmx polls it while a job runs)
    POST /reports/jobs/<id>/download                 the batch result; marks it downloaded (kept a short grace)
    GET  /reports/jobs/<id>/download                 the same file, changing nothing (a saved link)
"""
from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from .. import htmx, tasks
from ..extensions import db
from ..models import Village
from ..security import requires
from ..services import access, county, lookups, permissions
from ..services.calendar import local_today, month_key
from ..services.errors import ValidationFailed
from ..services.printing import diary as diaries
from ..services.printing import documents, sheet
from ..services.printing import jobs as printjobs
from ..web import params, rules
from ..web.writes import attempt, done

bp = Blueprint("printing", __name__, url_prefix="/reports")

PDF_MIME = "application/pdf"
MIMES = {"pdf": PDF_MIME, "zip": "application/zip"}


def content_disposition(name: str, ascii_name: str, inline: bool = False) -> str:
    """A readable (UTF-8, RFC 6266/5987) download name with a plain ASCII fallback."""
    fallback = "".join(c if 32 < ord(c) < 127 and c not in '"\\;%' else "_" for c in ascii_name)
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _pdf_response(doc: documents.Document, data: bytes) -> Response:
    resp = Response(data, mimetype=PDF_MIME)
    resp.headers["Content-Disposition"] = content_disposition(doc.filename, doc.ascii_filename)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.after_request
def _retry_after(resp: Response) -> Response:
    """429/503 from the render pool: when to try again."""
    if resp.status_code in (429, 503):
        resp.headers.setdefault("Retry-After", "10")
    return resp


@bp.get("/diary/<int:user_id>/<month>.pdf")
@login_required
def diary(user_id: int, month: str):
    viewer = _reader()
    helper = access.diary_helper(viewer, user_id)
    month = params.month_in_path(month)
    return _pdf_response(*documents.bounded(current_user.id, rules.printing().limits,
                                            lambda: diaries.diary_document(helper, month, viewer=viewer)))


def _reader():
    """Who the documents are read as: the county admin reads a township (?unit_id=) as its office does."""
    return county.reader(current_user, params.id_arg("unit_id", request.args))


@bp.get("/attendance/<int:village_id>/<month>.pdf")
@login_required
def attendance(village_id: int, month: str):
    village = access.attendance_village(current_user, village_id)
    month = params.month_in_path(month)
    att = rules.attendance()
    return _pdf_response(*documents.bounded(current_user.id, rules.printing().limits,
                                            lambda: sheet.attendance_document(att, village, month)))


def _sheet_villages() -> list[Village]:
    if not permissions.can_print_attendance_sheets(current_user):
        return []
    return lookups.villages(current_user)


def _batch_context(month: str, errors: dict | None = None, form=None) -> dict:
    rows = db.session.scalars(access.print_jobs(current_user).limit(10)).all()
    return {"month": month, "errors": errors or {}, "form": form or {}, "jobs": rows,
            "villages": lookups.villages(current_user),
            "formats": printjobs.FORMATS, "status_labels": printjobs.STATUS_LABELS,
            "active": any(j.status in printjobs.ACTIVE for j in rows), "job_label": printjobs.job_label}


@bp.get("/")
@login_required
def index():
    month = params.month_arg()
    ctx = {"month": month, "helpers": db.session.scalars(access.diary_helpers(current_user)).all(),
           "sheet_villages": _sheet_villages()}
    if permissions.can_batch_print(current_user):
        ctx.update(_batch_context(month))
    return render_template("printing/page.html", **ctx)


def _start_batch(month: str) -> tuple[int, bool]:
    job, new = printjobs.start(current_user, month, params.id_arg("village_id", request.form),
                               request.form.get("format", "pdf"))
    return job.id, new


@bp.post("/batch")
@requires(permissions.can_batch_print)
def batch():
    month = (request.form.get("month") or "").strip()
    started, err = attempt(_start_batch, month, only=ValidationFailed)
    if err is not None:
        return _batch_form(month, err)
    job_id, new = started
    if new:  # the same batch still waiting is already in the queue
        tasks.enqueue(tasks.print_diaries, job_id)  # queued for the consumer (runs at once in immediate mode)
    if htmx.is_htmx():
        return htmx.render("printing/_batch.html", "printing/_batch.html", **_batch_context(month))
    return htmx.redirect_to(url_for("printing.index", month=month))


def _batch_form(month: str, err: ValidationFailed):
    """The batch form again with its errors (htmx: the fragment, 200; else the page, 422)."""
    ctx = _batch_context(month or month_key(local_today()), err.errors, request.form)
    if htmx.is_htmx():
        return htmx.render("printing/_batch.html", "printing/_batch.html", **ctx)
    return render_template("printing/page.html", helpers=db.session.scalars(access.diary_helpers(current_user)).all(),
                           sheet_villages=_sheet_villages(), **ctx), 422


@bp.get("/jobs")
@requires(permissions.can_batch_print)
def job_list():
    return htmx.render("printing/_jobs.html", "printing/_jobs.html", **_batch_context(params.month_arg()))


@bp.post("/jobs/<int:job_id>/cancel")
@requires(permissions.can_batch_print)
def cancel_job(job_id: int):
    """Cancel a queued or running job (asked first on the page); htmx gets the job list again."""
    _, err = attempt(printjobs.cancel, current_user, access.print_job(current_user, job_id))
    if htmx.is_htmx():
        return render_template("printing/_jobs.html", error=err and err.message, **_batch_context(params.month_arg()))
    return done(err, url_for("printing.index"))


@bp.route("/jobs/<int:job_id>/download", methods=["GET", "POST"])
@requires(permissions.can_batch_print)
def download(job_id: int):
    """GET never changes state (a cross-site link can trigger one): only the page's POST button
    marks the result downloaded, which shortens its expiry."""
    job = access.print_job(current_user, job_id)
    f = printjobs.open_result(job)
    name, ascii_name = printjobs.download_name(job)
    fmt = job.params.get("format", "pdf")
    db.session.commit()  # end the read; the update below starts its own write
    if request.method == "POST":
        printjobs.mark_downloaded(job_id, rules.printing())
        db.session.commit()
    resp = send_file(f, mimetype=MIMES.get(fmt, "application/octet-stream"), conditional=False)
    resp.headers["Content-Disposition"] = content_disposition(name, ascii_name)
    resp.headers["Cache-Control"] = "private, no-store"
    current_app.logger.info("print job %s downloaded by %s", job_id, current_user.id)
    return resp

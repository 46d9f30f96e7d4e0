"""Office admin: roster import (花名册), preview then confirm. Views on the admin blueprint (same
URLs and endpoint names as before: admin.roster, plus admin.roster_confirm).

The files are parsed before any transaction is open (SQLite's single write lock is never held
while a file is unzipped and read); the preview only reads, but for the audit entry of an ID
number registered in another unit.
"""
from flask import current_app, render_template, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..database import end_read_transaction
from ..extensions import db
from ..services import roster
from ..services.roster import Options, RosterFormatError, pending
from ..web import rules
from .admin import bp

ACCEPT = ".xlsx,.xls,.csv"


def _settings() -> roster.Settings:
    return roster.settings_from(current_app.config, rules.current().pairings)


def _dir() -> str:
    return current_app.config["ROSTER_PENDING_DIR"]


def _ttl() -> int:
    return int(current_app.config["ROSTER_PENDING_MINUTES"])


def _page(status: int = 200, **context):
    return render_template("admin/roster.html", accept=ACCEPT, **context), status


@bp.route("/roster", methods=["GET", "POST"], endpoint="roster")
def roster_upload():
    if request.method == "GET":
        return _page()
    files = [(f.filename or "", f.read()) for f in request.files.getlist("files") if f and f.filename]
    if not files:
        return _page(400, format_error="请选择花名册文件（.xlsx、.xls 或 .csv）。")
    options = Options(create_villages=request.form.get("create_villages") == "1",
                      confirm_000=request.form.get("confirm_000") == "1")
    user, unit = current_user._get_current_object(), current_user.unit
    user_id, unit_id = user.id, unit.id
    end_read_transaction(user, unit)  # the file is read outside any transaction
    settings = _settings()
    try:
        parsed = roster.read(files, settings, options)
    except RosterFormatError as err:
        return _page(400, format_error=str(err))
    plan = roster.preview(parsed, unit, settings)
    roster.record_refusals(plan, unit, user)
    token = None
    if plan.ok:
        token = pending.save(_dir(), user_id, unit_id, files, {"create_villages": options.create_villages,
                                                                "confirm_000": options.confirm_000}, _ttl())
        pending.set_fingerprint(_dir(), token, plan.fingerprint)
    db.session.commit()
    return _page(200 if plan.ok else 422, plan=plan, token=token)


@bp.post("/roster/confirm")
def roster_confirm():
    user, unit = current_user._get_current_object(), current_user.unit
    kept = pending.load(_dir(), request.form.get("token", ""), user.id, unit.id, _ttl())
    if kept is None:
        return _page(400, format_error="这份预览已过期或不存在（预览只保留 "
                     f"{_ttl()} 分钟，且只能由上传它的管理员确认），请重新上传花名册。")
    end_read_transaction(user, unit)
    settings = _settings()
    try:
        parsed = roster.read(kept.files, settings, Options(**kept.options))
    except RosterFormatError as err:
        pending.discard(_dir(), kept.token)
        return _page(400, format_error=str(err))
    plan = roster.preview(parsed, unit, settings)
    if not plan.ok or plan.fingerprint != kept.fingerprint:
        db.session.rollback()
        roster.record_refusals(plan, unit, user)
        token = None
        if plan.ok:
            pending.set_fingerprint(_dir(), kept.token, plan.fingerprint)
            token = kept.token
        else:
            pending.discard(_dir(), kept.token)
        db.session.commit()
        return _page(409, plan=plan, token=token,
                     changed="预览之后本单位的数据有变化，导入结果会与刚才的预览不同。请核对下面新的预览后再确认。")
    try:
        result = roster.write(plan, unit, user)
        db.session.commit()
    except IntegrityError:  # PostgreSQL: another import registered one of these ID numbers just now
        db.session.rollback()
        return _page(409, format_error="导入时数据正好被其他人修改（例如同一身份证号刚被导入），未导入任何数据。请重新上传预览。")
    pending.discard(_dir(), kept.token)
    return _page(200, result=result, plan=plan)

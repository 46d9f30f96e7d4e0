"""flask commands: roster import, users create, seed-demo."""
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from .extensions import db
from .models import ROLES, Unit, User, Village

roster_cli = AppGroup("roster", help="花名册（户表、家庭成员表）")
users_cli = AppGroup("users", help="账号管理")


def _unit(name: str | None) -> Unit:
    if name:
        unit = db.session.scalar(select(Unit).where(Unit.name == name))
        if unit is None:
            unit = Unit(name=name)
            db.session.add(unit)
            db.session.flush()
        return unit
    units = db.session.scalars(select(Unit)).all()
    if len(units) != 1:
        raise click.ClickException("请用 --unit 指定单位名称。")
    return units[0]


@roster_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit", "unit_name", help="单位（乡镇）名称；只有一个单位时可省略。")
@click.option("--no-create-villages", is_flag=True, help="村名不存在时报错，而不是新建。")
@click.option("--dry-run", is_flag=True, help="只预览（识别的工作表和列、新增/更新/跳过、不能导入的行），不写入。")
@click.option("--confirm-000", is_flag=True, help="以 000 结尾的身份证号已逐一核对无误（否则拒绝：Excel 可能截断了它们）。")
def roster_import(paths: tuple[Path, ...], unit_name: str | None, no_create_villages: bool, dry_run: bool,
                  confirm_000: bool) -> None:
    """导入花名册：PATH 为 .xlsx、.xls 或 .csv（可多个）。先预览；没有不能导入的行时才写入（全部或全不）。"""
    from flask import current_app

    from .services import roster
    from .web import rules

    settings = roster.settings_from(current_app.config, rules.current().pairings)
    files = []
    for p in paths:
        if p.stat().st_size > settings.limits.max_bytes:
            click.echo(f"导入失败：{p.name} 太大（上限 {settings.limits.max_bytes // 1048576} MB），请分批导入。", err=True)
            sys.exit(1)
        files.append((p.name, p.read_bytes()))
    options = roster.Options(create_villages=not no_create_villages, confirm_000=confirm_000)
    try:
        parsed = roster.read(files, settings, options)  # before any transaction: nothing is locked meanwhile
    except roster.RosterFormatError as err:
        click.echo(f"导入失败：{err}", err=True)
        sys.exit(1)
    unit = _unit(unit_name)
    plan = roster.preview(parsed, unit, settings)
    _echo_preview(plan)
    if not plan.ok:
        if plan.foreign:  # the attempt is written to the audit log
            roster.record_refusals(plan, unit, None)
            db.session.commit()
        else:
            db.session.rollback()
        click.echo(f"导入失败：{len(plan.errors)} 行不能导入，未导入任何数据。", err=True)
        for e in plan.errors:
            click.echo(f"  {e}", err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
        click.echo("预览完毕（--dry-run），未写入。")
        return
    from sqlalchemy.exc import IntegrityError

    try:
        result = roster.write(plan, unit, None)
        db.session.commit()
    except IntegrityError:  # another import registered one of these ID numbers meanwhile
        db.session.rollback()
        click.echo("导入失败：导入时数据正好被其他人修改，未导入任何数据，请重试。", err=True)
        sys.exit(1)
    click.echo(f"导入成功：新增 {result.created} 户，更新 {result.updated} 户，无变化 {result.unchanged} 户，"
               f"家庭成员 {result.members} 人，新建村 {len(result.villages_created)} 个，结对变更 {result.pairings_changed} 处"
               + (f"，结对调整 {result.pairings_proposed} 处已报县审批。" if result.pairings_proposed else "。"))


def _echo_preview(plan) -> None:
    for s in plan.parsed.sheets:
        if s.skipped:
            click.echo(f"[{s.file} · {s.sheet}] {s.skipped}")
            continue
        lines = s.header_lines
        head = f"第 {lines[0]} 行" if lines[0] == lines[1] else f"第 {lines[0]}–{lines[1]} 行"
        click.echo(f"[{s.file} · {s.sheet}] {s.kind}，表头{head}：新增 {s.new}，更新 {s.updated}，无变化 {s.unchanged}，"
                   f"成员 {s.members}，跳过空行 {s.empty}、表尾 {s.footer}，不能导入 {s.refused}")
        click.echo("  列：" + "，".join(f"{w}→{lab}" if w != lab else w for w, lab in s.mapping)
                   + ("；不导入的列：" + "，".join(s.unknown) if s.unknown else ""))
    if plan.villages_new:
        click.echo("将新建的村：" + "、".join(plan.villages_new))
    for w in plan.parsed.warnings:
        click.echo(f"提示：{w}")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="姓名")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--village", "village_name", help="所驻村（驻村工作队员、第一书记必填）")
@click.option("--unit", "unit_name", help="单位名称；只有一个单位时可省略")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_create(username, display_name, role, village_name, unit_name, password) -> None:
    """创建账号。"""
    from .services import users
    from .services.errors import ValidationFailed

    unit = _unit(unit_name)
    village = None
    if village_name:
        village = db.session.scalar(select(Village).where(Village.unit_id == unit.id, Village.name == village_name))
        if village is None:
            raise click.ClickException(f"未知村名：{village_name}")
    try:
        user = users.create(username, display_name, role, password, unit, village)
    except ValidationFailed as err:
        db.session.rollback()
        for fieldname, msgs in err.errors.items():
            click.echo(f"{fieldname}: {'；'.join(msgs)}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"已创建 {user.username}（{user.display_name}，{user.role_label}）。")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="数据库已有账号时什么也不做（make run 用）。")
def seed_demo(if_empty: bool) -> None:
    """生成演示数据：一个乡镇、3 个村、30 名帮扶责任人、约 120 户。"""
    from .services import demo
    from .web import rules

    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        click.echo("数据库已有数据，未重新生成演示数据。")
    else:
        demo.seed(rules.current())
        db.session.commit()
        click.echo("演示数据已生成。")
    click.echo(f"演示账号（密码均为 {demo.PASSWORD}）：")
    for username, label in demo.logins():
        click.echo(f"  {username:<12} {label}")


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--database-only", is_flag=True, help="只备份数据库，不复制对象存储（由对象存储自身备份，见输出）。")
@with_appcontext
def backup_cmd(path: Path, database_only: bool) -> None:
    """在线备份数据库和照片（本地目录或对象存储 STORAGE_URL）到新文件夹 PATH。"""
    from flask import current_app

    from .services import storage
    from .services.backup import BackupError, backup

    try:
        manifest = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], storage.get(), path,
                          objects=not database_only)
    except (BackupError, FileExistsError) as err:
        raise click.ClickException(f"备份失败：{err}") from None
    click.echo(f"已备份到 {path}：{sum(manifest['rows'].values())} 行，{len(manifest['files'])} 个文件。")
    if database_only:
        click.echo(manifest["objects_not_copied"])


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_cmd(path: Path) -> None:
    """从备份文件夹 PATH 恢复到一个空数据库和空照片目录。"""
    from flask import current_app

    from .services import storage
    from .services.backup import BackupError, restore

    db.engine.dispose()
    try:
        manifest = restore(path, current_app.config["SQLALCHEMY_DATABASE_URI"], storage.get())
    except BackupError as err:
        raise click.ClickException(f"恢复失败：{err}") from None
    click.echo(f"已恢复：{sum(manifest['rows'].values())} 行，{len(manifest['files'])} 个文件。")


def register_cli(app: Flask) -> None:
    from .cli_county import county_cli
    from .cli_storage import storage_cli

    app.cli.add_command(storage_cli)
    app.cli.add_command(backup_cmd)
    app.cli.add_command(restore_cmd)
    app.cli.add_command(roster_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(county_cli)

"""The office admin's roster page: preview first, then confirm; damaged files answer in
Chinese; another unit's households and another admin's preview are out of reach."""
import re
from pathlib import Path

from sqlalchemy import func, select

from tests.support import factories
from tests.support.roster_files import csv_bytes, cut_sheet_xml, household_row, real_workbook, upload, xlsx_bytes
from tests.support.timing import slowed
from webapp.extensions import db
from webapp.models import AuditLog, Household, Unit


def _count(app, **where) -> int:
    with app.app_context():
        q = select(func.count()).select_from(Household)
        for k, v in where.items():
            q = q.where(getattr(Household, k) == v)
        n = db.session.scalar(q)
        db.session.remove()
        return n


def _token(resp) -> str:
    return re.search(r'name="token" value="([^"]+)"', resp.get_data(as_text=True))[1]


def test_the_preview_shows_what_would_happen_and_writes_nothing_until_confirmed(world, client, app):
    client.login("admin")
    before = _count(app)
    preview, _ = upload(client, real_workbook(), "花名册.xlsx", confirm=False, create_villages="1")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "预览（尚未写入）" in page and "确认导入" in page
    assert "新增 12 户" in page and "将新建的村：南村" in page
    assert "隐藏的工作表「2019年底数据」未导入" in page and "跳过 2 行合计、填表人等表尾" in page
    assert "值的对应：脱贫状态 脱贫户 → 已脱贫" in page and "主要致贫原因 → 致贫原因" in page
    assert _count(app) == before  # nothing written yet
    result = client.post("/admin/roster/confirm", data={"token": _token(preview)})
    assert result.status_code == 200 and "导入成功：新增 12 户" in result.get_data(as_text=True)
    assert _count(app) == before + 12
    again = client.post("/admin/roster/confirm", data={"token": _token(preview)})
    assert again.status_code == 400 and "已过期或不存在" in again.get_data(as_text=True)
    assert _count(app) == before + 12
    pending = Path(app.config["ROSTER_PENDING_DIR"])
    assert _token(preview) not in {p.name for p in pending.iterdir()}  # the file is deleted once imported


def test_a_preview_can_only_be_confirmed_by_the_admin_who_uploaded_it(world, client, make_client, app):
    with app.app_context():
        factories.user(db.session.get(Unit, world["unit"]), "admin2", "office_admin")
        db.session.commit()
        db.session.remove()
    client.login("admin")
    preview, _ = upload(client, csv_bytes([household_row(户主姓名="令牌户")]), "r.csv", confirm=False)
    token = _token(preview)
    for other in ("admin2", "admin_x"):
        c = make_client()
        c.login(other)
        resp = c.post("/admin/roster/confirm", data={"token": token})
        assert resp.status_code == 400, other
        assert _count(app, head_name="令牌户") == 0
    for bad in ("../" * 5 + "etc", "x" * 32, ""):
        assert client.post("/admin/roster/confirm", data={"token": bad}).status_code == 400
    assert client.post("/admin/roster/confirm", data={"token": token}).status_code == 200
    assert _count(app, head_name="令牌户") == 1


def test_confirm_imports_only_what_was_previewed(world, client, app):
    client.login("admin")
    row = household_row(户主姓名="预览户", 帮扶责任人="")
    preview, _ = upload(client, csv_bytes([row]), "r.csv", confirm=False)
    with app.app_context():  # meanwhile someone else imports the same household
        from webapp.services.roster import import_roster

        assert import_roster([("x.csv", csv_bytes([dict(row, 户主姓名="别人先导")]))],
                             db.session.get(Unit, world["unit"]), None).ok
        db.session.commit()
        db.session.remove()
    resp = client.post("/admin/roster/confirm", data={"token": _token(preview)})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "预览之后本单位的数据有变化" in page and "更新" in page
    assert _count(app, head_name="预览户") == 0
    resp = client.post("/admin/roster/confirm", data={"token": _token(resp)})
    assert resp.status_code == 200 and _count(app, head_name="预览户") == 1


def test_a_damaged_xlsx_gets_a_chinese_message_not_a_500(world, client, app):
    client.login("admin")
    resp, _ = upload(client, cut_sheet_xml(xlsx_bytes([household_row(户主姓名=f"断{i}") for i in range(40)])), "r.xlsx")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "r.xlsx 已损坏，无法读取" in page
    assert "Internal Server Error" not in page and "Traceback" not in page


def test_another_units_household_named_by_id_is_refused_and_audited(world, make_client, app):
    with app.app_context():
        theirs = db.session.get(Household, world["hh1"])
        cid, name = theirs.citizen_id, theirs.head_name
        db.session.remove()
    b = make_client()
    b.login("admin_x")
    resp, result = upload(b, csv_bytes([household_row(村名="外村", 户主姓名="冒名", 身份证号=cid, 帮扶责任人="")]), "r.csv")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and result is None
    assert "该身份证号已在其他单位登记" in page and "测试乡" not in page and cid not in page
    with app.app_context():
        hh = db.session.get(Household, world["hh1"])
        assert (hh.head_name, hh.village_id) == (name, world["v1"])
        log = db.session.scalar(select(AuditLog).where(AuditLog.action == "roster.foreign_id"))
        assert log.user_id == world["admin_x"] and log.details["rows"][0]["household_id"] == world["hh1"]
        db.session.remove()


def test_the_page_accepts_xls_and_offers_the_000_confirmation(world, client):
    client.login("admin")
    page = client.get("/admin/roster").get_data(as_text=True)
    assert 'accept=".xlsx,.xls,.csv"' in page and 'name="confirm_000"' in page


def _write_lock_free(database_url: str) -> bool:
    """Whether another connection can take SQLite's write lock right now (without waiting)."""
    import sqlite3

    conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def test_the_file_is_read_while_no_write_lock_is_held(world, client, app, monkeypatch):
    """SQLite has one writer: a roster being unzipped and parsed must not hold it (other users' POSTs
    would wait, then fail with "database is locked")."""
    import pytest

    from webapp.services import roster

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's single write lock")
    seen = []
    real_read = roster.read

    def read_and_look(*args, **kwargs):
        seen.append(_write_lock_free(url))
        return real_read(*args, **kwargs)

    monkeypatch.setattr(roster, "read", read_and_look)
    client.login("admin")
    preview, result = upload(client, csv_bytes([household_row(户主姓名="锁外户")]), "r.csv")
    assert result.status_code == 200 and _count(app, head_name="锁外户") == 1
    assert seen == [True, True]  # while previewing and while confirming
    runner = app.test_cli_runner()
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".csv") as f:
        f.write(csv_bytes([household_row(户主姓名="命令行锁外户")]))
        f.flush()
        assert runner.invoke(args=["roster", "import", f.name, "--unit", "测试乡"]).exit_code == 0
    assert seen == [True, True, True]
    # and the check can fail: while a write transaction is open, the lock is not free
    import sqlite3

    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert not _write_lock_free(url)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _confirm_while(make_client, monkeypatch, rows, meanwhile):
    """The office confirms an import of `rows`; while its plan is made and its pairings not yet
    written, another office session does `meanwhile(client)`. Both answers: (confirm, meanwhile)."""
    import threading

    from webapp.services import roster

    importer, other = make_client(), make_client()
    importer.login("admin"), other.login("admin")
    preview, _ = upload(importer, csv_bytes(rows), "花名册.csv", confirm=False)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:3000]
    writing = slowed(monkeypatch, roster, "write")  # the import's plan made, its pairings not written yet
    answers = {}
    thread = threading.Thread(target=lambda: answers.update(
        confirm=importer.post("/admin/roster/confirm", data={"token": _token(preview)})))
    thread.start()
    assert writing.wait(30)
    done = meanwhile(other)
    thread.join(60)
    return answers["confirm"], done


def test_a_pairing_made_while_an_import_is_confirmed_does_not_take_a_helper_over_the_limit(world, make_client, app,
                                                                                          monkeypatch):
    """The import gives 帮扶二 (h2, 1 household) four more: 5, the limit. The office pairs 王六 (hh6)
    with h2 on the pairing form while the confirmed import is being written: one of the two must be
    refused, not both stored (PostgreSQL: the import counted h2's households before the form's
    pairing committed and wrote its own after it: 6 households)."""
    from webapp.models import Pairing

    rows = [household_row(户主姓名=f"孙{i}", 身份证号=factories.citizen_id("19700101"), 帮扶责任人="h2")
            for i in range(4)]
    confirm, paired = _confirm_while(make_client, monkeypatch, rows, lambda pairer: pairer.post(
        f"/admin/households/{world['hh6']}/pairing", data={"helper_id": str(world["h2"]), "reason": "新结对"}))
    with app.app_context():
        held = db.session.scalar(select(func.count()).select_from(Pairing).where(Pairing.helper_id == world["h2"],
                                                                                  Pairing.end_date.is_(None)))
        imported = db.session.scalar(select(func.count()).select_from(Household).where(Household.head_name.like("孙%")))
    assert held <= 5, (confirm.status_code, paired.status_code)
    if confirm.status_code == 200:  # the import first (SQLite: the form waited for its write lock)
        assert paired.status_code == 422 and "达到上限" in paired.get_data(as_text=True) and imported == 4
    else:  # the form first: the import is refused whole
        assert paired.status_code == 302 and held == 2 and imported == 0
        assert confirm.status_code == 409 and "将超过 5 户的上限，未导入任何数据" in confirm.get_data(as_text=True)


def test_a_household_moved_on_the_form_while_an_import_moves_it_keeps_one_current_pairing(world, make_client, app,
                                                                                           monkeypatch):
    """The import moves 张一 (hh1, h1's) to 帮扶二; meanwhile the office moves it to 帮扶三 on the
    pairing form. One of the two must be refused, never two current pairings for one household
    (PostgreSQL: the import ended the pairing the form had already ended and added its own)."""
    from webapp.models import Pairing

    with app.app_context():
        citizen = db.session.get(Household, world["hh1"]).citizen_id
    row = household_row(户主姓名="张一", 身份证号=citizen, 帮扶责任人="h2", 经度="109.501", 纬度="30.301")
    confirm, moved = _confirm_while(make_client, monkeypatch, [row], lambda pairer: pairer.post(
        f"/admin/households/{world['hh1']}/pairing", data={"helper_id": str(world["h3"]), "reason": "调动"}))
    with app.app_context():
        current = db.session.scalars(select(Pairing.helper_id).where(Pairing.household_id == world["hh1"],
                                                                     Pairing.end_date.is_(None))).all()
    assert len(current) == 1, (confirm.status_code, moved.status_code, current)
    if confirm.status_code == 200:  # the import first (SQLite: the form waited for its write lock)
        assert moved.status_code == 302 and current == [world["h3"]]
    else:  # the form first: the import is refused whole
        assert moved.status_code == 302 and current == [world["h3"]]
        assert confirm.status_code == 409 and "未导入任何数据" in confirm.get_data(as_text=True)

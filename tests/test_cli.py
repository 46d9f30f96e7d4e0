"""flask commands: roster import, users create, seed-demo."""
import pytest
from sqlalchemy import func, select

from tests.support.roster_files import csv_bytes, household_row, xlsx_bytes
from webapp.extensions import db
from webapp.models import Household, Member, Pairing, User, Village


def test_roster_import_command(world, app, tmp_path):
    runner = app.test_cli_runner()
    good = tmp_path / "花名册.xlsx"
    row = household_row(户主姓名="命令行户")
    good.write_bytes(xlsx_bytes([row], [{"户主身份证号": row["身份证号"], "姓名": "命令行户", "与户主关系": "户主"}]))
    result = runner.invoke(args=["roster", "import", str(good), "--unit", "测试乡"])
    assert result.exit_code == 0, result.output
    assert "新增 1 户" in result.output and "家庭成员 1 人" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([household_row(户主姓名="坏户", 身份证号="42280119650312001X")]))
    result = runner.invoke(args=["roster", "import", str(bad), "--unit", "测试乡"])
    assert result.exit_code == 1
    assert "第 2 行" in result.output and "校验位" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Household).where(Household.head_name == "坏户")) == 0
        assert db.session.scalar(select(func.count()).select_from(Member).where(Member.name == "命令行户")) == 1


def test_users_create_command(world, app):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["users", "create", "team9", "--name", "新队员", "--role", "team_member",
                             "--village", "东村", "--unit", "测试乡", "--password", "long-enough-1"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(args=["users", "create", "team10", "--name", "x", "--role", "team_member",
                              "--unit", "测试乡", "--password", "long-enough-1"])
    assert bad.exit_code == 1 and "所驻村" in bad.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "team9"))
        assert user.village.name == "东村" and user.role == "team_member"


@pytest.mark.slow
def test_seed_demo_builds_a_township_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "helper01" in result.output and "admin" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Village)) == 3
        helpers = db.session.scalar(select(func.count()).select_from(User).where(User.role == "helper"))
        assert helpers == 30
        n = db.session.scalar(select(func.count()).select_from(Household))
        assert 100 <= n <= 140
        most = db.session.execute(select(func.count()).select_from(Pairing).where(Pairing.end_date.is_(None))
                                  .group_by(Pairing.helper_id).order_by(func.count().desc())).scalars().first()
        assert most <= 5
        # the demo unit asks for the household's signature; every state has examples
        from webapp.models import Unit, Visit, VisitSignature

        assert db.session.scalar(select(Unit.require_signature).where(Unit.kind == "township"))  # not the county
        states = dict(db.session.execute(select(VisitSignature.status, func.count()).group_by(VisitSignature.status)).all())
        assert states.keys() == {"signed", "not_home", "thumbprint"}
        visits = db.session.scalar(select(func.count()).select_from(Visit))
        assert 0 < visits - sum(states.values()) < visits * 0.15  # a few 未签字
        assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.reason.is_not(None))) >= 1
        stages = set(db.session.scalars(select(Member.education_stage).where(Member.education_stage.is_not(None))))
        assert {"学前教育", "小学", "初中", "高中", "中职", "本科"} <= stages
        for role in ("first_secretary", "team_member"):
            expected = 3 * (1 if role == "first_secretary" else 2)
            assert db.session.scalar(select(func.count()).select_from(User).where(User.role == role)) == expected
        # an example of every flag and of every state; the honest visits carry none
        from webapp.models import Visit, VisitAmendment
        from webapp.services import visit_flags

        all_visits = db.session.scalars(select(Visit)).all()
        seen = {code for v in all_visits for code in v.flags}
        assert seen == set(visit_flags.FLAGS), seen
        flagged = [v for v in all_visits if v.flags]
        assert len(flagged) <= 12 and len(all_visits) - len(flagged) > 200
        assert any(v.verified_at for v in flagged) and any(not v.verified_at for v in flagged)
        assert all(d["text"] for v in flagged for d in visit_flags.details(v))
        assert db.session.scalar(select(func.count()).select_from(VisitAmendment)) >= 1
        assert {"fixed", "returned", "reviewed", "pending"} <= {v.review_status for v in all_visits}
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "未重新生成" in again.output


def test_roster_import_dry_run_previews_and_writes_nothing(world, app, tmp_path):
    from tests.support.roster_files import real_workbook

    path = tmp_path / "花名册.xlsx"
    path.write_bytes(real_workbook())
    runner = app.test_cli_runner()
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Household))
    result = runner.invoke(args=["roster", "import", str(path), "--unit", "测试乡", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "[花名册.xlsx · 2019年底数据] 隐藏的工作表，未导入" in result.output
    assert ("[花名册.xlsx · 东村] 户表，表头第 4 行：新增 4，更新 0，无变化 0，成员 0，"
            "跳过空行 990、表尾 2，不能导入 0") in result.output
    assert "主要致贫原因→致贫原因" in result.output and "未写入" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Household)) == before
    result = runner.invoke(args=["roster", "import", str(path), "--unit", "测试乡"])
    assert result.exit_code == 0 and "导入成功：新增 12 户" in result.output
    result = runner.invoke(args=["roster", "import", str(path), "--unit", "测试乡"])
    assert result.exit_code == 0 and "新增 0 户，更新 0 户，无变化 12 户" in result.output


def test_roster_import_of_a_damaged_file_prints_one_chinese_line(world, app, tmp_path):
    from tests.support.roster_files import cut_sheet_xml

    path = tmp_path / "坏.xlsx"
    path.write_bytes(cut_sheet_xml(xlsx_bytes([household_row(户主姓名=f"断{i}") for i in range(40)])))
    result = app.test_cli_runner().invoke(args=["roster", "import", str(path), "--unit", "测试乡"])
    assert result.exit_code == 1
    assert result.output.strip() == ("导入失败：坏.xlsx 已损坏，无法读取（可能没有上传完整，或被其他程序改坏）。"
                                     "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。")
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_county_add_then_a_county_account(world, app):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["county", "add", "测试县", "--township", "测试乡"])
    assert ok.exit_code == 0 and "测试乡" in ok.output, ok.output
    assert runner.invoke(args=["county", "add", "测试县", "--township", "没有乡"]).exit_code == 1
    made = runner.invoke(args=["users", "create", "xian", "--name", "县办", "--role", "county_admin",
                               "--unit", "测试县", "--password", "long-enough-1"])
    assert made.exit_code == 0, made.output
    wrong = runner.invoke(args=["users", "create", "xian2", "--name", "县办", "--role", "county_admin",
                                "--unit", "测试乡", "--password", "long-enough-1"])
    assert wrong.exit_code == 1 and "县级账号" in wrong.output
    with app.app_context():
        from webapp.models import Unit

        township = db.session.scalar(select(Unit).where(Unit.name == "测试乡"))
        assert township.parent_id is not None

"""flask commands: roster import, users create, seed-demo."""
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Household, Member, Pairing, User, Village
from tests.roster_files import csv_bytes, household_row, xlsx_bytes


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
        stages = set(db.session.scalars(select(Member.education_stage).where(Member.education_stage.is_not(None))))
        assert {"学前教育", "小学", "初中", "高中", "中职", "本科"} <= stages
        for role in ("first_secretary", "team_member"):
            expected = 3 * (1 if role == "first_secretary" else 2)
            assert db.session.scalar(select(func.count()).select_from(User).where(User.role == role)) == expected
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "未重新生成" in again.output

"""Roster import: a good file, every bad-row reason, re-import, members, all-or-nothing."""
from datetime import date

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Household, Member, Pairing, Unit
from webapp.services.roster import RosterFormatError, import_roster
from tests import factories
from tests.roster_files import csv_bytes, household_row, xlsx_bytes


def _unit():
    return db.session.scalar(select(Unit).where(Unit.name == "测试乡"))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_good_csv_imports_households_villages_and_pairings(world, ctx):
    rows = [household_row(), household_row(村名="新村", 户主姓名="钱二", 经度="", 纬度="", 帮扶责任人="")]
    before = _count(Household)
    result = import_roster([("roster.csv", csv_bytes(rows))], _unit(), None)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.villages_created) == (2, 0, ["新村"])
    zhao = db.session.scalar(select(Household).where(Household.head_name == "赵大"))
    assert zhao.village.name == "东村" and zhao.size == 4 and zhao.latitude == pytest.approx(30.3012)
    assert zhao.status == "已脱贫" and zhao.poverty_cause == "因病" and zhao.location_source == "roster"
    qian = db.session.scalar(select(Household).where(Household.head_name == "钱二"))
    assert qian.latitude is None and qian.village.name == "新村"
    assert _count(Household) == before + 2
    pairing = db.session.scalar(select(Pairing).where(Pairing.household_id == zhao.id))
    assert pairing.helper.username == "h1" and pairing.end_date is None


def test_csv_without_bom_and_xlsx_in_any_column_order_with_members(world, ctx):
    hh = household_row(户主姓名="孙三")
    members = [
        {"户主身份证号": hh["身份证号"], "姓名": "孙小明", "与户主关系": "子女", "出生日期": date(2012, 5, 1),
         "在读学段": "初中", "就读学校": "清江中学"},
        {"户主身份证号": hh["身份证号"], "姓名": "孙大", "与户主关系": "户主", "出生日期": "1965/03/12"},
    ]
    result = import_roster([("r.xlsx", xlsx_bytes([hh], members))], _unit(), None)
    assert result.ok, result.errors
    assert result.members == 2
    sun = db.session.scalar(select(Household).where(Household.head_name == "孙三"))
    kid = db.session.scalar(select(Member).where(Member.household_id == sun.id, Member.name == "孙小明"))
    assert kid.education_stage == "初中" and kid.birth_date == date(2012, 5, 1)
    result = import_roster([("plain.csv", csv_bytes([household_row(户主姓名="周四")], bom=False))], _unit(), None)
    assert result.ok and result.created == 1


def test_reimport_updates_and_creates_no_duplicates(world, ctx):
    row = household_row()
    data = csv_bytes([row])
    assert import_roster([("a.csv", data)], _unit(), None).ok
    db.session.flush()
    n = _count(Household)
    again = import_roster([("a.csv", csv_bytes([dict(row, 家庭人口="6", 帮扶责任人="h2")]))], _unit(), None)
    assert again.ok and (again.created, again.updated) == (0, 1)
    assert _count(Household) == n
    hh = db.session.scalar(select(Household).where(Household.citizen_id == row["身份证号"]))
    assert hh.size == 6
    history = db.session.scalars(select(Pairing).where(Pairing.household_id == hh.id).order_by(Pairing.id)).all()
    assert [p.helper.username for p in history] == ["h1", "h2"]
    assert history[0].end_date is not None and history[1].end_date is None


BAD_ROWS = [
    ({"身份证号": "42280119650312001X"}, "校验位"),
    ({"身份证号": "4228011965"}, "18 位"),
    ({"身份证号": "422801196513320014"}, "出生日期"),
    ({"帮扶责任人": "nobody"}, "未知帮扶责任人"),
    ({"帮扶责任人": "sec1"}, "未知帮扶责任人"),
    ({"纬度": "95", "经度": "109"}, "纬度应在"),
    ({"经度": "200", "纬度": "30"}, "经度应在"),
    ({"纬度": "abc"}, "纬度应为数字"),
    ({"纬度": "", "经度": "109.5"}, "要么都填"),
    ({"家庭人口": "0"}, "家庭人口"),
    ({"家庭人口": "很多"}, "整数"),
    ({"致贫原因": "运气"}, "未知致贫原因"),
    ({"脱贫状态": "富裕"}, "脱贫状态"),
    ({"户主姓名": ""}, "户主姓名"),
    ({"村名": ""}, "村名"),
    ({"联系电话": "12ab"}, "联系电话"),
]


@pytest.mark.parametrize("change, reason", BAD_ROWS)
def test_each_bad_row_reason_is_reported_and_nothing_imported(world, ctx, change, reason):
    before = _count(Household)
    rows = [household_row(户主姓名="好人"), household_row(**change)]
    result = import_roster([("bad.csv", csv_bytes(rows))], _unit(), None)
    assert not result.ok
    assert [e.line for e in result.errors] == [3]
    assert reason in str(result.errors[0]), str(result.errors[0])
    db.session.rollback()
    assert _count(Household) == before


def test_duplicate_id_in_file_unknown_village_and_helper_over_limit(world, ctx):
    dup = household_row()
    rows = [dup, dict(dup, 户主姓名="重复"), household_row(村名="没有的村")]
    # h1 already holds 2; three more would make 5 (allowed), a fourth is one too many
    rows += [household_row(户主姓名=f"户{i}") for i in range(3)]
    result = import_roster([("bad.csv", csv_bytes(rows))], _unit(), None, create_villages=False)
    text = {e.line: str(e) for e in result.errors}
    assert "与第 2 行重复" in text[3]
    assert "未知村名「没有的村」" in text[4]
    assert "超过 5 户" in text[7]
    assert set(text) == {3, 4, 7}


def test_member_sheet_errors_are_reported_with_their_sheet_and_line(world, ctx):
    hh = household_row()
    members = [{"户主身份证号": factories.citizen_id(), "姓名": "无主"},
               {"户主身份证号": hh["身份证号"], "姓名": "", "在读学段": "幼儿园"}]
    result = import_roster([("r.xlsx", xlsx_bytes([hh], members))], _unit(), None)
    assert [(e.sheet, e.line) for e in result.errors] == [("家庭成员", 2), ("家庭成员", 3)]
    assert "不在户表中" in str(result.errors[0])
    assert "姓名" in str(result.errors[1]) and "在读学段" in str(result.errors[1])


def test_unreadable_files_are_refused(world, ctx):
    with pytest.raises(RosterFormatError, match="UTF-8"):
        import_roster([("gbk.csv", "村名,户主姓名\n东村,张".encode("gbk"))], _unit(), None)
    with pytest.raises(RosterFormatError, match="xlsx"):
        import_roster([("fake.xlsx", b"not a zip")], _unit(), None)
    with pytest.raises(RosterFormatError, match="缺少表头"):
        import_roster([("h.csv", "村名,户主姓名,身份证号\n".encode())], _unit(), None)
    with pytest.raises(RosterFormatError, match=".xlsx 或 .csv"):
        import_roster([("r.txt", b"x")], _unit(), None)


def test_helper_limit_is_configurable(world, ctx, app):
    app.config["HOUSEHOLD_LIMIT"] = 2
    result = import_roster([("a.csv", csv_bytes([household_row()]))], _unit(), None)
    assert not result.ok and "超过 2 户" in str(result.errors[0])

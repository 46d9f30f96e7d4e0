"""Roster import: a good file, every bad-row reason, re-import, members, all-or-nothing, and the
import scoped to the importing unit."""
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.support import factories
from tests.support.roster_files import HOUSEHOLD_HEADERS, citizen_id, csv_bytes, household_row, xlsx_bytes
from webapp.extensions import db
from webapp.models import AuditLog, Household, Member, Pairing, PairingChange, Unit, User, Village
from webapp.services import pairing_changes
from webapp.services.roster import RosterFormatError, Settings, import_roster, record_refusals
from webapp.services.roster.importing import FOREIGN
from webapp.services.rules import PairingRules
from webapp.web import rules as app_rules


def _unit(name: str = "测试乡"):
    return db.session.scalar(select(Unit).where(Unit.name == name))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_good_csv_imports_households_villages_and_pairings(world, ctx):
    rows = [household_row(), household_row(村名="新村", 户主姓名="钱二", 经度="", 纬度="", 帮扶责任人="")]
    before = _count(Household)
    plan = import_roster([("roster.csv", csv_bytes(rows))], _unit(), None)
    assert plan.ok, plan.errors
    assert (plan.result.created, plan.result.updated, plan.result.villages_created) == (2, 0, ["新村"])
    zhao = db.session.scalar(select(Household).where(Household.head_name == "赵大"))
    assert zhao.village.name == "东村" and zhao.size == 4 and zhao.latitude == pytest.approx(30.3012)
    assert zhao.status == "已脱贫" and zhao.poverty_cause == "因病" and zhao.location_source == "roster"
    qian = db.session.scalar(select(Household).where(Household.head_name == "钱二"))
    assert qian.latitude is None and qian.village.name == "新村" and qian.village.unit.name == "测试乡"
    assert _count(Household) == before + 2
    pairing = db.session.scalar(select(Pairing).where(Pairing.household_id == zhao.id))
    assert pairing.helper.username == "h1" and pairing.end_date is None and pairing.reason == "花名册导入"
    starts = db.session.scalars(select(AuditLog).where(AuditLog.action == "pairing.start")).all()
    assert [(a.entity_id, a.details["household_id"]) for a in starts] == [(pairing.id, zhao.id)]


def test_csv_without_bom_and_xlsx_in_any_column_order_with_members(world, ctx):
    hh = household_row(户主姓名="孙三")
    members = [
        {"户主身份证号": hh["身份证号"], "姓名": "孙小明", "与户主关系": "子女", "出生日期": date(2012, 5, 1),
         "在读学段": "初中", "就读学校": "清江中学"},
        {"户主身份证号": hh["身份证号"], "姓名": "孙大", "与户主关系": "户主", "出生日期": "1965/03/12"},
    ]
    plan = import_roster([("r.xlsx", xlsx_bytes([hh], members))], _unit(), None)
    assert plan.ok, plan.errors
    assert plan.result.members == 2
    sun = db.session.scalar(select(Household).where(Household.head_name == "孙三"))
    kids = {m.name: (m.relation, m.birth_date, m.education_stage, m.school) for m in sun.members}
    assert kids == {"孙小明": ("子女", date(2012, 5, 1), "初中", "清江中学"), "孙大": ("户主", date(1965, 3, 12), None, None)}
    plan = import_roster([("plain.csv", csv_bytes([household_row(户主姓名="周四")], bom=False))], _unit(), None)
    assert plan.ok and plan.result.created == 1


def test_reimport_updates_and_creates_no_duplicates(world, ctx):
    row = household_row()
    assert import_roster([("a.csv", csv_bytes([row]))], _unit(), None).ok
    db.session.flush()
    n = _count(Household)
    same = import_roster([("a.csv", csv_bytes([row]))], _unit(), None)
    assert (same.result.created, same.result.updated, same.result.unchanged, same.result.pairings_changed) == (0, 0, 1, 0)
    again = import_roster([("a.csv", csv_bytes([dict(row, 家庭人口="6", 帮扶责任人="h2")]))], _unit(), None)
    assert again.ok and (again.result.created, again.result.updated) == (0, 1)
    assert _count(Household) == n
    hh = db.session.scalar(select(Household).where(Household.citizen_id == row["身份证号"]))
    assert hh.size == 6
    history = db.session.scalars(select(Pairing).where(Pairing.household_id == hh.id).order_by(Pairing.id)).all()
    assert [p.helper.username for p in history] == ["h1", "h2"]
    assert history[0].end_date is not None and history[1].end_date is None
    ends = db.session.scalars(select(AuditLog).where(AuditLog.action == "pairing.end")).all()
    assert [(a.entity_id, a.details["household_id"], a.details["helper_id"]) for a in ends] == \
        [(history[0].id, hh.id, history[0].helper_id)]


BAD_ROWS = [
    ({"身份证号": "42280119650312001X"}, "校验位"),
    ({"身份证号": "4228011965"}, "18 位"),
    ({"身份证号": "422801196513320014"}, "出生日期"),
    ({"身份证号": ""}, "身份证号：必填"),
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
    plan = import_roster([("bad.csv", csv_bytes(rows))], _unit(), None)
    assert not plan.ok and plan.result is None
    assert [e.line for e in plan.errors] == [3]
    assert reason in str(plan.errors[0]), str(plan.errors[0])
    db.session.rollback()
    assert _count(Household) == before


def test_duplicate_id_in_file_unknown_village_and_helper_over_limit(world, ctx):
    dup = household_row()
    rows = [dup, dict(dup, 户主姓名="重复"), household_row(村名="没有的村")]
    # h1 already holds 2; three more would make 5 (allowed), a fourth is one too many
    rows += [household_row(户主姓名=f"户{i}") for i in range(3)]
    plan = import_roster([("bad.csv", csv_bytes(rows))], _unit(), None, create_villages=False)
    text = {e.line: str(e) for e in plan.errors}
    assert "与第 2 行重复" in text[3]
    assert "未知村名「没有的村」" in text[4]
    assert "超过 5 户" in text[7]
    assert set(text) == {3, 4, 7}


def test_member_sheet_errors_are_reported_with_their_sheet_and_line(world, ctx):
    hh = household_row()
    members = [{"户主身份证号": factories.citizen_id(), "姓名": "无主"},
               {"户主身份证号": hh["身份证号"], "姓名": "", "在读学段": "幼儿班"}]
    plan = import_roster([("r.xlsx", xlsx_bytes([hh], members))], _unit(), None)
    assert [(e.sheet, e.line) for e in plan.errors] == [("家庭成员", 2), ("家庭成员", 3)]
    assert "不在户表中" in str(plan.errors[0])
    assert "姓名" in str(plan.errors[1]) and "在读学段「幼儿班」无法识别" in str(plan.errors[1])


def test_members_of_a_household_imported_earlier_are_added_to_it(world, ctx):
    hh = household_row(户主姓名="先导户")
    assert import_roster([("a.csv", csv_bytes([hh]))], _unit(), None).ok
    members = [{"户主身份证号": hh["身份证号"], "姓名": "后来的成员", "与户主关系": "子女", "在读学段": "高一"}]
    plan = import_roster([("m.xlsx", xlsx_bytes([household_row(户主姓名="别户")], members))], _unit(), None)
    assert plan.ok, plan.errors
    kid = db.session.scalar(select(Member).where(Member.name == "后来的成员"))
    assert kid.household.citizen_id == hh["身份证号"] and kid.education_stage == "高中"


def test_unreadable_files_are_refused(world, ctx):
    with pytest.raises(RosterFormatError, match="不是有效的 Excel 文件"):
        import_roster([("fake.xlsx", b"not a zip")], _unit(), None)
    plan = import_roster([("h.csv", "村名,户主姓名,身份证号\n".encode())], _unit(), None)
    assert [str(e) for e in plan.errors] == ["h 第 1 行：户表缺少这些列：家庭人口、致贫原因、脱贫状态。"]
    with pytest.raises(RosterFormatError, match=r"\.xlsx、\.xls 或 \.csv"):
        import_roster([("r.txt2", b"x")], _unit(), None)
    with pytest.raises(RosterFormatError, match="找不到户表"):
        import_roster([("notes.csv", "说明,内容\n这是,一张说明\n".encode())], _unit(), None)


def test_helper_limit_is_configurable(app, world, ctx, monkeypatch):
    """The import counts against the same household limit as the pairing pages (HOUSEHOLD_LIMIT)."""
    from webapp.services.roster import settings_from

    plan = import_roster([("a.csv", csv_bytes([household_row()]))], _unit(), None,
                         settings=Settings(pairings=PairingRules(household_limit=2)))
    assert not plan.ok and "超过 2 户" in str(plan.errors[0])
    monkeypatch.setitem(app.config, "HOUSEHOLD_LIMIT", 2)
    assert settings_from(app.config, app_rules.current().pairings).pairings.household_limit == 2


def test_a_helper_is_found_by_display_name_when_only_one_has_it(world, ctx):
    plan = import_roster([("a.csv", csv_bytes([household_row(帮扶责任人="帮扶二")]))], _unit(), None)
    assert plan.ok, plan.errors
    hh = db.session.scalar(select(Household).where(Household.citizen_id == plan.new[0]["citizen_id"]))
    assert hh.pairings[0].helper.username == "h2"


# ---------------------------------------------------------------- one unit's import stays in that unit

def test_an_id_registered_in_another_unit_is_refused_without_naming_it_and_audited(world, ctx):
    unit_a, unit_b = _unit(), _unit("别的乡")
    theirs = db.session.get(Household, world["hh1"])
    before = (theirs.village_id, theirs.head_name, theirs.size, len(theirs.members))
    rows = [household_row(村名="外村", 户主姓名="冒名", 身份证号=theirs.citizen_id, 帮扶责任人=""),
            household_row(村名="外村", 户主姓名="新户", 帮扶责任人="")]
    members = [{"户主身份证号": theirs.citizen_id, "姓名": "冒名成员"}]
    plan = import_roster([("b.xlsx", xlsx_bytes(rows, members))], unit_b, None)
    messages = {(e.sheet, e.line): str(e) for e in plan.errors}
    assert FOREIGN in messages[("户表", 2)]
    assert unit_a.name not in messages[("户表", 2)] and "东村" not in messages[("户表", 2)]
    # the row is in no count: neither new nor updated
    sheet = plan.parsed.sheets[0]
    assert (sheet.new, sheet.updated, sheet.unchanged, sheet.refused) == (1, 0, 0, 1)
    record_refusals(plan, unit_b, None)
    db.session.commit()
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "roster.foreign_id"))
    assert log.entity_id == unit_b.id and log.details["count"] == 1
    assert log.details["rows"][0]["household_id"] == theirs.id
    assert theirs.citizen_id not in str(log.details)  # masked there too
    db.session.expire_all()
    theirs = db.session.get(Household, world["hh1"])
    assert (theirs.village_id, theirs.head_name, theirs.size, len(theirs.members)) == before


def test_a_member_row_naming_another_units_household_reads_as_unknown(world, ctx):
    theirs = db.session.get(Household, world["hh1"]).citizen_id
    nobody = factories.citizen_id()
    members = [{"户主身份证号": theirs, "姓名": "甲"}, {"户主身份证号": nobody, "姓名": "乙"}]
    plan = import_roster([("b.xlsx", xlsx_bytes([household_row(村名="外村", 帮扶责任人="")], members))],
                         _unit("别的乡"), None)
    first, second = (str(e).split("：", 1)[1] for e in plan.errors)
    assert first.replace(theirs[-4:], "####") == second.replace(nobody[-4:], "####")  # the same words


def test_a_helper_of_another_unit_is_refused_like_an_unknown_one(world, ctx):
    unit_b = _unit("别的乡")
    factories.user(unit_b, "hb", "helper")
    db.session.flush()
    plan = import_roster([("a.csv", csv_bytes([household_row(帮扶责任人="hb")]))], _unit(), None)
    assert not plan.ok and "未知帮扶责任人「hb」" in str(plan.errors[0])
    plan = import_roster([("a.csv", csv_bytes([household_row(帮扶责任人="hb")]))], unit_b, None)
    assert plan.ok, plan.errors  # the same file in hb's own unit


def test_a_village_of_the_same_name_in_another_unit_is_not_used(world, ctx):
    plan = import_roster([("a.csv", csv_bytes([household_row(村名="外村", 帮扶责任人="")]))], _unit(), None)
    assert plan.ok and plan.result.villages_created == ["外村"]
    villages = db.session.execute(select(Village.unit_id).where(Village.name == "外村")).scalars().all()
    assert sorted(villages) == sorted([world["unit"], world["unit_x"]])


def test_members_of_a_refused_household_say_so(world, ctx):
    hh = household_row(家庭人口="很多")
    members = [{"户主身份证号": hh["身份证号"], "姓名": "甲"}]
    plan = import_roster([("r.xlsx", xlsx_bytes([hh], members))], _unit(), None)
    assert [(e.sheet, e.line) for e in plan.errors] == [("家庭成员", 2), ("户表", 2)]
    assert "所在的户在户表中有误" in str(plan.errors[0])


def test_under_a_county_a_roster_that_moves_a_paired_household_proposes_it_to_the_county(world, ctx):
    first = household_row()
    assert import_roster([("r.csv", csv_bytes([first]))], _unit(), None).ok  # 赵大 paired with h1
    county = Unit(name="测试县", kind="county")
    db.session.add(county)
    db.session.flush()
    _unit().parent_id = county.id
    db.session.flush()
    moved = dict(first, 帮扶责任人="h2")
    new = household_row(户主姓名="钱二", 身份证号=citizen_id("19700101"), 帮扶责任人="h2")
    plan = import_roster([("r.csv", csv_bytes([moved, new]))], _unit(), None)
    assert plan.ok, plan.errors
    assert (plan.result.pairings_changed, plan.result.pairings_proposed) == (1, 1)  # 钱二 at once, 赵大 proposed
    zhao = db.session.scalar(select(Household).where(Household.head_name == "赵大"))
    current = db.session.scalar(select(Pairing).where(Pairing.household_id == zhao.id, Pairing.end_date.is_(None)))
    assert current.helper.username == "h1"  # unchanged until the county approves
    change = db.session.scalar(select(PairingChange).where(PairingChange.household_id == zhao.id))
    assert (change.status, change.from_helper.username, change.to_helper.username, change.reason) == (
        "pending", "h1", "h2", "花名册导入")
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "pairing.propose")).entity_id == change.id
    qian = db.session.scalar(select(Household).where(Household.head_name == "钱二"))
    assert db.session.scalar(select(Pairing).where(Pairing.household_id == qian.id)).helper.username == "h2"
    again = import_roster([("r.csv", csv_bytes([moved, new]))], _unit(), None)  # the same file again
    assert again.ok and again.result.pairings_proposed == 0 and _count(PairingChange) == 1


def test_under_a_county_changes_waiting_for_approval_count_against_the_helper_limit(world, ctx):
    county = Unit(name="测试县", kind="county")
    db.session.add(county)
    db.session.flush()
    _unit().parent_id = county.id
    h1 = db.session.scalar(select(User).where(User.username == "h1"))  # holds 张一 and 张二
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    for head in ("张三", "李四", "李五"):  # three more proposed to h1: 2 held + 3 waiting = the limit of 5
        hh = db.session.scalar(select(Household).where(Household.head_name == head))
        pairing_changes.request(hh, h1, admin, "就近帮扶", app_rules.pairings())
    before = (_count(Household), _count(Pairing), _count(PairingChange))
    plan = import_roster([("r.csv", csv_bytes([household_row()]))], _unit(), admin)  # a new household for h1
    assert not plan.ok and plan.result is None
    assert [(e.line, e.messages) for e in plan.errors] == [(2, ["帮扶责任人「h1」将超过 5 户的上限。"])]
    assert (_count(Household), _count(Pairing), _count(PairingChange)) == before


def test_under_a_county_a_household_moved_away_still_counts_for_its_helper_until_approved(world, ctx):
    first = household_row()
    assert import_roster([("r.csv", csv_bytes([first]))], _unit(), None).ok  # h1: 张一, 张二 and 赵大
    county = Unit(name="测试县", kind="county")
    db.session.add(county)
    db.session.flush()
    _unit().parent_id = county.id
    moved = dict(first, 帮扶责任人="h2")  # proposed only: 赵大 stays with h1 till the county approves
    new = household_row(户主姓名="钱二", 身份证号=citizen_id("19700101"), 帮扶责任人="h1")
    plan = import_roster([("r.csv", csv_bytes([moved, new]))], _unit(), None,
                         settings=Settings(pairings=PairingRules(household_limit=3)))
    assert [(e.line, e.messages) for e in plan.errors] == [(3, ["帮扶责任人「h1」将超过 3 户的上限。"])]


# ---------------------------------------------------------------- 坐标系: WGS-84 or GCJ-02 per row

WITH_SYSTEM = (*HOUSEHOLD_HEADERS, "坐标系")
TRUTH = (39.915, 116.404)  # WGS-84; GCJ-02 (39.91640428150164, 116.41024449916938): coordtransform's value (test_geo)
GCJ = (39.91640428150164, 116.41024449916938)


@pytest.mark.parametrize("written", ["GCJ-02", "gcj02", "ＧＣＪ－０２", " 火星坐标 ", "高德", "腾讯地图"])
def test_a_gcj02_row_is_stored_as_wgs84(world, ctx, written):
    from webapp.services import geo

    rows = [household_row(纬度=str(GCJ[0]), 经度=str(GCJ[1]), 坐标系=written),
            household_row(户主姓名="钱二", 纬度="30.3012", 经度="109.5011", 坐标系="")]
    plan = import_roster([("r.csv", csv_bytes(rows, headers=WITH_SYSTEM))], _unit(), None)
    assert plan.ok, plan.errors
    zhao = db.session.scalar(select(Household).where(Household.head_name == "赵大"))
    assert geo.haversine_m(zhao.latitude, zhao.longitude, *TRUTH) < 2  # 640 m off before the conversion
    assert geo.haversine_m(*GCJ, *TRUTH) > 500
    qian = db.session.scalar(select(Household).where(Household.head_name == "钱二"))  # empty: WGS-84, as written
    assert (qian.latitude, qian.longitude) == (pytest.approx(30.3012), pytest.approx(109.5011))


def test_wgs84_written_out_and_the_column_under_another_name_in_xlsx(world, ctx):
    headers = (*HOUSEHOLD_HEADERS, "坐标类型")
    rows = [household_row(纬度="30.3012", 经度="109.5011", 坐标类型="wgs84"),
            household_row(户主姓名="钱二", 纬度=str(GCJ[0]), 经度=str(GCJ[1]), 坐标类型="Gcj02")]
    plan = import_roster([("r.xlsx", xlsx_bytes(rows, headers=headers))], _unit(), None)
    assert plan.ok, plan.errors
    zhao = db.session.scalar(select(Household).where(Household.head_name == "赵大"))
    assert (zhao.latitude, zhao.longitude) == (pytest.approx(30.3012), pytest.approx(109.5011))
    qian = db.session.scalar(select(Household).where(Household.head_name == "钱二"))
    assert qian.latitude == pytest.approx(TRUTH[0], abs=2e-5) and qian.longitude == pytest.approx(TRUTH[1], abs=2e-5)


@pytest.mark.parametrize("written", ["GCJ—02", "GCJ-02坐标系", "火星坐标（GCJ-02）", "【高德】", "WGS84坐标"])
def test_a_coordinate_system_as_offices_write_it_in_a_gbk_csv(world, ctx, written):
    """Chinese Excel's CSV (GBK, no BOM), the IME's long dash, 坐标系 after the name, a name in brackets."""
    rows = [household_row(纬度=str(GCJ[0]), 经度=str(GCJ[1]), 坐标系=written)]
    plan = import_roster([("r.csv", csv_bytes(rows, headers=WITH_SYSTEM, encoding="gbk"))], _unit(), None)
    assert plan.ok, plan.errors
    zhao = db.session.scalar(select(Household).where(Household.head_name == "赵大"))
    expected = GCJ if written == "WGS84坐标" else TRUTH
    assert (zhao.latitude, zhao.longitude) == (pytest.approx(expected[0], abs=2e-5), pytest.approx(expected[1], abs=2e-5))


def test_a_coordinate_system_without_coordinates_or_outside_china(world, ctx):
    """Outside China GCJ-02 is WGS-84 (geo.to_wgs84: not moved, like the village form); 坐标系 without a
    point stores no point; a number in the column (an .xlsx) is refused and nothing is imported."""
    from webapp.services import geo

    rows = [household_row(纬度="48.8566", 经度="2.3522", 坐标系="GCJ-02"),
            household_row(户主姓名="钱二", 纬度="", 经度="", 坐标系="高德")]
    plan = import_roster([("r.xlsx", xlsx_bytes(rows, headers=WITH_SYSTEM))], _unit(), None)
    assert plan.ok, plan.errors
    zhao = db.session.scalar(select(Household).where(Household.head_name == "赵大"))
    assert geo.to_wgs84(48.8566, 2.3522, "gcj02") == (48.8566, 2.3522)
    assert (zhao.latitude, zhao.longitude) == (pytest.approx(48.8566), pytest.approx(2.3522))
    qian = db.session.scalar(select(Household).where(Household.head_name == "钱二"))
    assert (qian.latitude, qian.longitude) == (None, None)
    db.session.rollback()
    before = _count(Household)
    rows = [household_row(户主姓名="孙三", 坐标系=84), household_row(户主姓名="李四", 纬度="109.5", 经度="30.3")]
    plan = import_roster([("bad.xlsx", xlsx_bytes(rows, headers=WITH_SYSTEM))], _unit(), None)
    assert not plan.ok and plan.result is None
    messages = " ".join(str(e) for e in plan.errors)
    assert "坐标系「84」不认识" in messages and "纬度应在 -90 到 90 之间" in messages
    db.session.rollback()
    assert _count(Household) == before


@pytest.mark.parametrize("written", ["BD-09", "百度地图", "bd09ll", "百度坐标系"])
def test_a_point_picked_on_baidu_maps_is_stored_as_wgs84(world, ctx, written):
    from webapp.services import geo

    baidu = geo.wgs84_to_bd09(*TRUTH)
    assert geo.haversine_m(*baidu, *TRUTH) > 1000  # what would be stored as written
    rows = [household_row(纬度=f"{baidu[0]:.6f}", 经度=f"{baidu[1]:.6f}", 坐标系=written)]
    plan = import_roster([("r.csv", csv_bytes(rows, headers=WITH_SYSTEM, encoding="gbk"))], _unit(), None)
    assert plan.ok, plan.errors
    zhao = db.session.scalar(select(Household).where(Household.head_name == "赵大"))
    assert geo.haversine_m(zhao.latitude, zhao.longitude, *TRUTH) < 2


@pytest.mark.parametrize("written", ["北京54", "西安80", "BD-09MC", "百度墨卡托"])
def test_an_unknown_coordinate_system_is_a_row_error_and_nothing_is_imported(world, ctx, written):
    before = _count(Household)
    rows = [household_row(户主姓名="好人", 坐标系="GCJ-02"), household_row(坐标系=written)]
    plan = import_roster([("bad.csv", csv_bytes(rows, headers=WITH_SYSTEM))], _unit(), None)
    assert not plan.ok and plan.result is None
    assert [e.line for e in plan.errors] == [3]
    assert f"坐标系「{written}」不认识：应为 WGS-84" in str(plan.errors[0]), str(plan.errors[0])
    assert "BD-09（百度地图上取的点）" in str(plan.errors[0])
    db.session.rollback()
    assert _count(Household) == before

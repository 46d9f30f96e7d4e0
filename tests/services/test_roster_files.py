"""Roster files as township offices have them: real layouts, .xls, GB18030 CSV, the
national person-level export, IDs that Excel cut, and damaged or hostile files."""
import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from tests.support.roster_files import (
    DATES_HEAD,
    MEMBER_DATES,
    csv_bytes,
    cut_excel_id,
    cut_sheet_xml,
    fixed_id,
    household_row,
    member_dates_workbook,
    person_export,
    real_workbook,
    stale_dimension,
    village_households,
    xlsx_bytes,
    zip_bomb,
)
from webapp.config import Default
from webapp.extensions import db
from webapp.models import Household, Member, Unit
from webapp.services.roster import RosterFormatError, Settings, import_roster, settings_from
from webapp.services.roster.ids import EXCEL_CUT
from webapp.services.rules import PairingRules

XLS = Path(__file__).resolve().parents[1] / "fixtures" / "roster" / "real_roster.xls"
STATUS = {"脱贫户": "已脱贫", "稳定脱贫": "已脱贫", "已脱贫（享受政策）": "已脱贫", "监测对象": "监测户",
          "脱贫不稳定户": "监测户", "边缘易致贫户": "监测户", "突发严重困难户": "监测户"}
CAUSE = {"因病、因残": "因病", "缺劳动力": "缺劳力", "其它": "其他", "因学": "因学"}
PHONE = {"138 0000 1111": "13800001111", "139-0000-2222": "13900002222", "13700003333/13700004444": "13700003333",
         "１３６００００５５５５": "13600005555", "无": None}


def _unit():
    return db.session.scalar(select(Unit).where(Unit.name == "测试乡"))


def _stored(citizen_ids) -> dict:
    rows = db.session.scalars(select(Household).where(Household.citizen_id.in_(list(citizen_ids)))).all()
    return {h.citizen_id: (h.head_name, h.village.name, h.size, h.poverty_cause, h.status, h.phone, h.address)
            for h in rows}


def _expected(villages=("东村", "西村", "南村")) -> dict:
    return {r["身份证号"]: (r["户主姓名"], v, r["家庭人口"], CAUSE[r["致贫原因"]], STATUS[r["脱贫状态"]],
                         PHONE[r["联系电话"]], r["家庭住址"]) for v in villages for r in village_households(v)}


@pytest.mark.parametrize("kind", ["xlsx", "xls", "xls renamed .xlsx"])
def test_a_real_workbook_imports_every_visible_village_sheet_and_not_the_hidden_copy(world, ctx, kind):
    data, name = (real_workbook(), "花名册.xlsx") if kind == "xlsx" else (XLS.read_bytes(), "花名册.xls")
    if kind == "xls renamed .xlsx":
        name = "花名册.xlsx"
    plan = import_roster([(name, data)], _unit(), None)
    assert plan.ok, plan.errors
    expected = _expected()
    assert _stored(expected) == expected  # 12 households from 3 village sheets, values mapped
    assert not db.session.scalars(select(Household).where(Household.head_name.like("旧%"))).all()
    sheets = {s.sheet: s for s in plan.parsed.sheets}
    assert sheets["2019年底数据"].skipped == "隐藏的工作表，未导入"
    for v in ("东村", "西村", "南村"):
        s = sheets[v]
        assert (s.kind, s.new, s.footer, s.empty, s.refused) == ("户表", 4, 2, 990, 0)
        assert ("家庭人口\n（人）", "家庭人口") in s.mapping and ("公民身份\n号码", "身份证号") in s.mapping
    warnings = "\n".join(plan.parsed.warnings)
    assert "隐藏的工作表「2019年底数据」未导入" in warnings and "跳过 2 行合计、填表人等表尾" in warnings
    assert "值的对应：脱贫状态 脱贫户 → 已脱贫（1 行）" in warnings
    assert ("按 .xls 读取" in warnings) == (kind == "xls renamed .xlsx")


def test_a_second_id_column_is_refused_naming_both_columns(world, ctx):
    plan = import_roster([("r.xlsx", real_workbook(villages=("东村",), hidden_old_copy=False, spouse_id=True))],
                         _unit(), None)
    assert not plan.ok and plan.result is None
    text = " ".join(str(e) for e in plan.errors)
    assert "（D 列）和「配偶信息 / 身份证号」（L 列）都是“身份证号”，不知道该用哪一列" in text, text
    assert "都是“户主姓名”" in text  # the spouse's 姓名 under 配偶信息 as well
    assert not _stored(_expected(("东村",)))


def test_ids_stored_as_numbers_are_refused_with_the_excel_explanation(world, ctx):
    def as_number(cell, row):
        cell.value = float(row["身份证号"].replace("X", "0"))  # what a General cell keeps
    plan = import_roster([("r.xlsx", real_workbook(villages=("东村",), hidden_old_copy=False, id_cells=as_number))],
                         _unit(), None)
    assert [e.line for e in plan.errors] == [5, 6, 7, 8]
    assert all(EXCEL_CUT in str(e) and "存成了数字" in str(e) for e in plan.errors)


def test_excel_cut_ids_are_refused_even_the_one_whose_check_digit_fits(world, ctx):
    lucky, unlucky = cut_excel_id("19650312", 10, True), cut_excel_id("19650312", 20, False)
    rows = [household_row(身份证号=lucky, 帮扶责任人=""), household_row(身份证号=unlucky, 帮扶责任人=""),
            household_row(身份证号="4.22801E+17", 帮扶责任人="")]
    plan = import_roster([("r.csv", csv_bytes(rows))], _unit(), None, confirm_000=True)
    assert [e.line for e in plan.errors] == [2, 3, 4]
    for e in plan.errors:
        assert EXCEL_CUT in str(e) and "校验位错误" not in str(e), str(e)
    assert "其他身份证号显示被 Excel 截断过" in str(plan.errors[0])
    assert "科学计数法" in str(plan.errors[2])


def test_one_id_ending_in_000_needs_the_office_to_confirm_it(world, ctx):
    lucky = cut_excel_id("19650312", 30, True)  # valid as it stands: Excel may or may not have cut it
    rows = [household_row(身份证号=lucky, 帮扶责任人=""), household_row(帮扶责任人="")]
    plan = import_roster([("r.csv", csv_bytes(rows))], _unit(), None)
    assert [e.line for e in plan.errors] == [2] and "以 000 结尾的身份证号已核对无误" in str(plan.errors[0])
    assert EXCEL_CUT in str(plan.errors[0])
    db.session.rollback()
    plan = import_roster([("r.csv", csv_bytes(rows))], _unit(), None, confirm_000=True)
    assert plan.ok and lucky in _stored([lucky])


def test_id_numbers_are_normalised_before_they_are_checked(world, ctx):
    ids = [fixed_id("19650312", n) for n in (501, 502, 503, 504, 505)]
    x_id = fixed_id("19650312", 510, check="X")
    full = ids[1].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    written = ["'" + ids[0], full, f" {ids[2][:6]} {ids[2][6:14]}\u00a0{ids[2][14:]} ",
               f"{ids[3][:6]}\u3000{ids[3][6:]}\u200b", f"\ufeff{ids[4]}", x_id.lower()]
    rows = [household_row(户主姓名=f"规范{i}", 身份证号=w, 帮扶责任人="") for i, w in enumerate(written)]
    plan = import_roster([("r.csv", csv_bytes(rows))], _unit(), None)
    assert plan.ok, plan.errors
    assert {c: v[0] for c, v in _stored(ids + [x_id]).items()} == {c: f"规范{i}" for i, c in enumerate(ids + [x_id])}


def test_the_national_person_level_export_groups_people_into_households(world, ctx):
    data, families = person_export()
    plan = import_roster([("导出.xlsx", data)], _unit(), None)
    assert plan.ok, plan.errors
    zhou = db.session.scalar(select(Household).where(Household.head_name == "周大山"))
    zheng = db.session.scalar(select(Household).where(Household.head_name == "郑二"))
    assert (zhou.citizen_id, zhou.village.name, zhou.size, zhou.status, zhou.phone) == \
        (families["4228010010001"][0][2], "北村", 3, "已脱贫", "13900001111")
    assert zheng.citizen_id == families["4228010010002"][0][2].upper() and zheng.status == "监测户"
    assert zheng.poverty_cause == "缺劳力" and zheng.size == 1
    members = {m.name: (m.relation, m.birth_date, m.education_stage) for m in zhou.members}
    assert members == {"周大山": ("户主", date(1968, 3, 5), None), "吴小花": ("配偶", date(1970, 8, 12), None),
                       "周小山": ("之子", date(2012, 9, 1), "小学")}
    assert plan.parsed.sheets[0].kind == "全国系统人员表（一人一行）"


def test_a_person_export_household_without_a_head_is_refused(world, ctx):
    wb = load_workbook(io.BytesIO(person_export()[0]))
    wb.active["E2"] = "本人"  # 周大山 is no longer marked 户主
    out = io.BytesIO()
    wb.save(out)
    plan = import_roster([("导出.xlsx", out.getvalue())], _unit(), None)
    assert [str(e) for e in plan.errors] == ["人员信息 第 2 行：户编号 4228010010001 没有“户主”行（第 2、3、4 行）。"]


def test_gb18030_csv_from_chinese_excel(world, ctx):
    rows = [household_row(户主姓名="龔𠀀", 村名="东村", 家庭住址="瀘溪縣", 脱贫状态="稳定脱贫", 帮扶责任人="")]
    plan = import_roster([("花名册.csv", csv_bytes(rows, encoding="gb18030"))], _unit(), None)
    assert plan.ok, plan.errors
    assert _stored([rows[0]["身份证号"]])[rows[0]["身份证号"]][:2] == ("龔𠀀", "东村")
    assert any("GBK/GB18030" in w for w in plan.parsed.warnings)


@pytest.mark.parametrize("saved_by", ["openpyxl", "LibreOffice"])
def test_member_dates_and_school_stages_as_offices_write_them(world, ctx, saved_by):
    """openpyxl writes inline strings; office suites write shared strings and date styles."""
    data = member_dates_workbook() if saved_by == "openpyxl" else (XLS.parent / "member_dates.xlsx").read_bytes()
    plan = import_roster([("r.xlsx", data)], _unit(), None)
    assert plan.ok, plan.errors
    got = {m.name: (m.birth_date and m.birth_date.isoformat(), m.education_stage)
           for m in db.session.scalars(select(Member).where(Member.name.like("成员%")))}
    assert got == {f"成员{i}": (d, s) for i, (_, _, d, s) in enumerate(MEMBER_DATES)}
    assert {m.household.citizen_id for m in db.session.scalars(select(Member).where(Member.name.like("成员%")))} == {DATES_HEAD}


def test_numbers_where_text_is_expected_are_read_as_text_or_refused_in_chinese(world, ctx):
    rows = [household_row(户主姓名="门牌户", 家庭住址=12, 联系电话=13800002222, 帮扶责任人=""),
            household_row(户主姓名=12345, 帮扶责任人="")]
    plan = import_roster([("r.xlsx", xlsx_bytes(rows))], _unit(), None)
    assert [str(e) for e in plan.errors] == ["户表 第 3 行：户主姓名应为文字，表格里却是数字（12345）。"]
    db.session.rollback()
    plan = import_roster([("r.xlsx", xlsx_bytes(rows[:1]))], _unit(), None)
    assert _stored([rows[0]["身份证号"]])[rows[0]["身份证号"]][5:] == ("13800002222", "12")


def test_a_stale_dimension_does_not_hide_rows(world, ctx):
    rows = [household_row(户主姓名=f"维度{i}", 帮扶责任人="") for i in range(5)]
    data = stale_dimension(xlsx_bytes(rows))
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    assert len(list(ws.iter_rows(values_only=True))) == 1  # what read-only mode sees without reset_dimensions()
    plan = import_roster([("r.xlsx", data)], _unit(), None)
    assert plan.ok and plan.result.created == 5


def test_an_office_can_add_header_names_in_its_config(world, ctx):
    csv_data = csv_bytes([household_row(帮扶责任人="")]).decode("utf-8-sig").replace("村名", "所属村组", 1)
    plan = import_roster([("r.csv", csv_data.encode())], _unit(), None)
    assert "户表缺少这些列：村名" in str(plan.errors[0]) and plan.parsed.sheets[0].unknown == ["所属村组"]
    db.session.rollback()
    settings = settings_from({"ROSTER_HEADER_SYNONYMS": Default.ROSTER_HEADER_SYNONYMS,
                              "ROSTER_HEADER_SYNONYMS_EXTRA": {"村名": ["所属村组"]}}, PairingRules())
    plan = import_roster([("r.csv", csv_data.encode())], _unit(), None, settings=settings)
    assert plan.ok, plan.errors


# ---------------------------------------------------------------- damaged and hostile files

def test_a_sheet_cut_off_inside_an_intact_zip_gets_one_chinese_message(world, ctx):
    data = cut_sheet_xml(xlsx_bytes([household_row(户主姓名=f"断{i}") for i in range(50)]))
    with pytest.raises(RosterFormatError, match="已损坏，无法读取"):
        import_roster([("r.xlsx", data)], _unit(), None)


@pytest.mark.parametrize("name, data, message", [
    ("r.xlsx", b"PK\x03\x04 not really a zip", "已损坏"),
    ("r.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "无法按 Excel 97–2003"),
    ("r.xlsx", "这是一个文本文件".encode(), "不是有效的 Excel 文件"),
    ("r.pdf", b"%PDF-1.4", "只接受"),
    ("r.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "编码无法识别|二进制"),
    ("r.csv", b"", "空文件"),
])
def test_damaged_files_get_one_chinese_message(world, ctx, name, data, message):
    with pytest.raises(RosterFormatError, match=message):
        import_roster([(name, data)], _unit(), None)


def test_a_docx_is_not_taken_for_a_workbook(world, ctx):
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(RosterFormatError, match="不是 Excel 工作簿"):
        import_roster([("r.xlsx", buf.getvalue())], _unit(), None)


def test_a_zip_bomb_is_refused_before_it_is_parsed(world, ctx):
    data = zip_bomb(2_000_000)
    assert len(data) < 1024 * 1024
    with pytest.raises(RosterFormatError, match="压缩比超过 100 倍"):
        import_roster([("r.xlsx", data)], _unit(), None)


def test_reading_stops_at_the_row_limit(world, ctx):
    data = zip_bomb(1_000_000, numbered=True)  # ~5 MB holding a million rows: not a bomb, just long
    with pytest.raises(RosterFormatError, match="超过 120000 行"):
        import_roster([("r.xlsx", data)], _unit(), None)
    rows = "".join(f"{i}\r\n" for i in range(300))
    csv_data = csv_bytes([household_row()]) + rows.encode()
    small = Settings(limits=Settings().limits.__class__(max_rows=100))
    with pytest.raises(RosterFormatError, match="超过 100 行"):
        import_roster([("r.csv", csv_data)], _unit(), None, settings=small)


def test_a_file_over_the_size_limit_is_refused_unread(world, ctx):
    small = Settings(limits=Settings().limits.__class__(max_bytes=1000))
    with pytest.raises(RosterFormatError, match="太大"):
        import_roster([("r.xlsx", xlsx_bytes([household_row()]))], _unit(), None, settings=small)


def test_wide_sheets_are_read_up_to_the_column_limit(world, ctx):
    wb = Workbook()
    ws = wb.active
    row = household_row(帮扶责任人="")
    ws.append(list(row))
    ws.append(list(row.values()))
    ws.cell(2, 16000, "远处的单元格")  # a cell at column WQJ would make every row 16,000 wide
    out = io.BytesIO()
    wb.save(out)
    plan = import_roster([("r.xlsx", out.getvalue())], _unit(), None)
    assert plan.ok and plan.result.created == 1


def test_an_export_tools_workbook_with_prefixes_inline_strings_and_no_cell_references(world, ctx):
    """As some systems write .xlsx by hand: x: prefixes, inline strings, no r attributes, no
    dimension, no shared strings or styles, an absolute relationship target."""
    import zipfile

    row = household_row(户主姓名="导出户", 帮扶责任人="")
    headers = ["村名", "户主姓名", "身份证号", "家庭人口", "致贫原因", "脱贫状态"]

    def cells(values):
        return "".join(f'<x:c t="inlineStr"><x:is><x:t>{v}</x:t></x:is></x:c>' for v in values)

    ns = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet {ns}><x:sheetData>'
             f"<x:row>{cells(headers)}</x:row><x:row>{cells(row[h] for h in headers)}</x:row>"
             "</x:sheetData></x:worksheet>")
    workbook = (f'<?xml version="1.0"?><x:workbook {ns} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                '<x:sheets><x:sheet name="导出" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>')
    rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="/xl/worksheets/data.xml"/></Relationships>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        z.writestr("xl/worksheets/data.xml", sheet)
    plan = import_roster([("导出.xlsx", buf.getvalue())], _unit(), None)
    assert plan.ok, plan.errors
    assert _stored([row["身份证号"]])[row["身份证号"]][:3] == ("导出户", "东村", 4)


def test_xml_with_a_doctype_is_refused(world, ctx):
    import zipfile

    data = xlsx_bytes([household_row()])
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                doctype = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                body = body.replace(b"?>", b"?>" + doctype, 1) if body.startswith(b"<?xml") else doctype + body
                assert doctype in body
            z.writestr(info.filename, body)
    with pytest.raises(RosterFormatError, match="已损坏"):
        import_roster([("r.xlsx", buf.getvalue())], _unit(), None)

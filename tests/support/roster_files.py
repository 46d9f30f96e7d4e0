"""Roster files made in the tests the way township offices make them.

Simple files (one header row, the app's own headers) and real ones: title rows, two-row headers
with merged group cells, 序号, 村名 merged down each village, 合计 and 填表人 rows, rows formatted
down to row 1000 with only a 序号, hidden sheets, one sheet per village, the national system's
person-level export, CSV from Chinese Excel (GB18030), a stale <dimension ref="A1"/>, a sheet cut
off inside an intact zip, zip bombs. IDs here are fixed (deterministic), so the committed .xls
fixtures made from these builders (tests/fixtures/roster/make_xls.py) match the expectations.
"""
import csv
import io
import re
import zipfile

from openpyxl import Workbook
from openpyxl.styles import Font

from webapp.models.identity import id_check_char
from webapp.models.vocab import HOUSEHOLD_HEADERS, MEMBER_HEADERS

from .factories import citizen_id

__all__ = ["HOUSEHOLD_HEADERS", "MEMBER_HEADERS", "citizen_id", "csv_bytes", "cut_excel_id", "cut_sheet_xml",
           "fixed_id", "household_row", "person_export", "real_workbook", "stale_dimension", "upload",
           "village_households", "xlsx_bytes", "zip_bomb"]


def fixed_id(born: str, seq: int, area: str = "422801", check: str | None = None) -> str:
    """A valid ID number: area, birth date, 3-digit sequence, check character. With `check`, the
    first sequence number from `seq` on whose check character is that one (e.g. "X")."""
    while True:
        first17 = f"{area}{born}{seq % 1000:03d}"
        if check is None or id_check_char(first17) == check:
            return first17 + id_check_char(first17)
        seq += 1


def cut_excel_id(born: str, seq: int, passes_check: bool) -> str:
    """What Excel leaves of an ID typed into a number cell: 15 digits and 000. With passes_check,
    one of the ~1 in 11 whose check digit still fits by chance."""
    while True:
        cut = f"422801{born}{seq % 1000:03d}"[:15] + "000"
        if (id_check_char(cut[:17]) == "0") == passes_check:
            return cut
        seq += 10  # keep the first 15 digits moving


def household_row(**over) -> dict:
    row = {"村名": "东村", "户主姓名": "赵大", "身份证号": citizen_id("19650312"), "家庭人口": "4",
           "致贫原因": "因病", "脱贫状态": "已脱贫", "联系电话": "13800001111", "家庭住址": "东村1组3号",
           "经度": "109.5011", "纬度": "30.3012", "帮扶责任人": "h1"}
    row.update(over)
    return row


def csv_bytes(rows: list[dict], headers=HOUSEHOLD_HEADERS, bom: bool = True, encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(headers), lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({h: r.get(h, "") for h in headers})
    text = buf.getvalue()
    if encoding != "utf-8":
        return text.encode(encoding)  # Chinese Excel's "CSV（逗号分隔）": GBK, no BOM
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def xlsx_bytes(rows: list[dict], members: list[dict] | None = None, headers=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "户表"
    headers = list(headers or reversed(HOUSEHOLD_HEADERS))  # any column order works
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
    if members is not None:
        ms = wb.create_sheet("家庭成员")
        ms.append(list(MEMBER_HEADERS))
        for m in members:
            ms.append([m.get(h) for h in MEMBER_HEADERS])
    return _save(wb)


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- a real 花名册

VILLAGES = ("东村", "西村", "南村")


def village_households(village: str, n: int = 4, born_year: int = 1960) -> list[dict]:
    """n households of a village, with the values offices really write."""
    statuses = ["脱贫户", "稳定脱贫", "已脱贫（享受政策）", "监测对象", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户"]
    causes = ["因病、因残", "缺劳动力", "其它", "因学"]
    phones = ["138 0000 1111", "139-0000-2222", "13700003333/13700004444", "１３６００００５５５５", "无"]
    base = VILLAGES.index(village) * 100 if village in VILLAGES else 300
    out = []
    for i in range(n):
        seq = base + i * 7 + 1
        cid = fixed_id(f"{born_year + i}0{(i % 9) + 1}1{i % 9}", seq)
        out.append({"村名": village, "户主姓名": f"{village[0]}户{i + 1}", "身份证号": cid,
                    "家庭人口": i % 5 + 2, "致贫原因": causes[(base + i) % 4], "脱贫状态": statuses[(base // 100 + i) % 7],
                    "联系电话": phones[i % 5], "家庭住址": f"{village}{i + 1}组", "帮扶责任人": None})
    return out


def _title_and_headers(ws, village: str, spouse_id: bool = False) -> int:
    """Two title rows and a two-row header; returns the first data row."""
    width = 10 + (2 if spouse_id else 0)
    ws.cell(1, 1, f"清江乡{village}建档立卡贫困户花名册").font = Font(bold=True, size=16)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(2, 1, "填报单位：清江乡人民政府（盖章）        填报日期：2026年3月1日")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    upper = ["序号", "村（社区）", "户主信息", None, "家庭情况", None, None, None, "户联系电话", "帮扶责任人"]
    lower = [None, None, "姓 名", "公民身份\n号码", "家庭人口\n（人）", "主要致贫原因", "脱贫属性", "家庭住址", None, None]
    if spouse_id:
        upper += ["配偶信息", None]
        lower += ["姓名", "身份证号"]
    for c, (u, low) in enumerate(zip(upper, lower), start=1):
        if u:
            ws.cell(3, c, u)
        if low:
            ws.cell(4, c, low)
    for c in (1, 2, 9, 10):
        ws.merge_cells(start_row=3, start_column=c, end_row=4, end_column=c)
    ws.merge_cells("C3:D3")
    ws.merge_cells("E3:H3")
    if spouse_id:
        ws.merge_cells("K3:L3")
    return 5


def _village_sheet(ws, village: str, rows: list[dict], spouse_id: bool = False, id_cells=None) -> None:
    first = _title_and_headers(ws, village, spouse_id)
    for i, r in enumerate(rows):
        line = first + i
        values = [i + 1, village if i == 0 else None, r["户主姓名"], r["身份证号"], r["家庭人口"], r["致贫原因"],
                  r["脱贫状态"], r["家庭住址"], r["联系电话"], r.get("帮扶责任人")]
        if spouse_id:
            values += [f"{r['户主姓名']}妻", fixed_id("19700101", 900 + i)]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(line, c, v)
            if c == 4 and id_cells is not None:
                id_cells(cell, r)
    last = first + len(rows) - 1
    if len(rows) > 1:
        ws.merge_cells(start_row=first, start_column=2, end_row=last, end_column=2)  # 村名 merged down
    ws.cell(last + 1, 1, "合计")
    ws.cell(last + 1, 5, sum(r["家庭人口"] for r in rows))
    ws.cell(last + 2, 1, "填表人：王会计            审核人：李主任")
    ws.merge_cells(start_row=last + 2, start_column=1, end_row=last + 2, end_column=8)
    for n, line in enumerate(range(last + 3, 1001), start=len(rows) + 1):
        ws.cell(line, 1, n)  # formatted down to row 1000: only a 序号


def real_workbook(villages=VILLAGES, per_village: int = 4, hidden_old_copy: bool = True, spouse_id: bool = False,
                  id_cells=None) -> bytes:
    """A township's workbook: a hidden old copy first ("2019年底数据"), then one sheet per village."""
    wb = Workbook()
    first = wb.active
    if hidden_old_copy:
        first.title = "2019年底数据"
        _village_sheet(first, "东村", [dict(r, 户主姓名="旧" + r["户主姓名"], 家庭人口=9)
                                        for r in village_households("东村", 2, 1950)])
        first.sheet_state = "hidden"
    else:
        wb.remove(first)
    for v in villages:
        _village_sheet(wb.create_sheet(v), v, village_households(v, per_village), spouse_id, id_cells)
    wb.active = 1 if hidden_old_copy else 0
    return _save(wb)


MEMBER_DATES = [  # (出生日期 as written, 在读学段 as written, date stored, stage stored)
    ("date", "小学三年级", "2014-09-01", "小学"), (41883, "初二", "2014-09-01", "初中"),
    ("2014/9/1", "高一", "2014-09-01", "高中"), ("2009.9.1", "普高", "2009-09-01", "高中"),
    ("1975年6月18日", "非在校生", "1975-06-18", None), ("20060517", "中职", "2006-05-17", "中职"),
    (20060517, "大专", "2006-05-17", "高职"), (None, "学前", None, "学前教育"),
]
DATES_HEAD = fixed_id("19650312", 777)


def member_dates_workbook() -> bytes:
    """A 户表 with one household and a 家庭成员 sheet with dates written every way offices do."""
    from datetime import datetime

    members = [{"户主身份证号": DATES_HEAD, "姓名": f"成员{i}", "出生日期": datetime(2014, 9, 1) if d == "date" else d,
                "在读学段": s} for i, (d, s, _, _) in enumerate(MEMBER_DATES)]
    return xlsx_bytes([household_row(户主姓名="日期户", 身份证号=DATES_HEAD, 帮扶责任人="")], members)


def person_export() -> tuple[bytes, dict]:
    """The national system's person-level export: one row per person, households by 户编号."""
    wb = Workbook()
    ws = wb.active
    ws.title = "人员信息"
    ws.append(["序号", "户编号", "行政村", "姓名", "与户主关系", "证件号码", "人数", "致贫原因", "脱贫属性",
               "联系电话", "出生日期", "在校生状况"])
    families = {
        "4228010010001": [("周大山", "户主", fixed_id("19680305", 11), 3, "因病", "脱贫户", "13900001111", None, "非在校生"),
                          ("吴小花", "配偶", fixed_id("19700812", 12), None, None, None, None, None, "非在校生"),
                          ("周小山", "之子", fixed_id("20120901", 13), None, None, None, None, None, "小学三年级")],
        "4228010010002": [("郑二", "户主", fixed_id("19550101", 14, check="X").lower(), 1, "缺劳动力", "监测对象", None,
                           None, "非在校生")],
    }
    n = 0
    for code, people in families.items():
        for name, rel, cid, size, cause, status, phone, born, school in people:
            n += 1
            ws.append([n, code, "北村", name, rel, cid, size, cause, status, phone, born, school])
    return _save(wb), families


# ---------------------------------------------------------------- damaged and hostile files

def _rewrite(data: bytes, change) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change(info.filename, src.read(info.filename)))
    return out.getvalue()


def stale_dimension(data: bytes) -> bytes:
    """As export tools write it: <dimension ref="A1"/> whatever the sheet holds."""
    return _rewrite(data, lambda name, body: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', body)
                    if name.startswith("xl/worksheets/") else body)


def cut_sheet_xml(data: bytes) -> bytes:
    """The first sheet's XML cut off in the middle, inside a zip that is itself intact."""
    return _rewrite(data, lambda name, body: body[: len(body) // 2] if name == "xl/worksheets/sheet1.xml" else body)


def zip_bomb(rows: int = 1_000_000, numbered: bool = False) -> bytes:
    """A small .xlsx whose one sheet holds a million one-cell rows: without row numbers (as the
    format allows) it unzips ~1000 times its size; numbered, ~10 times (not a bomb, just long)."""
    base = xlsx_bytes([household_row()])
    src = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info.filename, src.read(info.filename))
                continue
            with dst.open(info.filename, "w", force_zip64=True) as f:
                f.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                for start in range(1, rows + 1, 10000):
                    if numbered:
                        f.write(b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r)
                                         for r in range(start, min(start + 10000, rows + 1))))
                    else:
                        f.write(b"<row><c><v>1</v></c></row>" * min(10000, rows + 1 - start))
                f.write(b"</sheetData></worksheet>")
    return out.getvalue()


def upload(client, data: bytes, filename: str = "花名册.xlsx", confirm: bool = True, **form):
    """The office admin's two steps: upload (the preview), then confirm. Returns (preview, result);
    result is None when the preview refused rows or confirm is False."""
    preview = client.post("/admin/roster", data={"files": (io.BytesIO(data), filename), **form},
                          content_type="multipart/form-data")
    match = re.search(r'name="token" value="([^"]+)"', preview.get_data(as_text=True))
    if not confirm or match is None:
        return preview, None
    return preview, client.post("/admin/roster/confirm", data={"token": match[1]})

"""Roster files made in the tests: CSV (with or without BOM) and XLSX with a member sheet."""
import csv
import io

from openpyxl import Workbook

from webapp.schemas.roster import HOUSEHOLD_HEADERS, MEMBER_HEADERS

from .factories import citizen_id


def household_row(**over) -> dict:
    row = {"村名": "东村", "户主姓名": "赵大", "身份证号": citizen_id("19650312"), "家庭人口": "4",
           "致贫原因": "因病", "脱贫状态": "已脱贫", "联系电话": "13800001111", "家庭住址": "东村1组3号",
           "经度": "109.5011", "纬度": "30.3012", "帮扶责任人": "h1"}
    row.update(over)
    return row


def csv_bytes(rows: list[dict], headers=HOUSEHOLD_HEADERS, bom: bool = True) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(headers))
    w.writeheader()
    for r in rows:
        w.writerow({h: r.get(h, "") for h in headers})
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


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
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, data: bytes, filename: str = "花名册.xlsx", confirm: bool = True, **form):
    """The office admin's two steps: upload (the preview), then confirm. Returns (preview, result);
    result is None when the preview refused rows or confirm is False."""
    import re

    preview = client.post("/admin/roster", data={"files": (io.BytesIO(data), filename), **form},
                          content_type="multipart/form-data")
    match = re.search(r'name="token" value="([^"]+)"', preview.get_data(as_text=True))
    if not confirm or match is None:
        return preview, None
    return preview, client.post("/admin/roster/confirm", data={"token": match[1]})

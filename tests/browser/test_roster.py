"""The office admin imports a real roster on a phone: preview first, then confirm."""
import os

from sqlalchemy import func, select

from tests.support import factories
from tests.support.roster_files import real_workbook
from webapp.extensions import db
from webapp.models import Household

from .conftest import login, no_horizontal_scroll


def test_upload_preview_and_confirm_on_a_phone(phone, world, app, tmp_path):
    path = tmp_path / "清江乡花名册.xlsx"
    path.write_bytes(real_workbook())
    login(phone, "admin", factories.PASSWORD)
    phone.goto("/admin/roster")
    phone.set_input_files("input[name=files]", str(path))
    phone.click("button:has-text('上传并预览')")
    phone.wait_for_selector("text=预览（尚未写入）")
    assert phone.is_visible("text=全部可以导入：新增 12 户")
    assert phone.is_visible("text=隐藏的工作表「2019年底数据」未导入（如需导入，请在 Excel 中取消隐藏）。")
    assert no_horizontal_scroll(phone)  # the wide per-sheet table scrolls inside its card
    if os.environ.get("SCREENSHOTS"):
        phone.screenshot(path=os.path.join(os.environ["SCREENSHOTS"], "roster-preview.png"), full_page=True)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Household))
        db.session.remove()
    phone.click("button:has-text('确认导入')")
    phone.wait_for_selector("text=导入成功：新增 12 户")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Household)) == before + 12
        db.session.remove()

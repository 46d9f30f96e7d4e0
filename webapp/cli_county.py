"""flask county add: a county above townships, whose office approves pairing changes."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from .extensions import db
from .models import COUNTY_KIND, Unit

county_cli = AppGroup("county", help="县（乡镇的上级）")


@county_cli.command("add")
@click.argument("name")
@click.option("--township", "townships", multiple=True, required=True, help="所辖乡镇名称（可多次）")
def county_add(name: str, townships: tuple[str, ...]) -> None:
    """建县（已有则沿用）并把乡镇归到县下；县级账号再用 users create --role county_admin --unit 县名。"""
    county = db.session.scalar(select(Unit).where(Unit.name == name))
    if county is None:
        county = Unit(name=name, kind=COUNTY_KIND)
        db.session.add(county)
        db.session.flush()
    elif county.kind != COUNTY_KIND:
        raise click.ClickException(f"{name} 已是乡镇单位，不能作县。")
    for t in townships:
        unit = db.session.scalar(select(Unit).where(Unit.name == t, Unit.kind != COUNTY_KIND))
        if unit is None:
            raise click.ClickException(f"未知乡镇：{t}")
        unit.parent_id = county.id
    db.session.commit()
    click.echo(f"{name}：辖 {'、'.join(townships)}。结对调整自此须县里同意。")

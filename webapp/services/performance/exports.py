"""The month and quarter rankings as spreadsheet rows (headers and cells, in Chinese)."""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import select

from ...extensions import db
from ...models import Village
from .month import HelperMonth, HelperPeriod

MONTH_HEADERS = ("排名", "姓名", "账号", "村", "结对户数（折算）", "已走访户数", "走访次数", "围栏内走访", "异常走访",
                 "超时录入", "退回未改", "有日志户数", "到期措施", "完成措施", "得分", "等级", "否决优秀原因",
                 "问责提示", "抽查结果")


def month_rows(results: list[HelperMonth], village_names: dict[int, str]) -> list[list[Any]]:
    rows = []
    for r in results:
        spot = ""
        if r.spot_check is not None:
            spot = r.spot_check.result or "待检查"
            if r.spot_check.note:
                spot += f"：{r.spot_check.note}"
        rows.append([r.rank, r.display_name, r.username, village_names.get(r.village_id, ""), r.households,
                     r.households_visited, r.visits, r.visits_in_geofence, r.flagged_visits, r.late_visits,
                     r.returned_visits, r.diary_households, r.measures_due, r.measures_done, r.score, r.rating,
                     r.veto or "", "；".join(f"{f.action}候选：{f.rule}（{f.evidence}）" for f in r.flags), spot])
    return rows


def quarter_headers(months: list[str]) -> list[str]:
    return ["排名", "姓名", "账号", "村"] + [f"{int(m[5:])}月得分" for m in months] + ["季度得分", "等级"]


def quarter_rows(months: list[str], results: list[HelperPeriod], village_names: dict[int, str]) -> list[list[Any]]:
    return [[r.rank, r.display_name, r.username, village_names.get(r.village_id, "")]
            + [r.months.get(m, "") if r.months.get(m) is not None else "" for m in months] + [r.score, r.rating]
            for r in results]


def village_names(results: Iterable[HelperMonth | HelperPeriod]) -> dict[int, str]:
    """Names of the (first) villages of helpers already in the user's scope."""
    ids = {r.village_id for r in results if r.village_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Village.id, Village.name).where(Village.id.in_(ids))).all())

"""Accountability flags mapped to their exact item of 004 第九条 (责任追究方式), one sanction per fact.

Every automatic flag names one item of 第九条, quoted exactly from
seeds/004 (花园乡精准脱贫工作考核及责任追究办法), and the step it belongs to. Where two items could apply
to the same fact the installation chooses in config (SANCTION_CHOICES); the defaults are stated in
the README. 弄虚作假 confirmed by a reviewer (on a visit) or by a spot check is 第九条(四)2, the most
serious step (党政纪处分 candidate). Flags are candidates for the township to decide, never decisions.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

from sqlalchemy import Select, select

from .. import database
from ..extensions import db
from ..models import SpotCheckItem, User, Visit
from . import audit, permissions
from .errors import Conflict, NotFound, ValidationFailed

# 004 第九条, word for word (the source's own punctuation): item → (step, text)
ITEMS: dict[str, tuple[str, str]] = {
    "(一)1": ("通报批评", "无故不参加有关会议的"),
    "(一)2": ("通报批评", "不按要求进村入户开展扶贫工作的"),
    "(一)3": ("通报批评", "各类表册等材料上报不及时、填写不规范、不完善的"),
    "(二)1": ("书面检查", "不能耐心接待群众来访、对政策解释错误,给脱贫工作带来负面影响的"),
    "(二)2": ("书面检查", "工作态度消极、敷衍塞责、推进缓慢、效率低下的"),
    "(二)3": ("书面检查", "在规定时间内没有完成各项工作任务的"),
    "(二)4": ("书面检查", "未按照要求填写精准扶贫表格的"),
    "(三)1": ("诫勉谈话", "业务指导不及时、扶贫政策兑现打折扣的"),
    "(三)2": ("诫勉谈话", "调查摸底不入户、收入核算不仔细、非本人签字确认、审核把关不严的、建档立卡不完善的"),
    "(三)3": ("诫勉谈话", "评定结果不公开或公开不及时、不真实、不全面的"),
    "(三)4": ("诫勉谈话", "没有制定帮扶计划、项目实施方案、增收脱贫措施的"),
    "(三)5": ("诫勉谈话", "没有完成帮扶计划的"),
    "(四)1": ("党政纪处分", "未按规定程序评定贫困户,徇私舞弊、暗箱操作的"),
    "(四)2": ("党政纪处分", "工作中弄虚作假、玩忽职守、失职渎职的"),
    "(四)3": ("党政纪处分", "挤占、截留、挪用、拖欠扶贫补助项目资金的"),
    "(四)4": ("党政纪处分", "虚报、瞒报和违规套取扶贫项目补助款的"),
    "(四)5": ("党政纪处分", "严重违反国家有关扶贫政策和法规等行为的"),
}

# each automatic flag → its item; the ones with a choice read SANCTION_CHOICES from config
FIXED = {
    "not_visited": "(一)2",  # a household not visited in the month (001: 每月至少上户一次)
    "late_records": "(一)3",  # visits entered later than LATE_ENTRY_HOURS (上报不及时)
    "no_plan": "(三)4",  # a household without any measure (没有制定…增收脱贫措施)
    "fake": "(四)2",  # 弄虚作假 confirmed by a reviewer or a spot check
    "policy_short": "(三)1",  # a policy problem still open at its due date (扶贫政策兑现打折扣)
}
CHOICES = {  # flag → (items allowed, default)
    "incomplete_records": (("(一)3", "(二)4"), "(二)4"),  # a missing or sent-back diary entry
    "plan_overdue": (("(二)3", "(三)5"), "(三)5"),  # a measure open past its due date
}


def item_for(code: str, choices: Mapping[str, str]) -> str:
    """The item of 第九条 for an automatic flag; where two could apply, `choices` (SANCTION_CHOICES,
    ScoringRules.sanction_choices) picks one of the two, else the default."""
    if code in FIXED:
        return FIXED[code]
    allowed, default = CHOICES[code]
    chosen = choices.get(code, default)
    return chosen if chosen in allowed else default


def describe(code: str, choices: Mapping[str, str]) -> tuple[str, str, str]:
    """(item label "第九条(一)2", step, the item's text) for an automatic flag."""
    item = item_for(code, choices)
    step, text = ITEMS[item]
    return f"第九条{item}", step, text


# ---------------------------------------------------------------- 弄虚作假 confirmed on a visit

def confirm_fake_visit(by: User, visit: Visit, note: str) -> Visit:
    """A reviewer (the village's first secretary or the unit's office admin; the caller has looked
    the visit up through access.review_visit) confirms the visit record is fake."""
    if not permissions.can_sanction(by):
        raise NotFound("没有这次走访，或您无权查看。")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("请写明核实的弄虚作假情况。", field="fake_note")
    if len(note) > 2000:
        raise ValidationFailed("说明最多 2000 字。", field="fake_note")
    database.locked(visit)  # two confirmations at once: the second sees the first
    if visit.fake_confirmed_at is not None:  # the first confirmation is the evidence: never overwritten
        raise Conflict("这次走访已确认弄虚作假，不能重复确认。")
    visit.fake_confirmed_by_id, visit.fake_confirmed_at, visit.fake_note = by.id, datetime.now(timezone.utc), note
    audit.record(by, "visit.fake_confirmed", "visit", visit.id, helper_id=visit.helper_id, note=note)
    return visit


def mark_spot_check_fake(by: User, item: SpotCheckItem, fake: bool) -> SpotCheckItem:
    """The spot check found 弄虚作假 (needs the result 不符合 with its note)."""
    fake = bool(fake)
    if fake and item.result != "不符合":
        raise ValidationFailed("确认弄虚作假时，抽查结果应为“不符合”并写明情况。", field="fake")
    if fake != bool(item.fake):
        item.fake = fake
        audit.record(by, "spotcheck.fake", "spot_check_item", item.id, helper_id=item.helper_id, fake=fake)
    return item


def fake_visits(start: datetime, end: datetime, scope: Select) -> dict[int, list[str]]:
    """{helper id: ["3月5日 张三：note", ...]} for visits in [start, end) confirmed fake, helpers in scope."""
    from ..models import Household
    from .calendar import tz

    rows = db.session.execute(
        select(Visit.helper_id, Visit.checked_in_at, Household.head_name, Visit.fake_note)
        .join(Household, Household.id == Visit.household_id)
        .where(Visit.fake_confirmed_at.is_not(None), Visit.checked_in_at >= start, Visit.checked_in_at < end,
               Visit.helper_id.in_(scope))
        .order_by(Visit.checked_in_at)
    ).all()
    out: dict[int, list[str]] = {}
    for helper_id, at, head, note in rows:
        local = at.astimezone(tz())
        out.setdefault(helper_id, []).append(f"{local.month}月{local.day}日 {head}：{note}")
    return out

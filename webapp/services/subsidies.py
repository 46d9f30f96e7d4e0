"""Education-subsidy items a helper teacher confirms per student, by stage.

The catalogue lives here and only here: the visit form, the API validation, the demo data and
the printed diary all read it. Item codes are stable (stored in SubsidyAnswer.item).
"""
from dataclasses import dataclass

ANSWERS = ("已享受", "未享受", "不适用")


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    amount: str  # as the rule states it, e.g. "600 元/年", "≥ 2000 元/年", "免除"


_PRESCHOOL = (
    Item("preschool_fee", "保教费减免", "600 元/年"),
    Item("preschool_living", "生活补助", "400 元/年"),
)
_NUTRITION = Item("nutrition", "营养改善计划", "800 元/年")
_LOANS = Item("student_loan", "生源地信用助学贷款", "按需")

CATALOGUE: dict[str, tuple[Item, ...]] = {
    "学前教育": _PRESCHOOL,
    "小学": (Item("boarding_primary", "寄宿生生活补助（小学）", "1000 元/年"), _NUTRITION),
    "初中": (Item("boarding_junior", "寄宿生生活补助（初中）", "1250 元/年"), _NUTRITION),
    "高中": (
        Item("senior_fee_waiver", "免学杂费", "免除"),
        Item("senior_grant", "国家助学金", "≥ 2000 元/年"),
    ),
    "中职": (
        Item("vocational_fee_waiver", "免学费", "免除"),
        Item("vocational_grant", "国家助学金", "2000 元/年"),
        Item("yulu", "雨露计划", "2000 元/年"),
    ),
    "高职": (
        Item("college_grant", "国家助学金（专科）", "4000 元/年"),
        Item("yulu", "雨露计划", "2000 元/年"),
        _LOANS,
    ),
    "本科": (Item("bachelor_grant", "国家助学金（本科）", "4000 元/年"), _LOANS),
    "硕士": (Item("master_grant", "国家助学金（硕士）", "6000 元/年"), _LOANS),
    "博士": (Item("doctor_grant", "国家助学金（博士）", "13000 元/年"), _LOANS),
}


def items_for(stage: str | None) -> tuple[Item, ...]:
    return CATALOGUE.get(stage or "", ())


def codes_for(stage: str | None) -> set[str]:
    return {i.code for i in items_for(stage)}


def label(code: str) -> str:
    for items in CATALOGUE.values():
        for i in items:
            if i.code == code:
                return i.label
    return code

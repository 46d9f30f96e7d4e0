"""Education-subsidy items a helper teacher confirms per student, by stage (000).

The catalogue lives here and only here: the visit form, the API validation, the demo data and
the printed diary all read it. Item codes are stable (stored in SubsidyAnswer.item). Amounts are
000's; the new students' one-time allowance is the local standard (NEW_STUDENT_ALLOWANCE, VisitRules). A
condition (本省就读 for the higher-education national grants) shows beside the item: a student it
does not apply to is answered 不适用 (not entitled), which opens no problem.
"""
from dataclasses import dataclass, replace

from ..models.vocab import SUBSIDY_ANSWERS

ANSWERS = SUBSIDY_ANSWERS
IN_PROVINCE = "限本省就读"  # 000: "对在本省就读的建档立卡贫困家庭…学生…发放国家助学金"


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    amount: str  # as the rule states it, e.g. "600 元/年", "≥ 2000 元/年", "免除"
    condition: str | None = None  # who is entitled, beyond the stage (e.g. 限本省就读)


_PRESCHOOL = (
    Item("preschool_fee", "保教费减免", "600 元/年"),
    Item("preschool_living", "生活补助", "400 元/年"),
)
_NUTRITION = Item("nutrition", "营养改善计划", "800 元/年")
# 义务教育 "在免除学杂费、教科书费基础上" (两免)
_TWO_FREE = (Item("compulsory_fee_waiver", "免学杂费", "免除"), Item("free_textbooks", "免费教科书", "免除"))
# "优先发放生源地信用助学贷款或高校国家助学贷款，最高额度为：普通本专科生每生每年不超过8000元，研究生每生每年不超过12000元"
_LOANS = Item("student_loan", "生源地信用助学贷款", "≤ 8000 元/年")
_LOANS_POSTGRADUATE = replace(_LOANS, amount="≤ 12000 元/年")
# 000 (学校检查): "新生一次性路费和短期生活费发放情况"; the amount is a setting (NEW_STUDENT_ALLOWANCE)
_NEW_STUDENT = Item("new_student_allowance", "新生一次性路费和短期生活费（新生）", "")

CATALOGUE: dict[str, tuple[Item, ...]] = {
    "学前教育": _PRESCHOOL,
    "小学": (*_TWO_FREE, Item("boarding_primary", "寄宿生生活补助（小学）", "1000 元/年"), _NUTRITION),
    "初中": (*_TWO_FREE, Item("boarding_junior", "寄宿生生活补助（初中）", "1250 元/年"), _NUTRITION),
    "高中": (
        Item("senior_fee_waiver", "免学费", "免除"),  # the code predates the 住宿费 item: kept (stored answers)
        Item("senior_boarding_waiver", "免住宿费", "免除"),
        Item("senior_grant", "国家助学金", "≥ 2000 元/年"),
    ),
    "中职": (
        Item("vocational_fee_waiver", "免学费", "免除"),
        Item("vocational_grant", "国家助学金", "2000 元/年"),
        Item("yulu", "雨露计划", "2000 元/年"),
    ),
    "高职": (
        Item("college_grant", "国家助学金（专科）", "4000 元/年", IN_PROVINCE),
        Item("yulu", "雨露计划", "2000 元/年"),
        _LOANS,
        _NEW_STUDENT,
    ),
    "本科": (Item("bachelor_grant", "国家助学金（本科）", "4000 元/年", IN_PROVINCE), _LOANS, _NEW_STUDENT),
    "硕士": (Item("master_grant", "国家助学金（硕士）", "6000 元/年", IN_PROVINCE), _LOANS_POSTGRADUATE),
    "博士": (Item("doctor_grant", "国家助学金（博士）", "13000 元/年", IN_PROVINCE), _LOANS_POSTGRADUATE),
}


def items_for(stage: str | None, new_student_allowance: str) -> tuple[Item, ...]:
    """The stage's items; the new students' allowance as the local standard says (VisitRules)."""
    return tuple(replace(i, amount=new_student_allowance) if i.code == _NEW_STUDENT.code else i
                 for i in CATALOGUE.get(stage or "", ()))


def codes_for(stage: str | None) -> set[str]:
    return {i.code for i in CATALOGUE.get(stage or "", ())}


def label(code: str) -> str:
    for items in CATALOGUE.values():
        for i in items:
            if i.code == code:
                return i.label
    return code

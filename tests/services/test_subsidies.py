"""The education-subsidy list completed from 000."""
from webapp.services import subsidies
from webapp.web import rules as app_rules


def _items(stage):
    return {i.code: i for i in subsidies.items_for(stage, app_rules.visits().new_student_allowance)}


def test_compulsory_education_has_the_two_frees(ctx):
    for stage in ("小学", "初中"):
        items = _items(stage)
        assert items["compulsory_fee_waiver"].label == "免学杂费" and items["free_textbooks"].label == "免费教科书"
        assert "nutrition" in items


def test_senior_high_waives_tuition_and_boarding(ctx):
    items = _items("高中")
    assert (items["senior_fee_waiver"].label, items["senior_boarding_waiver"].label) == ("免学费", "免住宿费")
    assert items["senior_grant"].amount == "≥ 2000 元/年"


def test_higher_education_loans_caps_grants_in_province_and_new_students(ctx, app, monkeypatch):
    assert _items("本科")["student_loan"].amount == "≤ 8000 元/年" and _items("高职")["student_loan"].amount == "≤ 8000 元/年"
    assert _items("硕士")["student_loan"].amount == "≤ 12000 元/年" and _items("博士")["student_loan"].amount == "≤ 12000 元/年"
    for stage, grant in (("高职", "college_grant"), ("本科", "bachelor_grant"), ("硕士", "master_grant"),
                         ("博士", "doctor_grant")):
        assert _items(stage)[grant].condition == "限本省就读"
    assert _items("本科")["new_student_allowance"].amount == "省内 500 元、省外 1000 元（一次性）"
    monkeypatch.setitem(app.config, "NEW_STUDENT_ALLOWANCE", "800 元")
    assert _items("高职")["new_student_allowance"].amount == "800 元"
    assert "new_student_allowance" in subsidies.codes_for("本科") and "new_student_allowance" not in subsidies.codes_for("硕士")
    assert subsidies.label("free_textbooks") == "免费教科书"

"""The Chinese explanation of a computed month: each rule with its points and the facts behind
them, the accountability flags (004 第九条) with their evidence, and the veto of 优秀."""
from __future__ import annotations

from .. import pending, sanctions
from .month import Flag, HelperMonth, Rule, _Context, minus, pts
from .sql import SEP2, split_names


def explain(hm: HelperMonth, ctx: _Context, unvisited, no_diary, no_plan, overdue_detail, waiting_detail=None):
    """The Chinese explanation of a computed month: each rule with its points and facts, the flags, the veto."""
    p, w = ctx.period, ctx.rules.weights
    cov, dia, mea, tim, ded = hm.points
    rules: list[Rule] = []
    unvisited_names = split_names(unvisited)
    facts = f"结对 {hm.households_count} 户（按结对天数折算 {hm.households:g} 户），本月已走访 {hm.households_visited} 户"
    if hm.households_visited_pending:
        facts += f"；另有 {hm.households_visited_pending} 户的走访待核实，核实后才计入"
    miss = f"本月还有 {len(unvisited_names)} 户未走访 ({minus(w['coverage'] - cov)})" if unvisited_names else None
    rules.append(Rule("coverage", "走访覆盖", pts(cov), w["coverage"], facts, miss, unvisited_names))
    no_diary_names = split_names(no_diary)
    facts = f"{hm.diary_households} 户有按时录入的帮扶日志（截止 {p.deadline_label}）"
    if hm.returned_visits:
        facts += f"；{hm.returned_visits} 条记录被第一书记退回尚未修改"
    miss = (f"还有 {len(no_diary_names)} 户没有按时录入帮扶日志 ({minus(w['diary'] - dia)})"
            if no_diary_names else None)
    rules.append(Rule("diary", "帮扶日志", pts(dia), w["diary"], facts, miss, no_diary_names))
    due, done = hm.measures_due, hm.measures_done
    if due:
        facts = f"本月到期帮扶措施 {due} 项，已完成 {done} 项"
        miss = f"还有 {due - done} 项到期措施未完成 ({minus(w['measures'] - mea)})" if done < due else None
    else:
        facts, miss = "本月没有到期的帮扶措施", None
    overdue_items = []
    for item in split_names(overdue_detail):
        head, _, titles = item.partition(SEP2)
        overdue_items.append(f"{head}：{'、'.join(sorted(t for t in titles.split(SEP2) if t))}")
    rules.append(Rule("measures", "帮扶措施", pts(mea), w["measures"], facts, miss, overdue_items))
    n, late, hours = hm.visits, hm.late_visits, int(ctx.rules.late_entry_hours)
    if n:
        facts = f"走访 {n} 次，{n - late} 次在签到后 {hours} 小时内录入"
        miss = f"{late} 次走访超过 {hours} 小时才录入 ({minus(w['timeliness'] - tim)})" if late else None
    else:
        facts, miss = "本月没有走访记录", f"本月没有走访记录 ({minus(w['timeliness'])})"
    rules.append(Rule("timeliness", "按时录入", pts(tim), w["timeliness"], facts, miss))
    waiting = pending.waiting_lines(waiting_detail)
    facts = (f"有异常标记的走访 {hm.flagged_visits} 次，其中待核实 {hm.pending_visits} 次：待核实的走访不计入走访、"
             f"日志和按时录入，第一书记核实（已核实）后才计入；每次待核实扣 {ctx.rules.flag_deduction:g} 分，"
             f"最多扣 {ctx.rules.flag_deduction_max:g} 分")
    miss = f"{hm.pending_visits} 次走访待核实，尚未计入 ({minus(-ded)})" if hm.pending_visits else None
    rules.append(Rule("flags", "异常待核实", pts(ded) if ded else 0.0, 0, facts, miss, waiting))

    no_plan_names = split_names(no_plan)
    veto = None
    if hm.vetoed:
        unfinished = []
        if unvisited_names:
            unfinished.append(f"{len(unvisited_names)} 户未走访")
        if no_diary_names:
            unfinished.append(f"{len(no_diary_names)} 户缺帮扶日志")
        if due > done:
            unfinished.append(f"{due - done} 项到期措施未完成")
        if no_plan_names:
            unfinished.append(f"{len(no_plan_names)} 户没有帮扶计划")
        veto = "未完成帮扶任务（" + "，".join(unfinished) + "），一票否决优秀"

    flags: list[Flag] = []
    if unvisited_names and p.ended:
        flags.append(_flag(ctx, "not_visited", f"本月未走访：{'、'.join(unvisited_names)}"))
    if late:
        flags.append(_flag(ctx, "late_records", f"{late} 次走访超过 {hours} 小时才录入"))
    parts = []
    no_diary_names = [n for n in no_diary_names if n not in unvisited_names]  # one sanction per fact
    if no_diary_names and p.deadline_passed:
        parts.append(f"截止 {p.deadline_label} 未录入帮扶日志：{'、'.join(no_diary_names)}")
    if hm.returned_visits:
        parts.append(f"{hm.returned_visits} 条走访记录被退回尚未修改")
    if parts:
        flags.append(_flag(ctx, "incomplete_records", "；".join(parts)))
    if no_plan_names:
        flags.append(_flag(ctx, "no_plan", f"没有帮扶措施：{'、'.join(no_plan_names)}"))
    if overdue_items:
        flags.append(_flag(ctx, "plan_overdue", "到期未完成：" + "；".join(overdue_items)))
    return rules, flags, veto


def _flag(ctx: _Context, code: str, evidence: str) -> Flag:
    item, action, rule = sanctions.describe(code, ctx.rules.sanction_choices)
    return Flag(code, rule, action, evidence, item)

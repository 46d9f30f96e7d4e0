"""Every number the assessment uses, with where it comes from: a source document (file and quote)
or "local choice, configurable". Shown to the helper under their score and mirrored by
the README table; the values are read from config, so the page never disagrees with the settings."""
from __future__ import annotations

from dataclasses import dataclass

from ..rules import Rules

LOCAL = "本地设置，可配置"


@dataclass(frozen=True)
class Source:
    rule: str
    value: str
    source: str  # "001 …" quote, or LOCAL
    setting: str = ""

    @property
    def local(self) -> bool:
        return self.source == LOCAL


def _g(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def helper_rules(rules: Rules) -> list[Source]:
    s = rules.scoring
    w = s.weights
    hq = s.helper_quarter_weights
    spot = s.spot_check_effects
    spot_text = "；".join(f"{k} 扣 {_g(v.get('deduction', 0))} 分，最高 {v.get('rating_cap') or '不限'}"
                          for k, v in spot.items()) or "不影响得分"
    return [
        Source("每户每月至少走访一次", "1 次/户/月", "001：“每月至少上户一次”"),
        Source("每人结对不超过", f"{rules.pairings.household_limit} 户", "003：“帮扶责任人帮扶不超过5户”", "HOUSEHOLD_LIMIT"),
        Source("每月帮扶日志", "至少 1 条", "002：每月上传帮扶日志"),
        Source("当月抽查比例", f"{_g(s.spot_check_ratio * 100)}%", "004 第六条(一)：“考核组按30%的比例…随机抽查”",
               "SPOT_CHECK_RATIO"),
        Source("得分构成", f"走访 {_g(w['coverage'])}、日志 {_g(w['diary'])}、措施 {_g(w['measures'])}、"
               f"按时录入 {_g(w['timeliness'])}", LOCAL, "SCORE_WEIGHTS"),
        Source("异常走访扣分", f"每次 {_g(s.flag_deduction)} 分，最多 {_g(s.flag_deduction_max)} 分", LOCAL,
               "SCORE_FLAG_DEDUCTION"),
        Source("等级线", f"≥{_g(s.rating_excellent)} 优秀，≥{_g(s.rating_pass)} 合格", LOCAL, "RATING_EXCELLENT"),
        Source("未完成帮扶任务不能评优秀", "一票否决优秀",
               "004 第七条(二)：没有完成帮扶工作任务的…实行“一票否决”（按月执行为本地设置）"),
        Source("帮扶日志截止", f"次月 {s.diary_deadline_day} 日", LOCAL, "DIARY_DEADLINE_DAY"),
        Source("按时录入", f"签到后 {_g(s.late_entry_hours)} 小时内", LOCAL, "LATE_ENTRY_HOURS"),
        Source("抽查结果的影响", spot_text, LOCAL, "SPOT_CHECK_EFFECTS"),
        Source("季度得分", "各月平均", LOCAL),
        Source("帮扶责任人年度得分", "四个季度 " + "/".join(_g(x * 100) for x in hq) + "%", LOCAL,
               "HELPER_QUARTER_WEIGHTS"),
        Source("政策落实问题期限", f"{rules.visits.policy_problem_days} 天", LOCAL, "POLICY_PROBLEM_DAYS"),
        Source("问责提示", "对应 004 第九条各项原文", "004 第九条（两项都可适用时的选择为本地设置）", "SANCTION_CHOICES"),
    ]

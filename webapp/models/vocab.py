"""The stored vocabulary: roles and statuses, one StrEnum each; below them the words of the visit
record and of the roster (花名册), which the schemas and the services both use.

A member is its stored string (`Role.HELPER == "helper"`), so columns keep plain strings and
JSON keeps the same values. Each enum column also has a database CHECK constraint built by
`check_in` (migration vocab_check_constraints), so no other value can be written, whoever writes.
What a role may do is not here but in services/permissions.py.
"""
from enum import StrEnum

from sqlalchemy import CheckConstraint


class Role(StrEnum):
    HELPER = "helper"  # 帮扶责任人
    TEAM_MEMBER = "team_member"  # 驻村工作队员
    FIRST_SECRETARY = "first_secretary"  # 驻村第一书记
    OFFICE_ADMIN = "office_admin"  # 扶贫办管理员
    COUNTY_ADMIN = "county_admin"  # 县扶贫攻坚指挥部: above the townships, approves pairing changes (001)


class HouseholdStatus(StrEnum):
    NOT_LIFTED = "未脱贫"
    LIFTED = "已脱贫"
    MONITORED = "监测户"


class ReviewStatus(StrEnum):
    """A visit in the first secretary's review."""
    PENDING = "pending"
    REVIEWED = "reviewed"
    RETURNED = "returned"  # 退回整改
    FIXED = "fixed"  # the helper says it is corrected


class MeasureStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"


class LeaveStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class SignatureStatus(StrEnum):
    SIGNED = "signed"  # carries an image
    THUMBPRINT = "thumbprint"  # carries an image
    NOT_HOME = "not_home"


class PrintJobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    DOWNLOADED = "downloaded"
    EXPIRED = "expired"
    CANCELLED = "cancelled"  # by the office while queued or running (ux_printjob_cancelled)


class PairingChangeStatus(StrEnum):
    """A township's pairing change waiting for the county (001)."""
    PENDING = "pending"  # 待县审批
    APPROVED = "approved"
    REJECTED = "rejected"


def check_in(column: str, enum: type[StrEnum]) -> CheckConstraint:
    """CHECK (column IN (the enum's values)), named ck_<table>_<column> by the naming convention."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=column)


# every enum column: (table, column, enum), as the tests check them
CHECKED_COLUMNS = (
    ("user", "role", Role),
    ("household", "status", HouseholdStatus),
    ("visit", "review_status", ReviewStatus),
    ("measure", "status", MeasureStatus),
    ("leave", "status", LeaveStatus),
    ("visit_signature", "status", SignatureStatus),
    ("print_job", "status", PrintJobStatus),
    ("pairing_change", "status", PairingChangeStatus),
)


# --- the visit record's words, shared by the schemas (what the API accepts) and the services ----
# CHECKLIST: 两不愁三保障 plus safe drinking water, code → label, in display order; FLAGS: a visit's
# plausibility flags, code → label, in display order (their evidence and words: services/visit_flags.py);
# SUBSIDY_ANSWERS: what a helper may answer for a student's subsidy item.

CHECKLIST: tuple[tuple[str, str], ...] = (
    ("food", "不愁吃"),
    ("clothing", "不愁穿"),
    ("education", "义务教育有保障"),
    ("medical", "基本医疗有保障"),
    ("housing", "住房安全有保障"),
    ("water", "饮水安全有保障"),
)
CHECKLIST_CODES = tuple(code for code, _ in CHECKLIST)

FLAGS: dict[str, str] = {
    "outside_geofence": "超出范围",
    "poor_accuracy": "定位不准",
    "duplicate_photo": "重复照片",
    "impossible_travel": "行程异常",
    "late_entry": "补录超时",
    "photo_time_mismatch": "照片时间不符",
    "same_spot": "同地多户",
}
OFFLINE_LABEL = "离线补传"  # not a flag: received long after the check-in, from the phone's outbox

SUBSIDY_ANSWERS = ("已享受", "未享受", "不适用")


# --- the roster (花名册): the headers this app writes, and the values offices write for its fields,
# mapped to the values stored (services/roster/values.py reads them) -------------------------------
HOUSEHOLD_HEADERS = ("村名", "户主姓名", "身份证号", "家庭人口", "致贫原因", "脱贫状态", "联系电话", "家庭住址", "经度", "纬度",
                     "帮扶责任人")
MEMBER_HEADERS = ("户主身份证号", "姓名", "与户主关系", "出生日期", "在读学段", "就读学校")

STATUS_ALIASES = {
    "已脱贫": "已脱贫", "脱贫": "已脱贫", "脱贫户": "已脱贫", "稳定脱贫": "已脱贫", "稳定脱贫户": "已脱贫",
    "已脱贫(享受政策)": "已脱贫", "已脱贫(不享受政策)": "已脱贫", "脱贫(享受政策)": "已脱贫",
    "脱贫(不享受政策)": "已脱贫", "脱贫享受政策": "已脱贫", "脱贫不享受政策": "已脱贫", "已脱贫户": "已脱贫",
    "未脱贫": "未脱贫", "未脱贫户": "未脱贫", "贫困户": "未脱贫", "建档立卡贫困户": "未脱贫",
    "监测户": "监测户", "监测": "监测户", "监测对象": "监测户", "防止返贫监测对象": "监测户", "返贫": "监测户",
    "返贫户": "监测户", "脱贫不稳定户": "监测户", "边缘易致贫户": "监测户", "突发严重困难户": "监测户",
}
CAUSE_ALIASES = {"缺劳动力": "缺劳力", "其它": "其他", "缺少劳动力": "缺劳力", "缺技能": "缺技术",
                 "交通落后": "交通条件落后", "缺乏发展动力": "自身发展动力不足", "自身发展动力不足": "自身发展动力不足"}
# 在读学段 as written → the stage stored; None: not in school
STAGE_ALIASES = {
    "学前": "学前教育", "学前教育": "学前教育", "学前班": "学前教育", "幼儿园": "学前教育",
    "小学": "小学", "初中": "初中", "初一": "初中", "初二": "初中", "初三": "初中", "七年级": "初中",
    "八年级": "初中", "九年级": "初中", "高中": "高中", "普高": "高中", "普通高中": "高中", "高一": "高中",
    "高二": "高中", "高三": "高中", "中职": "中职", "中专": "中职", "职高": "中职", "技校": "中职",
    "高职": "高职", "大专": "高职", "专科": "高职", "高职高专": "高职", "本科": "本科", "大学": "本科",
    "大学本科": "本科", "硕士": "硕士", "研究生": "硕士", "硕士研究生": "硕士", "博士": "博士", "博士研究生": "博士",
    "非在校生": None, "不在校": None, "无": None, "否": None, "毕业": None, "已毕业": None, "辍学": None,
}

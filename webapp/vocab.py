"""The visit record's vocabularies, shared by the schemas (what the API accepts) and the services
(what the rules do with it): neither owns them, so neither imports the other for them.

- CHECKLIST: 两不愁三保障 plus safe drinking water, code → label, in display order;
- FLAGS: a visit's plausibility flags, code → label, in display order (their evidence and words:
  services/visit_flags.py);
- SUBSIDY_ANSWERS: what a helper may answer for a student's subsidy item.
"""
from __future__ import annotations

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

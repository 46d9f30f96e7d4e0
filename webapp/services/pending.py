"""Visits that wait for acceptance (待核实), in the words of the score explanation.

performance.py aggregates, per helper, the household names and the flag codes of the month's
visits still 待核实; this turns them into lines like "张三：超出范围、重复照片（2 次）". Kept apart
from performance.py (which is to be split by subject).
"""
from __future__ import annotations

import json

from .visit_flags import FLAGS

SEP, SEP2, SEP3 = "\x1f", "\x1e", "\x1d"


def waiting_lines(detail: str | None) -> list[str]:
    """"张三：超出范围、重复照片（2 次）" per household with visits still 待核实, sorted by name."""
    if not detail:
        return []
    lines = []
    for item in sorted(detail.split(SEP)):
        name, _, flags_part = item.partition(SEP2)
        visits = [v for v in flags_part.split(SEP3) if v]
        codes: set[str] = set()
        for raw in visits:
            try:
                codes.update(json.loads(raw))
            except (ValueError, TypeError):
                continue
        labels = "、".join(FLAGS[c] for c in FLAGS if c in codes) or "异常"
        lines.append(f"{name}：{labels}（{len(visits)} 次，待核实）")
    return lines

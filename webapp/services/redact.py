"""Household names a viewer may not see, taken out of a helper's performance explanations.

A helper may be paired with households of two villages. The helper's month (score, rules, flags)
is the helper's, and both villages' first secretaries may read it; but the explanations name the
households ("本月未走访：张一、李四"), and a first secretary may see only the households of their own
village (an office admin those of their own unit: services/access.households). Here those names
become 「（他村住户）」, and an overdue measure's titles go with its household's name.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select

from ..extensions import db
from ..models import Household, Pairing, User
from . import access, permissions

PLACEHOLDER = "（他村住户）"
_SEPARATORS = re.compile(r"([：、；])")
_OVERDUE_PREFIX = "到期未完成："


def hidden_names(viewer: User, helper_ids: Iterable[int] | Select, first: date, last: date) -> dict[int, set[str]]:
    """helper id → head names of households paired with the helper in [first, last] that the viewer
    may not see (less any name a household the viewer may see also has). Empty for most viewers.
    helper_ids: ids, or a Select of them (a whole unit's scope: no list of 10,000 parameters)."""
    ids = helper_ids if isinstance(helper_ids, Select) else sorted(set(helper_ids))
    if not permissions.can_assess(viewer) or (isinstance(ids, list) and not ids):
        return {}
    visible = access.households(viewer).with_only_columns(Household.id)
    paired = (select(Pairing.helper_id, Household.head_name)
              .join(Household, Household.id == Pairing.household_id)
              .where(Pairing.helper_id.in_(ids), Pairing.start_date <= last,
                     or_(Pairing.end_date.is_(None), Pairing.end_date >= first)))
    # an anti-join, not NOT IN: PostgreSQL evaluates NOT IN (subquery) on every household of the
    # installation (a scan of 400,000 at province size) where this probes the paired ones
    seen = visible.subquery()
    foreign: dict[int, set[str]] = {}
    for helper_id, name in db.session.execute(paired.outerjoin(seen, seen.c.id == Household.id)
                                              .where(seen.c.id.is_(None))):
        foreign.setdefault(helper_id, set()).add(name)
    if not foreign:
        return {}
    for helper_id, name in db.session.execute(paired.where(Household.id.in_(visible),
                                                           Pairing.helper_id.in_(sorted(foreign)))):
        foreign[helper_id].discard(name)
    return {k: v for k, v in foreign.items() if v}


def item(text: str, hidden: set[str]) -> str:
    """One evidence item: a name, or "name：measure titles"."""
    head = text.partition("：")[0]
    return PLACEHOLDER if head in hidden else text


def flag_text(code: str, evidence: str, hidden: set[str]) -> str:
    if code == "plan_overdue" and evidence.startswith(_OVERDUE_PREFIX):
        items = evidence[len(_OVERDUE_PREFIX):].split("；")
        return _OVERDUE_PREFIX + "；".join(item(i, hidden) for i in items)
    return "".join(PLACEHOLDER if part in hidden else part for part in _SEPARATORS.split(evidence))


def rule_dict(rule: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    return dict(rule, evidence=[item(str(e), hidden) for e in rule.get("evidence") or []])


def flag_dict(flag: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    return dict(flag, evidence=flag_text(str(flag.get("code", "")), str(flag.get("evidence", "")), hidden))


def month_results(viewer: User, results: list, first: date, last: date, scope: Select | None = None) -> list:
    """HelperMonth results as the viewer may read them (names replaced in rules and flags).
    scope: the Select of helper ids the results come from, when there may be many."""
    if not any(r is not None for r in results):
        return results
    ids = scope if scope is not None else [r.helper_id for r in results if r is not None]
    hidden = hidden_names(viewer, ids, first, last)
    for r in results:
        names = hidden.get(r.helper_id) if r is not None else None
        if names:
            rules, flags = r.rules, r.flags  # built now if not yet
            r._rules = [replace(x, evidence=[item(e, names) for e in x.evidence]) for x in rules]
            r._flags = [replace(f, evidence=flag_text(f.code, f.evidence, names)) for f in flags]
    return results

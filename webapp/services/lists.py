"""The office's long lists, one page at a time, with a search: households and their pairings
(/admin/pairings) and accounts (/admin/users). A page stays light however big the roster.

A search matches a name or username (any part, any case), a village's name, or the last digits
of a citizen ID or phone number (digits only).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select

from ..extensions import db
from ..models import Household, Pairing, User, Village
from . import access, households

PAIRINGS_PER_PAGE = 40
USERS_PER_PAGE = 30
SEARCH_MAX = 30


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int
    search: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)


def clean_search(raw: str | None) -> str:
    return (raw or "").strip()[:SEARCH_MAX]


def _count(q: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0


def _page_number(page: int, total: int, per_page: int) -> int:
    return min(max(1, page), max(1, -(-total // per_page)))


def _digits(search: str) -> bool:
    return search.isascii() and search.isdigit()


def _helper_matches(search: str) -> Select:
    return select(User.id).where(or_(User.display_name.icontains(search, autoescape=True),
                                     User.username.icontains(search, autoescape=True)))


def household_search(search: str):
    """Households whose head, village or current helper matches, or whose ID ends with the digits."""
    if _digits(search):
        return or_(Household.citizen_id.endswith(search, autoescape=True),
                   Household.phone.endswith(search, autoescape=True))
    paired = select(Pairing.household_id).where(Pairing.end_date.is_(None), Pairing.helper_id.in_(_helper_matches(search)))
    return or_(Household.head_name.icontains(search, autoescape=True),
               Household.village_id.in_(select(Village.id).where(Village.name.icontains(search, autoescape=True))),
               Household.id.in_(paired))


def pairings(user: User, village_id: int | None = None, search: str = "", page: int = 1,
             per_page: int = PAIRINGS_PER_PAGE) -> Page:
    """One page of the households the office may see, with their visit summary and helper."""
    ids = access.households(user).with_only_columns(Household.id)
    if village_id is not None:
        ids = ids.where(Household.village_id == village_id)
    if search:
        ids = ids.where(household_search(search))
    total = _count(ids)
    page = _page_number(page, total, per_page)
    one_page = ids.order_by(Household.village_id, Household.head_name, Household.id).limit(per_page).offset(
        (page - 1) * per_page)
    rows = households.listing(user, village_id=village_id, only=one_page) if total else []
    return Page(rows, total, page, per_page, search)


def people(user: User, search: str = "", page: int = 1, per_page: int = USERS_PER_PAGE) -> Page:
    """One page of the accounts the user may read, by name, username or phone's last digits."""
    q = access.users(user)
    if search:
        q = q.where(User.phone.endswith(search, autoescape=True) if _digits(search) else or_(
            User.id.in_(_helper_matches(search)),
            User.village_id.in_(select(Village.id).where(Village.name.icontains(search, autoescape=True)))))
    total = _count(q)
    page = _page_number(page, total, per_page)
    items = list(db.session.scalars(q.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page, search)

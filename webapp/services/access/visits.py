"""Visits and their photos.

A visit is seen by the helper who made it, by the team of the household's village, and by the
office admins of the unit the village belongs to. Its photos follow the visit. The review
workflow (first secretary) has its own scope, review_visits.
"""
from sqlalchemy import Select, select

from ...extensions import db
from ...models import TEAM_ROLES, Household, Photo, Role, Unit, User, Village, Visit
from .found import one
from .households import households


def visits(user: User) -> Select:
    q = select(Visit)
    if user.role == Role.HELPER:
        return q.where(Visit.helper_id == user.id)
    if user.role in TEAM_ROLES and user.village_id is not None:
        return q.join(Household, Household.id == Visit.household_id).where(Household.village_id == user.village_id)
    if user.role in (Role.OFFICE_ADMIN, Role.COUNTY_ADMIN):  # the county: its townships', read only
        units = select(Unit.id).where(Unit.parent_id == user.unit_id) if user.role == Role.COUNTY_ADMIN else [user.unit_id]
        return (q.join(Household, Household.id == Visit.household_id)
                .join(Village, Village.id == Household.village_id).where(Village.unit_id.in_(units)))
    return q.where(False)


def visit(user: User, visit_id: int) -> Visit:
    return one(visits(user).where(Visit.id == visit_id), "没有这次走访，或您无权查看。")


def photos(user: User) -> Select:
    """The photos the user may open at the photo routes (those of the visits they may see)."""
    return select(Photo).where(Photo.visit_id.in_(visits(user).with_only_columns(Visit.id)))


def visible_visit_ids(user: User, ids: set[int]) -> set[int]:
    """Which of these visits the user may see (flag evidence links only to those)."""
    if not ids:
        return set()
    return set(db.session.scalars(visits(user).with_only_columns(Visit.id).where(Visit.id.in_(sorted(ids)))))


def photo(user: User, photo_id: int) -> Photo:
    return one(photos(user).where(Photo.id == photo_id), "没有这张照片，或您无权查看。")


def own_visit_by_uuid(user: User, client_uuid: str) -> Visit:
    """The caller's own visit by its client_uuid (photos are added only by the visit's helper)."""
    return one(select(Visit).where(Visit.client_uuid == client_uuid, Visit.helper_id == user.id),
               "没有这次走访（请先上传走访记录），或您无权操作。")


def review_visits(user: User) -> Select:
    """Visits for the review workflow: a first secretary those at the village's households,
    an office admin the unit's, a helper their own."""
    q = select(Visit).join(Household, Household.id == Visit.household_id)
    if user.role == Role.FIRST_SECRETARY and user.village_id is not None:
        return q.where(Household.village_id == user.village_id)
    if user.role == Role.OFFICE_ADMIN:
        return q.join(Village, Village.id == Household.village_id).where(Village.unit_id == user.unit_id)
    if user.role == Role.HELPER:
        return q.where(Visit.helper_id == user.id)
    return q.where(False)


def review_visit(user: User, visit_id: int):
    return one(review_visits(user).where(Visit.id == visit_id), "没有这次走访，或您无权查看。")


def helper_visits(viewer: User, helper: User) -> Select:
    """The helper's visits as the viewer sees them (diary, month page): all of them for the helper
    themself; for anyone else only those the viewer may see anyway — a first secretary the visits to
    their own village's households, an office admin those to their own unit's — so a helper shared
    by two villages shows each village only its own visits."""
    if viewer.id == helper.id:
        return select(Visit).where(Visit.helper_id == helper.id)
    return visits(viewer).where(Visit.helper_id == helper.id)


def helper_households(viewer: User, helper: User) -> Select | None:
    """Ids of the households whose rows the viewer may see on a helper's diary or month page
    (None: no narrowing, the helper looking at their own)."""
    if viewer.id == helper.id:
        return None
    return households(viewer).with_only_columns(Household.id)

"""What each role may do: one predicate per permission, used by routes (`security.requires`),
services and templates (the Jinja global `permissions`, e.g. `permissions.can_review(current_user)`).

These answer "may this kind of user do this at all"; which records they may do it to is
services/access (unit first, then village, then pairing). Roles are models.Role.
"""
from ..models import TEAM_ROLES, Role, User

OVERSEERS = (Role.FIRST_SECRETARY, Role.OFFICE_ADMIN)  # look over helpers' and teams' work


def _is(user: User, *roles: Role) -> bool:
    return getattr(user, "role", None) in roles


def records_visits(user: User) -> bool:
    """Helpers: they visit their paired households, answer reviews, see their own month."""
    return _is(user, Role.HELPER)


def in_team(user: User) -> bool:
    """Work-team people: they check in, ask for leave, see their village's page."""
    return _is(user, *TEAM_ROLES)


def administers_unit(user: User) -> bool:
    """The office admin: villages, users, pairings, roster, batch printing, spot checks, closing."""
    return _is(user, Role.OFFICE_ADMIN)


def administers_county(user: User) -> bool:
    """The county office: reads its townships (rankings, printing, visits read-only), approves pairing changes."""
    return _is(user, Role.COUNTY_ADMIN)


def can_read_office_assessments(user: User) -> bool:
    """The village assessment, on-site assessments, work-team checks: the office, and the county per township."""
    return _is(user, Role.OFFICE_ADMIN, Role.COUNTY_ADMIN)


def can_oversee_team(user: User) -> bool:
    """The team table, members' calendars and helpers' work in a village."""
    return _is(user, *OVERSEERS)


def can_review(user: User) -> bool:
    """Mark a helper's visit reviewed (批注) or return it (退回整改)."""
    return _is(user, Role.FIRST_SECRETARY)


def can_verify(user: User) -> bool:
    """Accept a flagged visit (已核实) so that it counts."""
    return _is(user, *OVERSEERS)


def can_decide_leave(user: User) -> bool:
    """Approve or reject leave (whose: services/access.leaves_to_decide)."""
    return _is(user, *OVERSEERS)


def can_see_team_attendance(user: User) -> bool:
    """Read attendance: the team's own, and those who decide on it."""
    return _is(user, *TEAM_ROLES, Role.OFFICE_ADMIN)


def can_assess(user: User) -> bool:
    """Read other helpers' months, rankings and diaries (with other villages' households redacted)."""
    return _is(user, *OVERSEERS)


def can_rank_village(user: User) -> bool:
    """The ranking of the helpers working in one's own village (the office admin ranks the unit)."""
    return _is(user, Role.FIRST_SECRETARY)


def can_sanction(user: User) -> bool:
    """Record a sanction on a helper's assessment."""
    return _is(user, *OVERSEERS)


def can_see_full_id(user: User) -> bool:
    """Reveal a household's whole citizen ID (otherwise masked)."""
    return _is(user, *OVERSEERS)


def can_handle_policy_problems(user: User) -> bool:
    """Open and close problems found in policy answers."""
    return _is(user, *OVERSEERS)


def can_print_diaries(user: User) -> bool:
    """Print monthly diaries (whose: services/access.diary_helpers)."""
    return _is(user, Role.HELPER, *OVERSEERS)


def can_print_attendance_sheets(user: User) -> bool:
    return _is(user, *OVERSEERS)


def can_batch_print(user: User) -> bool:
    return _is(user, Role.OFFICE_ADMIN)

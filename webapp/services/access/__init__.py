"""What each user may see: one query per resource that starts from the user.

Routes never load a household, a helper or a village by id without going through here. Every
query is scoped by the user's unit first, then village, then pairing: a record of another unit
(township) is never found, whatever id is named, so it answers 404 like any record out of scope.
One module per subject; what a role may do at all is services/permissions.
"""
from .attendance import attendance_village, checkin_photo_key, checkins, leave, leaves, leaves_to_decide
from .households import can_plan, household, households, village, villages, visitable_household
from .people import assessed_helper, helper_ids, person, spot_check_item, team_people, team_person, users
from .printing import diary_helper, diary_helpers, print_job, print_jobs
from .visits import (
    helper_households,
    helper_visits,
    own_visit_by_uuid,
    photo,
    photos,
    review_visit,
    review_visits,
    visible_visit_ids,
    visit,
    visits,
)

__all__ = [
    "attendance_village", "checkin_photo_key", "checkins", "leave", "leaves", "leaves_to_decide",
    "can_plan", "household", "households", "village", "villages", "visitable_household",
    "assessed_helper", "helper_ids", "person", "spot_check_item", "team_people", "team_person", "users",
    "diary_helper", "diary_helpers", "print_job", "print_jobs",
    "helper_households", "helper_visits", "own_visit_by_uuid", "photo", "photos", "review_visit", "review_visits",
    "visible_visit_ids", "visit", "visits",
]

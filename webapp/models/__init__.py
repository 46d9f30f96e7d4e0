"""All models, re-exported so `from webapp.models import X` works everywhere."""
from .assessment import SATISFACTION_LEVELS, SPOT_RESULTS, MonthClosure, MonthResult, SpotCheckDraw, SpotCheckItem
from .attendance import LEAVE_KINDS, Checkin, Leave
from .audit import AuditLog
from .evidence import PhotoHashBand, VisitAmendment
from .household import EDUCATION_STAGES, POVERTY_CAUSES, Household, Member, Pairing, mask_citizen_id
from .jobs import PrintJob
from .org import COUNTY_KIND, ROLE_LABELS, ROLES, TEAM_ROLES, TOWNSHIP_ROLES, LoginLimit, Unit, User, Village
from .pairing_change import CHANGE_STATUS_LABELS, PairingChange
from .signature import SIGNATURE_STATUSES, VisitSignature
from .types import UTCDateTime, utcnow
from .village_assessment import ONSITE_RESULTS, OnsiteAssessment, VillageYearEnd
from .visit import MEASURE_CATEGORIES, Measure, Photo, SubsidyAnswer, Visit
from .vocab import (
    HouseholdStatus,
    LeaveStatus,
    MeasureStatus,
    PairingChangeStatus,
    PrintJobStatus,
    ReviewStatus,
    Role,
    SignatureStatus,
)

__all__ = [
    "SATISFACTION_LEVELS", "SPOT_RESULTS", "MonthClosure", "MonthResult", "SpotCheckDraw", "SpotCheckItem",
    "LEAVE_KINDS", "Checkin", "Leave", "AuditLog", "PhotoHashBand", "VisitAmendment",
    "EDUCATION_STAGES", "POVERTY_CAUSES", "Household", "Member", "Pairing", "mask_citizen_id",
    "PrintJob", "ROLE_LABELS", "ROLES", "TEAM_ROLES", "LoginLimit", "Unit", "User", "Village",
    "UTCDateTime", "utcnow", "MEASURE_CATEGORIES", "Measure", "Photo", "SubsidyAnswer", "Visit",
    "SIGNATURE_STATUSES", "VisitSignature",
    "HouseholdStatus", "LeaveStatus", "MeasureStatus", "PrintJobStatus", "ReviewStatus", "Role", "SignatureStatus",
    "COUNTY_KIND", "TOWNSHIP_ROLES", "CHANGE_STATUS_LABELS", "PairingChange", "PairingChangeStatus",
    "ONSITE_RESULTS", "OnsiteAssessment", "VillageYearEnd",
]

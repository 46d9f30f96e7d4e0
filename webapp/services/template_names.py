"""The vocabulary every template may use, web pages and printed documents alike:
`permissions.can_review(current_user)`, `visit.review_status == ReviewStatus.RETURNED`."""
from __future__ import annotations

from typing import Any

from ..models import LeaveStatus, MeasureStatus, PrintJobStatus, ReviewStatus, Role
from . import permissions
from .attendance.days import DayStatus
from .verification import VerificationState


def names() -> dict[str, Any]:
    return dict(permissions=permissions, Role=Role, ReviewStatus=ReviewStatus, LeaveStatus=LeaveStatus,
                MeasureStatus=MeasureStatus, PrintJobStatus=PrintJobStatus, VerificationState=VerificationState,
                DayStatus=DayStatus)

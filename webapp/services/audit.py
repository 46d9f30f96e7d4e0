"""Writing the audit log."""
from typing import Any

from ..extensions import db
from ..models import AuditLog, User


def record(user: User | None, action: str, entity: str, entity_id: int | None, **details: Any) -> AuditLog:
    entry = AuditLog(user_id=user.id if user else None, action=action, entity=entity, entity_id=entity_id, details=details)
    db.session.add(entry)
    return entry

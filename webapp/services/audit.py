"""Writing the audit log."""
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from ..extensions import db
from ..models import AuditLog, User
from .batches import chunks


def record(user: User | None, action: str, entity: str, entity_id: int | None, **details: Any) -> AuditLog:
    entry = AuditLog(user_id=user.id if user else None, action=action, entity=entity, entity_id=entity_id, details=details)
    db.session.add(entry)
    return entry


def entry(user_id: int | None, at: datetime, action: str, entity: str, entity_id: int | None, **details: Any) -> dict:
    """An audit row for record_many (a bulk write: an import, a batch of proposals)."""
    return {"user_id": user_id, "at": at, "action": action, "entity": entity, "entity_id": entity_id, "details": details}


def record_many(rows: list[dict]) -> None:
    """Write the entries (audit.entry) a few statements for any number."""
    for chunk in chunks(rows, 2000):
        db.session.execute(insert(AuditLog.__table__), chunk)

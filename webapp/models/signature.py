"""The household's word on a visit: the head of household's signature drawn on the
helper's phone, a thumbprint photo (不会写字), or why there is none (不在家)."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .visit import Visit
from .vocab import SignatureStatus, check_in

# status → label; the first two carry an image
SIGNATURE_STATUSES = {SignatureStatus.SIGNED: "户主已签字", SignatureStatus.THUMBPRINT: "按手印",
                      SignatureStatus.NOT_HOME: "户主不在家"}


class VisitSignature(db.Model):
    __table_args__ = (check_in("status", SignatureStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), unique=True)
    status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[Optional[str]] = mapped_column(String(64))
    storage_key: Mapped[Optional[str]] = mapped_column(String(80))
    thumb_key: Mapped[Optional[str]] = mapped_column(String(80))
    width: Mapped[Optional[int]]
    height: Mapped[Optional[int]]
    # sha256 of status, note and image: a replay with other content is a conflict
    content_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    visit: Mapped[Visit] = relationship(backref=backref("signature", uselist=False))

    @property
    def label(self) -> str:
        return SIGNATURE_STATUSES.get(self.status, self.status)

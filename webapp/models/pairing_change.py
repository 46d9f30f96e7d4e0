"""A township's proposed pairing change, waiting for the county (001: "所有干部结对帮扶的调整必须
镇上报县扶贫攻坚指挥部同意后方可调整，不得私自更改")."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .household import Household
from .org import User
from .types import UTCDateTime, utcnow
from .vocab import PairingChangeStatus, check_in

CHANGE_STATUS_LABELS = {PairingChangeStatus.PENDING: "待县审批", PairingChangeStatus.APPROVED: "县已同意",
                        PairingChangeStatus.REJECTED: "县未同意"}


class PairingChange(db.Model):
    __table_args__ = (check_in("status", PairingChangeStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # the proposing township
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    from_helper_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))  # paired when proposed
    to_helper_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))  # None: end the pairing
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=PairingChangeStatus.PENDING, index=True)
    proposed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decision_note: Mapped[Optional[str]] = mapped_column(Text)

    household: Mapped[Household] = relationship()
    from_helper: Mapped[Optional[User]] = relationship(foreign_keys=[from_helper_id])
    to_helper: Mapped[Optional[User]] = relationship(foreign_keys=[to_helper_id])
    proposed_by: Mapped[Optional[User]] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_pending(self) -> bool:
        return self.status == PairingChangeStatus.PENDING

    @property
    def status_label(self) -> str:
        return CHANGE_STATUS_LABELS.get(self.status, self.status)

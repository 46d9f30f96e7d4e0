"""Evidence around visits: the photo-hash index and the amendments of returned visits."""
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .org import User
from .types import UTCDateTime, utcnow
from .visit import Visit


class PhotoHashBand(db.Model):
    """One 16-bit band of one perceptual hash of one photo (services/phash.py): a near-copy shares
    an exact band value (or one bit off) with the photo it copies, found through the index."""

    __tablename__ = "photo_hash_band"
    # covering: the lookup reads the hashes from the index alone (no row fetch per candidate)
    __table_args__ = (Index("ix_photo_hash_band_lookup", "unit_id", "band_no", "band_value", "phash", "photo_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    band_no: Mapped[int] = mapped_column(SmallInteger)
    band_value: Mapped[int]
    photo_id: Mapped[int] = mapped_column(ForeignKey("photo.id"), index=True)
    variant: Mapped[int] = mapped_column(SmallInteger)  # index into phash.VARIANTS
    phash: Mapped[int] = mapped_column(BigInteger)  # the whole 64-bit hash, signed


class VisitAmendment(db.Model):
    """A returned visit corrected by its helper: new notes and/or a reply to the comment. The text
    before is kept; check-in time and position never change."""

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notes_before: Mapped[str] = mapped_column(Text)
    notes_after: Mapped[str] = mapped_column(Text)
    reply: Mapped[str] = mapped_column(Text, default="")
    review_comment: Mapped[str] = mapped_column(Text, default="")  # the comment it answers
    content_hash: Mapped[str] = mapped_column(String(64))

    visit: Mapped[Visit] = relationship(back_populates="amendments")
    author: Mapped[User] = relationship()

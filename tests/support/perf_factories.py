"""Builders for the performance tests: visits and measures written straight through the models."""
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from webapp.extensions import db
from webapp.models import Household, Measure, User, Visit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> datetime:
    """An aware UTC instant for a local (Asia/Shanghai) wall-clock time."""
    return datetime(y, m, d, hour, minute, tzinfo=SHANGHAI).astimezone(timezone.utc)


def visit(helper: User | int, hh: Household | int, at: datetime, *, received: datetime | None = None,
          late_hours: float | None = None, notes: str = "了解家庭收入和孩子上学情况", within: bool | None = True,
          flags: list[str] | None = None, review: str = "pending") -> Visit:
    helper_id = helper if isinstance(helper, int) else helper.id
    hh_id = hh if isinstance(hh, int) else hh.id
    if received is None:
        received = at + timedelta(hours=late_hours if late_hours is not None else 0.1)
    v = Visit(client_uuid=str(uuid.uuid4()), household_id=hh_id, helper_id=helper_id, checked_in_at=at,
              received_at=received, latitude=30.3, longitude=109.5, accuracy_m=15.0, distance_m=10.0,
              within_geofence=within, notes=notes, flags=list(flags or []), content_hash="0" * 64,
              review_status=review)
    db.session.add(v)
    db.session.flush()
    return v


def measure(hh: Household | int, due: date | None, *, done_at: datetime | None = None, title: str = "发展养殖",
            category: str = "产业", created: datetime | None = None) -> Measure:
    hh_id = hh if isinstance(hh, int) else hh.id
    m = Measure(household_id=hh_id, category=category, title=title, due_date=due,
                status="done" if done_at else "planned", done_at=done_at,
                created_at=created or datetime(2020, 1, 1, tzinfo=timezone.utc))
    db.session.add(m)
    db.session.flush()
    return m


MARCH = "2026-03"


def march(world: dict) -> None:
    """A finished March: h1 visited one of two households, h2 everything, h3 nothing; every
    household has an open measure, hh3 also one done on time. The caller commits."""
    visit(world["h1"], world["hh1"], local(2026, 3, 5))
    for hh in ("hh1", "hh2", "hh3", "hh4", "hh5"):
        measure(world[hh], None)
    visit(world["h2"], world["hh3"], local(2026, 3, 6))
    measure(world["hh3"], date(2026, 3, 20), done_at=local(2026, 3, 6, 11))

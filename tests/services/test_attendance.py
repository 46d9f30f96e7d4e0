"""Attendance rules: day counting, working days, leave flows, absences, quarters, pace, access."""
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from webapp.extensions import db
from webapp.models import Checkin, Leave, User, Village
from webapp.schemas.attendance import leave_request_args, load_checkin, member_json
from webapp.services import access, attendance
from webapp.services.calendar import local_today, now_utc
from webapp.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from webapp.web import rules as app_rules

CST = timezone(timedelta(hours=8))
V1_CENTRE = (30.30, 109.50)  # 东村 in the test world
FAR = (30.35, 109.50)  # ~5.6 km north of 东村


def posted(user: User, day: date) -> None:
    """Backdate the account: absences count from the posting start."""
    user.created_at = datetime(day.year, day.month, day.day, tzinfo=CST)
    db.session.flush()


def checkin(user: User, at: datetime, where: tuple[float, float] = V1_CENTRE, accuracy: float = 10) -> Checkin:
    """A stored check-in at any time (the API refuses times outside the offline window)."""
    village = db.session.get(Village, user.village_id)
    distance, within = attendance.locate(app_rules.attendance(), village, *where)
    c = Checkin(client_uuid=str(uuid.uuid4()), user_id=user.id, village_id=village.id, checked_in_at=at,
                latitude=where[0], longitude=where[1], accuracy_m=accuracy, distance_m=distance,
                within_geofence=within, content_hash="x" * 64)
    db.session.add(c)
    db.session.flush()
    return c


def leave(user: User, start: date, end: date, status: str = "approved", **kw) -> Leave:
    lv = Leave(user_id=user.id, start_date=start, end_date=end, kind=kw.pop("kind", "事假"), reason="家中有事",
               status=status, **kw)
    db.session.add(lv)
    db.session.flush()
    return lv


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)


MAY = attendance.month_period(2026, 5)
JUNE_10 = date(2026, 6, 10)


# --- day counting ---------------------------------------------------------------------------

def test_two_checkins_on_one_day_count_as_one_day(w):
    t = w["team1"]
    checkin(t, at(date(2026, 5, 6), 8))
    checkin(t, at(date(2026, 5, 6), 17))
    s = attendance.member_summary(app_rules.attendance(), t, MAY, today=JUNE_10)
    assert (s.days_in_village, s.checkins) == (1, 2)


def test_a_checkin_outside_the_geofence_is_a_checkin_but_not_a_day(w):
    t = w["team1"]
    c = checkin(t, at(date(2026, 5, 6)), where=FAR)
    assert c.within_geofence is False and c.distance_m > 5000
    s = attendance.member_summary(app_rules.attendance(), t, MAY, today=JUNE_10)
    assert (s.days_in_village, s.checkins, s.checkins_outside) == (0, 1, 1)
    # an outside and an inside check-in on one day: one day, two check-ins
    checkin(t, at(date(2026, 5, 6), 15))
    s = attendance.member_summary(app_rules.attendance(), t, MAY, today=JUNE_10)
    assert (s.days_in_village, s.checkins) == (1, 2)


def test_days_are_counted_in_asia_shanghai(w):
    t = w["team1"]
    # 23:30 in Shanghai on 6 May is 15:30 UTC; 00:30 on 7 May is still 6 May in UTC
    checkin(t, datetime(2026, 5, 6, 15, 30, tzinfo=timezone.utc))
    checkin(t, datetime(2026, 5, 6, 16, 30, tzinfo=timezone.utc))
    s = attendance.member_summary(app_rules.attendance(), t, MAY, today=JUNE_10)
    assert s.days_in_village == 2
    assert {d.date for d in s.days if d.inside} == {date(2026, 5, 6), date(2026, 5, 7)}
    # 1 June 00:30 in Shanghai (31 May in UTC) belongs to June, not May
    checkin(t, datetime(2026, 5, 31, 16, 30, tzinfo=timezone.utc))
    assert attendance.member_summary(app_rules.attendance(), t, MAY, today=JUNE_10).days_in_village == 2
    june = attendance.member_summary(app_rules.attendance(), t, attendance.month_period(2026, 6), today=JUNE_10)
    assert [d.date for d in june.days if d.inside] == [date(2026, 6, 1)]


def test_a_zone_with_daylight_saving_counts_local_days_too(app, w):
    """Asia/Shanghai has one offset; another zone changing offset inside the range still counts right."""
    app.config["TIMEZONE"] = "Europe/Berlin"  # summer time from 29 March 2026
    app_rules.install(app)  # the rules are built from the config once
    t = w["team1"]
    checkin(t, datetime(2026, 3, 28, 23, 30, tzinfo=timezone.utc))  # 00:30 CET on 29 March
    checkin(t, datetime(2026, 3, 29, 22, 30, tzinfo=timezone.utc))  # 00:30 CEST on 30 March
    s = attendance.member_summary(app_rules.attendance(), t, attendance.month_period(2026, 3), today=JUNE_10)
    assert [d.date for d in s.days if d.checkins] == [date(2026, 3, 29), date(2026, 3, 30)]


def test_the_village_geofence_is_configurable_per_village(w):
    t, v1 = w["team1"], w["v1"]
    spot = (30.30 + 0.009, 109.50)  # ~1 km from the centre
    assert checkin(t, at(date(2026, 5, 6)), where=spot).within_geofence is True  # default 2 km
    v1.geofence_m = 500
    assert checkin(t, at(date(2026, 5, 7)), where=spot).within_geofence is False


def test_a_village_without_a_centre_counts_no_days(w):
    t, v1 = w["team1"], w["v1"]
    v1.latitude = v1.longitude = None
    c = checkin(t, at(date(2026, 5, 6)))
    assert c.within_geofence is False and c.distance_m is None


# --- working days -------------------------------------------------------------------------------

def test_working_days_follow_the_configured_holidays_and_makeup_days(w):
    days = attendance.working_days(app_rules.attendance(), MAY.start, MAY.end)
    # 21 weekdays, minus 1, 4, 5 May (labour day), plus Saturday 9 May (make-up day)
    assert len(days) == 19
    assert date(2026, 5, 1) not in days and date(2026, 5, 4) not in days and date(2026, 5, 9) in days
    assert date(2026, 5, 16) not in days  # an ordinary Saturday


def test_holidays_come_from_config(app, w):
    app.config["HOLIDAYS"] = []
    app.config["MAKEUP_WORKDAYS"] = []
    app_rules.install(app)  # the rules are built from the config once
    assert len(attendance.working_days(app_rules.attendance(), MAY.start, MAY.end)) == 21


# --- absences -----------------------------------------------------------------------------------

def test_absences_are_working_days_with_neither_a_day_in_the_village_nor_approved_leave(w):
    t = w["team1"]
    posted(t, date(2026, 4, 1))
    for d in (date(2026, 5, 6), date(2026, 5, 7), date(2026, 5, 9), date(2026, 5, 16)):  # 16th: a Saturday
        checkin(t, at(d))
    checkin(t, at(date(2026, 5, 8)), where=FAR)  # outside: not a day in the village
    leave(t, date(2026, 5, 11), date(2026, 5, 12))  # approved, 2 working days
    leave(t, date(2026, 5, 13), date(2026, 5, 13), status="pending")  # pending: still an absence
    leave(t, date(2026, 5, 14), date(2026, 5, 14), status="rejected")
    leave(t, date(2026, 5, 15), date(2026, 5, 15), start_half=True)  # half a day: half absent
    s = attendance.member_summary(app_rules.attendance(), t, MAY, today=JUNE_10)
    assert s.days_in_village == 4
    assert s.checkins == 5
    assert s.leave_days == 2.5
    # 19 working days − 3 working days in the village (6, 7, 9) − 2.5 days of leave
    assert s.absent_days == 13.5
    status = {d.date: d.status for d in s.days}
    assert status[date(2026, 5, 6)] == "in" and status[date(2026, 5, 16)] == "in"
    assert status[date(2026, 5, 8)] == "absent" and status[date(2026, 5, 13)] == "absent"
    assert status[date(2026, 5, 11)] == "leave" and status[date(2026, 5, 15)] == "half"
    assert status[date(2026, 5, 17)] == "rest" and status[date(2026, 5, 1)] == "rest"
    assert member_json(s)["absent_days"] == 13.5 and member_json(s)["leave_days"] == 2.5


def test_leave_over_a_weekend_counts_only_working_days(w):
    t = w["team1"]
    posted(t, date(2026, 4, 1))
    lv = leave(t, date(2026, 5, 15), date(2026, 5, 18))  # Fri..Mon
    assert attendance.leave_days(app_rules.attendance(), lv) == 2
    assert attendance.member_summary(app_rules.attendance(), t, MAY, today=JUNE_10).leave_days == 2


def test_no_absence_before_the_posting_start_nor_from_today_on(w):
    t = w["team1"]
    posted(t, date(2026, 5, 20))  # Wednesday
    s = attendance.member_summary(app_rules.attendance(), t, MAY, today=date(2026, 5, 27))
    # working days 20, 21, 22, 25, 26 are past; the 27th (today) and later are not absences yet
    assert s.absent_days == 5
    status = {d.date: d.status for d in s.days}
    assert status[date(2026, 5, 19)] == "off"
    assert status[date(2026, 5, 27)] == "today"
    assert status[date(2026, 5, 28)] == "future"


def test_return_from_leave_ends_the_leave(w):
    t = w["team1"]
    posted(t, date(2026, 4, 1))
    lv = leave(t, date(2026, 5, 11), date(2026, 5, 15))
    assert attendance.member_summary(app_rules.attendance(), t, MAY, today=JUNE_10).leave_days == 5
    lv.returned_at = at(date(2026, 5, 13), 8)  # back on Wednesday morning
    s = attendance.member_summary(app_rules.attendance(), t, MAY, today=JUNE_10)
    assert s.leave_days == 2
    assert {d.date: d.status for d in s.days}[date(2026, 5, 13)] == "absent"
    lv.returned_at = at(date(2026, 5, 13), 14)  # back after lunch: the morning was leave
    assert attendance.member_summary(app_rules.attendance(), t, MAY, today=JUNE_10).leave_days == 2.5


# --- quarters and pace -----------------------------------------------------------------------------

def test_quarter_rollover_at_local_midnight(w):
    t = w["team1"]
    posted(t, date(2026, 1, 1))
    checkin(t, datetime(2026, 3, 31, 15, 30, tzinfo=timezone.utc))  # 23:30 on 31 March in Shanghai
    checkin(t, datetime(2026, 3, 31, 16, 30, tzinfo=timezone.utc))  # 00:30 on 1 April in Shanghai
    q1 = attendance.member_summary(app_rules.attendance(), t, attendance.quarter_period(2026, 1), today=date(2026, 4, 1))
    q2 = attendance.member_summary(app_rules.attendance(), t, attendance.quarter_period(2026, 2), today=date(2026, 4, 1))
    assert (q1.days_in_village, q1.checkins) == (1, 1)
    assert (q2.days_in_village, q2.checkins) == (1, 1)
    assert q1.progress.quarter.key == "2026-Q1" and q1.progress.days_pace == "missed"
    assert q2.progress.quarter.key == "2026-Q2" and q2.progress.days == 1
    # March's month view reports the progress of Q1; April's of Q2
    march = attendance.member_summary(app_rules.attendance(), t, attendance.month_period(2026, 3), today=date(2026, 4, 1))
    april = attendance.member_summary(app_rules.attendance(), t, attendance.month_period(2026, 4), today=date(2026, 4, 1))
    assert (march.progress.quarter.key, march.progress.days) == ("2026-Q1", 1)
    assert (april.progress.quarter.key, april.progress.days) == ("2026-Q2", 1)


def test_quarter_parsing_and_periods(w):
    q = attendance.parse_period(quarter="2026-Q4")
    assert (q.start, q.end, q.kind) == (date(2026, 10, 1), date(2026, 12, 31), "quarter")
    assert attendance.parse_period(month="2026-02").end == date(2026, 2, 28)
    assert q.next().key == "2027-Q1" and q.previous().key == "2026-Q3"
    with pytest.raises(ValidationFailed):
        attendance.parse_period(month="2026-13")
    with pytest.raises(ValidationFailed):
        attendance.parse_period(quarter="2026-Q5")
    with pytest.raises(ValidationFailed):
        attendance.parse_period(month="2026-05", quarter="2026-Q2")


def test_pace_to_fifty_days(w):
    good, slow = w["sec1"], w["team1"]
    for u in (good, slow):
        posted(u, date(2026, 1, 1))
    q2 = attendance.quarter_period(2026, 2)
    today = date(2026, 5, 15)  # day 45 of 91
    day = q2.start
    n = 0
    while day < today:
        if day.weekday() < 6:  # six days a week in the village
            checkin(good, at(day))
        if n % 4 == 0:  # one day in four
            checkin(slow, at(day))
        day += timedelta(days=1)
        n += 1
    summary = {m.user.id: m for m in attendance.summarize(app_rules.attendance(), [good, slow], q2, today=today)}
    g, s = summary[good.id].progress, summary[slow.id].progress
    assert g.days_pace == "on_track" and g.projected_days >= 50
    assert s.days_pace == "behind" and s.projected_days < 50 and s.behind
    # late in the quarter the slow one can no longer make it
    late = attendance.summarize(app_rules.attendance(), [slow], q2, today=date(2026, 6, 20))[0].progress
    assert late.days_pace == "unreachable"


def test_team_summary_lists_the_team_first_secretary_first(w):
    s = attendance.team_summary(app_rules.attendance(), w["v1"], MAY, today=JUNE_10)
    assert [m.user.username for m in s.members] == ["sec1", "team1"]


def test_summary_uses_a_fixed_number_of_queries(app, w):
    """Set-based: the number of statements does not grow with members or days."""
    from sqlalchemy import event

    for i in range(6):
        u = User(username=f"tm{i}", display_name=f"队员{i}", role="team_member", unit_id=w["v1"].unit_id,
                 village_id=w["v1"].id, password_hash="x")
        db.session.add(u)
        db.session.flush()
        posted(u, date(2026, 4, 1))
        for d in range(1, 29):
            checkin(u, at(date(2026, 5, d)))
        leave(u, date(2026, 5, 29), date(2026, 5, 29))
    statements = []
    listener = lambda *a, **k: statements.append(a[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        s = attendance.team_summary(app_rules.attendance(), w["v1"], attendance.quarter_period(2026, 2), today=JUNE_10)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(s.members) == 8
    assert all(m.days_in_village == 28 for m in s.members if m.user.username.startswith("tm"))
    selects = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 3


# --- check-ins through the service ------------------------------------------------------------------

def _payload(**kw):
    body = {"client_uuid": str(uuid.uuid4()), "checked_in_at": now_utc().isoformat(),
            "latitude": 30.301, "longitude": 109.501, "accuracy_m": 12.5}
    body.update(kw)
    return body


def _record(user: User, body: dict):
    """As the API does: the schema reads the body, the service stores it."""
    return attendance.record_checkin(app_rules.attendance(), user, load_checkin(body))


def test_record_checkin_is_idempotent(w):
    t = w["team1"]
    body = _payload()
    first, created = _record(t, body)
    assert created and first.within_geofence and 100 < first.distance_m < 200
    again, created = _record(t, dict(body))
    assert not created and again.id == first.id
    with pytest.raises(Conflict):
        _record(t, {**body, "latitude": 30.31})
    with pytest.raises(Conflict):  # someone else replaying my uuid learns nothing
        _record(w["sec1"], dict(body))
    assert db.session.query(Checkin).count() == 1


@pytest.mark.parametrize("change, field", [
    ({"latitude": 91}, "latitude"), ({"longitude": -181}, "longitude"), ({"accuracy_m": -1}, "accuracy_m"),
    ({"checked_in_at": "2026-05-06T08:00:00"}, "checked_in_at"), ({"client_uuid": "nope"}, "client_uuid"),
    # times relative to when the test runs, not to when the suite was collected (a long run)
    ({"checked_in_at": timedelta(minutes=30)}, "checked_in_at"),
    ({"checked_in_at": -timedelta(days=8)}, "checked_in_at"),
])
def test_record_checkin_validation_stores_nothing(w, change, field):
    change = {k: (now_utc() + v).isoformat() if isinstance(v, timedelta) else v for k, v in change.items()}
    with pytest.raises(ValidationFailed) as err:
        _record(w["team1"], _payload(**change))
    assert field in err.value.errors
    assert db.session.query(Checkin).count() == 0


def test_only_team_roles_check_in(w):
    with pytest.raises(Forbidden):
        _record(w["h1"], _payload())
    with pytest.raises(Forbidden):
        _record(w["admin"], _payload())


def test_an_offline_checkin_within_the_window_counts_on_its_own_day(w):
    t = w["team1"]
    when = now_utc() - timedelta(days=3)
    c, _ = _record(t, _payload(checked_in_at=when.astimezone(CST).isoformat()))
    assert c.checked_in_at == when
    day = when.astimezone(CST).date()
    s = attendance.member_summary(app_rules.attendance(), t, attendance.month_period(day.year, day.month))
    assert [d.date for d in s.days if d.inside] == [day]


# --- leave flows ------------------------------------------------------------------------------------------

def _ask(user, start, end, **kw):
    data = {"start_date": start.isoformat(), "end_date": end.isoformat(), "kind": "病假", "reason": "感冒发烧"}
    data.update(kw)
    return attendance.request_leave(app_rules.attendance(), user, **leave_request_args(data))


def test_a_team_members_leave_is_approved_by_their_first_secretary(w):
    t, sec1, sec2, admin = w["team1"], w["sec1"], w["sec2"], w["admin"]
    today = local_today()
    lv = _ask(t, today + timedelta(days=3), today + timedelta(days=4))
    assert lv.status == "pending"
    assert attendance.can_decide(sec1, lv)
    assert not attendance.can_decide(sec2, lv)  # another village
    assert not attendance.can_decide(admin, lv)  # the village has a first secretary
    assert not attendance.can_decide(t, lv)  # not their own
    with pytest.raises(Forbidden):
        attendance.decide(sec2, lv, True, "")
    assert list(db.session.scalars(access.leaves_to_decide(sec1))) == [lv]
    assert list(db.session.scalars(access.leaves_to_decide(sec2))) == []
    attendance.decide(sec1, lv, True, "注意休息")
    assert (lv.status, lv.approver_id, lv.comment) == ("approved", sec1.id, "注意休息")
    assert lv.decided_at is not None
    with pytest.raises(Conflict):
        attendance.decide(sec1, lv, False, "改主意")


def test_rejection_needs_a_comment(w):
    lv = _ask(w["team1"], local_today() + timedelta(days=1), local_today() + timedelta(days=1))
    with pytest.raises(ValidationFailed):
        attendance.decide(w["sec1"], lv, False, "  ")
    attendance.decide(w["sec1"], lv, False, "近期有检查，请改期")
    assert lv.status == "rejected" and lv.comment == "近期有检查，请改期"


def test_a_first_secretarys_own_leave_goes_to_the_office_admin(w):
    sec1, admin, admin_x, team1 = w["sec1"], w["admin"], w["admin_x"], w["team1"]
    lv = _ask(sec1, local_today() + timedelta(days=2), local_today() + timedelta(days=2), kind="公假", reason="县里培训")
    assert not attendance.can_decide(sec1, lv)
    assert not attendance.can_decide(team1, lv)
    assert not attendance.can_decide(admin_x, lv)
    assert attendance.can_decide(admin, lv)
    assert list(db.session.scalars(access.leaves_to_decide(sec1))) == []
    assert list(db.session.scalars(access.leaves_to_decide(admin))) == [lv]
    attendance.decide(admin, lv, True, None)
    assert lv.status == "approved" and lv.approver_id == admin.id


def test_without_a_first_secretary_the_office_admin_decides(w):
    w["sec1"].active = False
    lv = _ask(w["team1"], local_today() + timedelta(days=2), local_today() + timedelta(days=2))
    assert attendance.can_decide(w["admin"], lv)
    assert list(db.session.scalars(access.leaves_to_decide(w["admin"]))) == [lv]


def test_leave_validation(w):
    t = w["team1"]
    today = local_today()
    with pytest.raises(ValidationFailed) as err:
        attendance.request_leave(app_rules.attendance(), t,
                                 **leave_request_args({"start_date": "x", "end_date": "", "kind": "年假", "reason": ""}))
    assert set(err.value.errors) == {"start_date", "end_date", "kind", "reason"}
    with pytest.raises(ValidationFailed) as err:
        _ask(t, today + timedelta(days=3), today + timedelta(days=2))
    assert "end_date" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        _ask(t, today, today, start_half="1", end_half="1")
    assert "end_half" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        _ask(t, today - timedelta(days=60), today - timedelta(days=59))
    assert "start_date" in err.value.errors
    with pytest.raises(Forbidden):
        _ask(w["h1"], today, today)


def test_overlapping_leave_is_refused_but_half_days_fit_together(w):
    t = w["team1"]
    d = local_today() + timedelta(days=5)
    _ask(t, d, d + timedelta(days=1), end_half="1")  # ends at noon on d+1
    with pytest.raises(ValidationFailed):
        _ask(t, d + timedelta(days=1), d + timedelta(days=2))
    afternoon = _ask(t, d + timedelta(days=1), d + timedelta(days=1), start_half="1", kind="事假")
    assert attendance.leave_by_day(afternoon) == {d + timedelta(days=1): 0.5}


def test_cancel_and_return(w):
    t, sec1 = w["team1"], w["sec1"]
    today = local_today()
    future = _ask(t, today + timedelta(days=5), today + timedelta(days=5))
    with pytest.raises(Forbidden):
        attendance.cancel(sec1, future)
    attendance.cancel(t, future)
    assert future.status == "cancelled"
    current = _ask(t, today - timedelta(days=1), today + timedelta(days=3))
    with pytest.raises(Conflict):  # not approved yet
        attendance.record_return(t, current)
    attendance.decide(sec1, current, True, "")
    with pytest.raises(Conflict):  # started: 销假 instead
        attendance.cancel(t, current)
    assert attendance.can_return(sec1, current) and attendance.can_return(t, current)
    attendance.record_return(sec1, current)
    assert current.returned_at is not None
    with pytest.raises(Conflict):
        attendance.record_return(t, current)


# --- access ------------------------------------------------------------------------------------------------

def test_access_to_team_attendance(w):
    sec1, sec2, team1, admin, admin_x, h1 = (w[k] for k in ("sec1", "sec2", "team1", "admin", "admin_x", "h1"))
    v1 = w["v1"]
    assert access.attendance_village(sec1).id == v1.id
    assert access.attendance_village(sec1, v1.id).id == v1.id
    with pytest.raises(NotFound):
        access.attendance_village(sec2, v1.id)
    with pytest.raises(Forbidden):
        access.attendance_village(team1, v1.id)
    with pytest.raises(Forbidden):
        access.attendance_village(h1, v1.id)
    assert access.attendance_village(admin, v1.id).id == v1.id
    with pytest.raises(NotFound):
        access.attendance_village(admin_x, v1.id)
    assert access.team_person(sec1, team1.id) == team1
    with pytest.raises(NotFound):
        access.team_person(sec2, team1.id)
    with pytest.raises(NotFound):
        access.team_person(team1, sec1.id)  # a team member sees only themself
    assert access.team_person(team1, team1.id) == team1
    with pytest.raises(NotFound):
        access.team_person(sec1, h1.id)  # helpers have no attendance
    lv = leave(team1, date(2026, 5, 11), date(2026, 5, 12))
    assert access.leave(sec1, lv.id) == lv and access.leave(admin, lv.id) == lv
    for outsider in (sec2, admin_x, h1):
        with pytest.raises(NotFound):
            access.leave(outsider, lv.id)

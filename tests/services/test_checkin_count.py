"""Check-ins counted towards the quarter's 50 (002) — inside the village geofence, at most
CHECKINS_COUNTED_PER_DAY per Asia/Shanghai day (local choice, configurable). Hand-built quarters."""
from datetime import date, datetime, timedelta

from tests.services.test_attendance import CST, FAR, at, checkin, posted
from webapp.extensions import db
from webapp.schemas.attendance import member_json
from webapp.services import attendance
from webapp.web import rules as app_rules

Q2 = attendance.quarter_period(2026, 2)
TODAY = date(2026, 7, 2)  # the quarter is over


def test_fifty_checkins_in_one_morning_count_once(w):
    team1 = w["team1"]
    posted(team1, date(2026, 4, 1))
    for i in range(50):
        checkin(team1, at(date(2026, 4, 7), 8, 0) + timedelta(minutes=i))
    db.session.commit()
    s = attendance.member_summary(app_rules.attendance(), team1, Q2, today=TODAY)
    assert s.checkins == 50 and s.checkins_counted == 1
    assert (s.progress.checkins, s.progress.checkins_all) == (1, 50)
    assert s.progress.checkins_pace == "missed"
    assert member_json(s)["checkins"] == 50 and member_json(s)["checkins_counted"] == 1


def test_fifty_checkins_from_outside_the_village_count_none(w):
    team1 = w["team1"]
    posted(team1, date(2026, 4, 1))
    day = date(2026, 4, 1)
    for i in range(50):  # 50 different days, all 5.6 km away
        checkin(team1, at(day + timedelta(days=i)), where=FAR)
    db.session.commit()
    s = attendance.member_summary(app_rules.attendance(), team1, Q2, today=TODAY)
    assert s.checkins == 50 and s.checkins_counted == 0 and s.progress.checkins == 0


def test_fifty_days_inside_reach_the_target_and_days_follow_shanghai_midnight(w):
    team1 = w["team1"]
    posted(team1, date(2026, 4, 1))
    for i in range(49):  # 1 April .. 19 May, one a day
        checkin(team1, at(date(2026, 4, 1) + timedelta(days=i), 9))
    checkin(team1, at(date(2026, 4, 1), 15))  # a second one on 1 April: not counted
    # 23:50 on 20 May and 00:10 on 21 May (Shanghai): the same UTC day, two local days → both count
    checkin(team1, datetime(2026, 5, 20, 23, 50, tzinfo=CST))
    checkin(team1, datetime(2026, 5, 21, 0, 10, tzinfo=CST))
    db.session.commit()
    s = attendance.member_summary(app_rules.attendance(), team1, Q2, today=TODAY)
    assert s.checkins == 52 and s.checkins_counted == 51
    assert s.progress.checkins == 51 and s.progress.checkins_pace == "reached"


def test_the_rule_is_configurable(w, app):
    team1 = w["team1"]
    posted(team1, date(2026, 4, 1))
    for h in (8, 9, 10):
        checkin(team1, at(date(2026, 4, 8), h))
    checkin(team1, at(date(2026, 4, 9)), where=FAR)
    db.session.commit()
    assert attendance.member_summary(app_rules.attendance(), team1, Q2, today=TODAY).checkins_counted == 1
    app.config["CHECKINS_COUNTED_PER_DAY"] = 2
    app_rules.install(app)  # the rules are built from the config once
    assert attendance.member_summary(app_rules.attendance(), team1, Q2, today=TODAY).checkins_counted == 2
    app.config["CHECKINS_COUNTED_PER_DAY"] = 0  # no daily cap
    app_rules.install(app)  # the rules are built from the config once
    assert attendance.member_summary(app_rules.attendance(), team1, Q2, today=TODAY).checkins_counted == 3
    app.config["CHECKINS_COUNT_INSIDE_ONLY"] = False
    app_rules.install(app)  # the rules are built from the config once
    assert attendance.member_summary(app_rules.attendance(), team1, Q2, today=TODAY).checkins_counted == 4

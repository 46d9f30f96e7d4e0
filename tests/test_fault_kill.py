"""SIGKILL of the whole server (gunicorn master and workers) while phones are sending visits with
retries; after the restart the rows are exactly the visits the clients were told about, each
once, with the id they were told: acknowledged before the kill, or retried until acknowledged
after it (bench/fault.py is the same run at full size: 1,000 visits, 3 kills)."""
import pytest

from tests.support.factories import PASSWORD
from tests.support.fault import check, make_visits, rows, send_with_kills
from tests.support.live import lift_daily_caps, login
from tests.support.live_gunicorn import live_gunicorn, log_problems

pytestmark = pytest.mark.slow  # a real gunicorn SIGKILLed and restarted


def test_sigkill_while_sending_visits_loses_nothing_and_doubles_nothing(app, world, tmp_path):
    helpers = [("h1", "hh1"), ("h1", "hh2"), ("h2", "hh3"), ("h3", "hh4"), ("h3", "hh5")]
    visits = make_visits([world[hh] for _, hh in helpers], 150)
    lift_daily_caps(tmp_path / "instance")  # 150 visits from 3 helpers: beyond the daily caps
    with live_gunicorn(app, tmp_path, workers=2, threads=4) as server:
        clients = [(*login(server.base, user, PASSWORD), v) for (user, _), v in zip(helpers, visits)]
        outcome = send_with_kills(server, clients, kill_at=[50], deadline_s=45, timeout_s=20)
    problems, figures = check(outcome, rows(app.config["SQLALCHEMY_DATABASE_URI"]))
    assert problems == [], figures
    assert figures["rows"] == 150 and figures["duplicates"] == 0
    assert len(outcome.kills) == 1 and outcome.kills[0]["acked_before"] >= 50
    # the kill really cut requests: some visits needed more than one try
    assert figures["retried_then_acked"] >= 1, figures
    assert figures["acked_first_try"] + figures["retried_then_acked"] == 150
    assert log_problems(tmp_path) == []

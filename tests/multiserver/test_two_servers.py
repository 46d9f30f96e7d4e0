"""Two app servers, one installation: gunicorn A and B with no shared disk over one
PostgreSQL database, one Redis (Huey) and one S3 server (tests/multiserver/cluster.py).

Skipped unless BANGFU_MULTI=1 (`.ci/run` sets it); needs PostgreSQL (DATABASE_URL or
BANGFU_MULTI_PG), Redis on 127.0.0.1:6379 (BANGFU_REDIS_URL) and moto[server].
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import datetime, timedelta

import pytest
import requests

from tests.support.factories import PASSWORD
from tests.support.live import CST, DEFAULT_PG, login, visit_body
from tests.support.visit_data import jpeg

pytestmark = [
    pytest.mark.multiserver,
    pytest.mark.skipif(os.environ.get("BANGFU_MULTI") != "1", reason="two-server tests: BANGFU_MULTI=1 (.ci/run)"),
]


def _pg_url() -> str:
    url = os.environ.get("BANGFU_MULTI_PG") or os.environ.get("DATABASE_URL") or ""
    return url if url.startswith("postgresql") else DEFAULT_PG


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    from tests.multiserver.cluster import DEFAULT_REDIS, cluster

    with cluster(tmp_path_factory.mktemp("cluster"), _pg_url(), os.environ.get("BANGFU_REDIS_URL", DEFAULT_REDIS)) as c:
        yield c
        for node in c.nodes:  # nothing ever landed on a server's own disk
            assert [p for p in node.uploads.rglob("*") if p.is_file()] == []


def _sql(two, query: str, **params):
    from sqlalchemy import create_engine, text

    engine = create_engine(two.database_url)
    try:
        with engine.connect() as c:
            return c.execute(text(query), params).all()
    finally:
        engine.dispose()


def _objects(two) -> dict[str, int]:
    from webapp.services import storage

    return dict(storage.from_url(two.storage_url, two.s3_endpoint).sizes())


def _login_attempt(base: str, username: str, password: str) -> requests.Response:
    from tests.support.live import CSRF_META

    s = requests.Session()
    token = CSRF_META.search(s.get(f"{base}/login", timeout=30).text).group(1)
    return s.post(f"{base}/login", data={"username": username, "password": password, "csrf_token": token},
                  allow_redirects=False, timeout=30)


def test_a_login_on_a_is_valid_on_b_and_a_logout_on_a_ends_it_on_b(two):
    s, token = login(two.a.base, "h2")
    assert s.get(f"{two.b.base}/", allow_redirects=False, timeout=30).status_code == 200
    # a write on B with the CSRF token A handed out
    body = visit_body(two.ids["hh3"])
    assert s.post(f"{two.b.base}/api/v1/visits", json=body, headers={"X-CSRFToken": token}, timeout=30).status_code == 201
    assert s.post(f"{two.a.base}/logout", data={"csrf_token": token}, allow_redirects=False, timeout=30).status_code == 302
    assert s.get(f"{two.b.base}/", allow_redirects=False, timeout=30).status_code == 302  # to the login page


def test_login_limits_hold_across_both_servers(two):
    for i in range(5):  # failures alternate between the servers
        node = two.a if i % 2 == 0 else two.b
        assert _login_attempt(node.base, "team2", "wrong-password").status_code == 401
    for node in (two.a, two.b):  # the sixth try is refused on both, even with the right password
        refused = _login_attempt(node.base, "team2", PASSWORD)
        assert refused.status_code == 429 and "登录失败次数过多" in refused.text


def test_a_visit_and_its_photos_sent_to_a_are_served_by_b(two):
    sa, token_a = login(two.a.base, "h1")
    body = visit_body(two.ids["hh1"])
    assert sa.post(f"{two.a.base}/api/v1/visits", json=body, headers={"X-CSRFToken": token_a}, timeout=30).status_code == 201
    sent = []
    for seed in range(2):
        r = sa.post(f"{two.a.base}/api/v1/visits/{body['client_uuid']}/photos", headers={"X-CSRFToken": token_a},
                    data={"client_uuid": str(uuid.uuid4())}, files={"photo": ("p.jpg", jpeg(seed=seed, size=(2000, 1500)))},
                    timeout=60)
        assert r.status_code == 201, r.text
        sent.append(r.json())
    sb, _ = login(two.b.base, "sec1")  # the first secretary of the village, on the other server
    seen = sb.get(f"{two.b.base}/api/v1/visits/{body['client_uuid']}", timeout=30)
    assert seen.status_code == 200 and len(seen.json()["photos"]) == 2
    objects = _objects(two)
    for photo in sent:
        image = sb.get(f"{two.b.base}{photo['url']}", timeout=30)
        assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
        assert len(image.content) == photo["size_bytes"]
        assert sb.get(f"{two.b.base}{photo['thumb_url']}", timeout=30).status_code == 200
    keys = _sql(two, "SELECT storage_key, size_bytes FROM photo")
    assert all(objects[key] == size for key, size in keys)
    stranger, _ = login(two.b.base, "h3")
    assert stranger.get(f"{two.b.base}{sent[0]['url']}", timeout=30).status_code == 404


def test_an_outbox_alternating_between_a_and_b_delivers_each_visit_once(two):
    """The phone sends each visit to one server, the answer is lost, the outbox sends it again —
    the load balancer picks the other server; some are sent to both at the same moment."""
    s, token = login(two.a.base, "h3")
    headers = {"X-CSRFToken": token}
    # over three days: at most 10 visits per helper and day are taken
    bodies = [visit_body(two.ids["hh4" if i % 2 else "hh5"], when=datetime.now(CST) - timedelta(days=i % 3, minutes=5))
              for i in range(12)]
    told: dict[str, set] = {}
    for i, body in enumerate(bodies):
        first, second = (two.a, two.b) if i % 2 == 0 else (two.b, two.a)
        if i % 3 == 2:  # both at once
            answers = []
            threads = [threading.Thread(target=lambda n=n: answers.append(
                s.post(f"{n.base}/api/v1/visits", json=body, headers=headers, timeout=60))) for n in (first, second)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            answers = [s.post(f"{n.base}/api/v1/visits", json=body, headers=headers, timeout=60) for n in (first, second)]
        assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
        told[body["client_uuid"]] = {a.json()["id"] for a in answers}
    assert all(len(ids) == 1 for ids in told.values())  # both answers name the same row
    rows = _sql(two, "SELECT client_uuid, id FROM visit WHERE client_uuid = ANY(:u)", u=list(told))
    assert sorted(rows) == sorted((u, next(iter(ids))) for u, ids in told.items())


def _wait_job(two, job_id: int, timeout: float = 240) -> str:
    end = time.time() + timeout
    while time.time() < end:
        status = _sql(two, "SELECT status FROM print_job WHERE id = :i", i=job_id)[0][0]
        if status not in ("queued", "running"):
            return status
        time.sleep(0.5)
    raise AssertionError(f"print job {job_id} still {status}")


def _executed(node) -> int:
    """print_diaries tasks this server's consumer finished (from its log)."""
    return sum(1 for line in node.consumer_log().splitlines() if "print_diaries" in line and " executed in " in line)


def _queue_batch(two, session, base: str, token: str, month: str, village_id: int, fmt: str = "pdf") -> int:
    r = session.post(f"{base}/reports/batch", data={"month": month, "village_id": village_id, "format": fmt,
                                                    "csrf_token": token}, allow_redirects=False, timeout=60)
    assert r.status_code in (200, 302, 303), r.text[:500]
    return max(i for (i,) in _sql(two, "SELECT id FROM print_job"))


def test_a_batch_print_queued_on_a_is_rendered_by_bs_consumer_and_downloaded_from_a(two):
    month = datetime.now(CST).strftime("%Y-%m")
    admin, token = login(two.a.base, "admin")
    job_id = _queue_batch(two, admin, two.a.base, token, month, two.ids["v1"])
    time.sleep(1.0)
    assert _sql(two, "SELECT status FROM print_job WHERE id = :i", i=job_id)[0][0] == "queued"  # no consumer yet
    # the same batch asked for again on B while it waits is that job, not a second render
    admin_b, token_b = login(two.b.base, "admin")
    jobs_before = _sql(two, "SELECT count(*) FROM print_job")[0][0]
    assert _queue_batch(two, admin_b, two.b.base, token_b, month, two.ids["v1"]) == job_id
    assert _sql(two, "SELECT count(*) FROM print_job")[0][0] == jobs_before
    two.b.start_consumer()  # only server B runs a consumer
    assert _wait_job(two, job_id) == "done"
    key = _sql(two, "SELECT result_key FROM print_job WHERE id = :i", i=job_id)[0][0]
    assert key in _objects(two)
    r = admin.get(f"{two.a.base}/reports/jobs/{job_id}/download", timeout=60)
    assert r.status_code == 200 and r.content[:5] == b"%PDF-" and len(r.content) == _objects(two)[key]
    assert _executed(two.b) == 1 and two.a.consumer is None


def test_two_consumers_share_one_queue_and_run_each_job_once(two):
    month = datetime.now(CST).strftime("%Y-%m")
    if two.b.consumer is None:
        two.b.start_consumer()
    two.a.start_consumer(periodic=False)
    before = _executed(two.a) + _executed(two.b)
    admin_a, token_a = login(two.a.base, "admin")
    admin_b, token_b = login(two.b.base, "admin")
    jobs = []
    for i in range(4):  # four different batches (the same one again while it waits is that job: below)
        session, node, token = (admin_a, two.a, token_a) if i % 2 == 0 else (admin_b, two.b, token_b)
        jobs.append(_queue_batch(two, session, node.base, token, month, two.ids["v1" if i < 2 else "v2"],
                                 "pdf" if i % 2 == 0 else "zip"))
    assert len(set(jobs)) == 4
    assert [_wait_job(two, j) for j in jobs] == ["done"] * 4
    # each job run by exactly one consumer, once (the queue hands a task out once)
    assert _executed(two.a) + _executed(two.b) - before == 4
    rows = _sql(two, "SELECT done, total FROM print_job WHERE id = ANY(:j)", j=jobs)
    assert all(done == total > 0 for done, total in rows)

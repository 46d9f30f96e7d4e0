"""Costly actions ask first and refuse what cannot be undone: cancelling a print job,
the spot-check form's error inline with the input kept, the confirm step in each page's HTML."""
from sqlalchemy import func, select

from tests.support import factories, perf_factories
from webapp.extensions import db
from webapp.models import AuditLog, PrintJob, SpotCheckDraw, SpotCheckItem, User
from webapp.services.printing import jobs as printjobs
from webapp.web import rules as app_rules

MARCH = "2026-03"


def _job(app, world, status: str) -> int:
    return factories.diary_batch(app, world["admin"], MARCH, status)


def test_a_queued_print_job_is_cancelled_after_a_confirm_step(app, client, make_client, world):
    job_id = _job(app, world, "queued")
    client.login("admin")
    page = client.get("/reports/").get_data(as_text=True)
    assert f'id="cancel-job-{job_id}"' in page and "确认取消" in page
    other = make_client()
    other.login("admin_x")
    assert other.post(f"/reports/jobs/{job_id}/cancel").status_code == 404
    html = client.post(f"/reports/jobs/{job_id}/cancel", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "已取消" in html and "every 2s" not in html
    with app.test_request_context():
        assert db.session.get(PrintJob, job_id).status == "cancelled"
        assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "printjob.cancel")) == 1
        printjobs.run(job_id, app_rules.printing())  # the worker skips a cancelled job
        assert db.session.get(PrintJob, job_id).status == "cancelled"
    again = client.post(f"/reports/jobs/{job_id}/cancel", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "这个任务已经结束，不能取消" in again
    assert client.post(f"/reports/jobs/{job_id}/cancel").status_code == 409


def test_a_job_that_finished_after_the_page_was_read_is_not_cancelled(app, world):
    """The worker's commit lands between the cancel's read of the job and its write: the job stays
    done with its result (it was turned 已取消, the result then deleted as nobody's)."""
    import pytest
    from sqlalchemy import update

    from webapp.services.errors import Conflict

    job_id = _job(app, world, "running")
    with app.test_request_context():
        job = db.session.get(PrintJob, job_id)
        admin = db.session.get(User, world["admin"])
        assert job.status == "running"
        db.session.execute(update(PrintJob).where(PrintJob.id == job_id).values(status="done", result_key="prints/x.pdf")
                           .execution_options(synchronize_session=False))  # the worker, unseen by this session
        with pytest.raises(Conflict):
            printjobs.cancel(admin, job)
        assert (job.status, job.result_key) == ("done", "prints/x.pdf")
        db.session.rollback()


def test_the_spot_check_error_is_inline_with_the_input_kept(app, client, world):
    with app.app_context():
        perf_factories.march(world)
        db.session.commit()
    client.login("admin")
    client.post("/performance/spot-checks/draw", data={"month": MARCH, "seed": "公开"})
    page = client.get(f"/performance/spot-checks?month={MARCH}").get_data(as_text=True)
    assert "抽签码" in page and "随机种子" not in page and "用抽签码再抽一遍，结果一致" in page
    assert 'id="confirm-redraw"' in page and "确认重新抽取" in page
    with app.app_context():
        item_id = db.session.scalar(select(SpotCheckItem.id))
    resp = client.post(f"/performance/spot-checks/items/{item_id}",
                       data={"result": "基本符合", "note": " ", "satisfaction": "满意", "satisfaction_note": "户主满意"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "出错了" not in html
    assert "选“基本符合”时，请在说明中写明与记录不一致之处。" in html
    form = html.split(f'id="item-{item_id}"')[1].split("</form>")[0]
    assert 'value="基本符合" checked' in form and 'value="满意" checked' in form and "户主满意" in form
    with app.app_context():
        assert db.session.get(SpotCheckItem, item_id).result is None


def test_deactivating_an_account_and_closing_a_month_ask_first(app, client, world):
    with app.app_context():
        perf_factories.march(world)
        db.session.commit()
    client.login("admin")
    users = client.get("/admin/users").get_data(as_text=True)
    assert f'id="deactivate-{world["h1"]}"' in users and "确认停用" in users
    unit = client.get(f"/performance/unit?month={MARCH}").get_data(as_text=True)
    assert 'id="confirm-close"' in unit and "确认关账" in unit
    client.post("/performance/unit/close", data={"month": MARCH})
    unit = client.get(f"/performance/unit?month={MARCH}").get_data(as_text=True)
    assert 'id="confirm-reopen"' in unit and "确认重新打开" in unit
    with app.app_context():
        assert db.session.get(User, world["h1"]).active


def test_a_flag_in_a_month_still_open_reads_provisional(app, client, world):
    """A visit entered late this month reads 本月暂计：…, not …候选; a finished month …候选."""
    from datetime import timedelta

    from tests.support import factories
    from webapp.services.calendar import local_today, month_utc_range

    with app.app_context():
        perf_factories.march(world)
        today = local_today()
        start = month_utc_range(today.year, today.month)[0] + timedelta(hours=1)
        factories.visit_row(world["h3"], world["hh4"], start, received_at=start + timedelta(hours=100))
        db.session.commit()
    client.login("h3")
    now = client.get("/performance/me").get_data(as_text=True)
    assert "本月暂计：" in now and 'data-provisional="1"' in now and "候选" not in now
    march = client.get(f"/performance/me?month={MARCH}").get_data(as_text=True)
    assert "候选" in march and "本月暂计：" not in march


def test_the_server_refuses_a_redraw_without_the_confirmation(app, client, make_client, world):
    """The first draw needs no confirmation; a second POST without `replace=1` is a 409 shown inline and
    keeps the draw; with it, the draw is replaced (the old one kept as superseded)."""
    with app.app_context():
        perf_factories.march(world)
        db.session.commit()
    client.login("admin")
    assert client.post("/performance/spot-checks/draw", data={"month": MARCH, "seed": "第一次"}).status_code == 302
    page = client.get(f"/performance/spot-checks?month={MARCH}").get_data(as_text=True)
    assert 'name="replace" value="1"' in page  # the confirm step's form carries the confirmation
    resp = client.post("/performance/spot-checks/draw", data={"month": MARCH, "seed": "第二次"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "出错了" not in html
    assert 'id="draw-error"' in html and "本月已经抽取过，重新抽取会换一批人" in html and "第一次" in html
    with app.app_context():
        assert db.session.scalars(select(SpotCheckDraw.seed)).all() == ["第一次"]
    # another township's admin draws their own month without a confirmation (nothing to draw there: 422, not 409)
    other = make_client()
    other.login("admin_x")
    assert other.post("/performance/spot-checks/draw", data={"month": MARCH}).status_code == 422
    assert client.post("/performance/spot-checks/draw",
                       data={"month": MARCH, "seed": "第二次", "replace": "1"}).status_code == 302
    with app.app_context():
        rows = db.session.execute(select(SpotCheckDraw.seed, SpotCheckDraw.superseded).order_by(SpotCheckDraw.id)).all()
        assert [tuple(r) for r in rows] == [("第一次", True), ("第二次", False)]

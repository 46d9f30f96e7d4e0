"""Offline-first on a 360×640 phone (Debian's Chromium, geolocation emulated).

Going offline is `context.set_offline(True)` (the page's own traffic and navigator.onLine) plus a
route that aborts everything (set_offline does not cut the service worker's traffic).
"""
import threading
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests.support.factories import PASSWORD
from tests.support.visit_data import jpeg, visit_body
from webapp.extensions import db
from webapp.models import Measure, Photo, Visit

from .conftest import login, no_horizontal_scroll, page_sends_only


def poll(page, expr, arg=None, timeout=15.0):
    """Evaluate until truthy (wait_for_function would need eval, which the CSP forbids)."""
    end = time.time() + timeout
    while True:
        value = page.evaluate(expr, arg)
        if value:
            return value
        if time.time() > end:
            raise AssertionError(f"still false after {timeout}s: {expr}")
        page.wait_for_timeout(150)


def wait_controlled(page, timeout=30.0):
    """The service worker controls the page. Chromium's clients.claim() can miss a page whose
    navigation was in flight while the worker activated (seen once in CI: active, warming pages,
    the page never claimed); such a page stays uncontrolled, and the phone's next page load is
    controlled. So: wait for an active worker (a fresh browser installs it cold), give claim() its
    chance, and only then load the page again, as the helper's next tap would."""
    poll(page, "navigator.serviceWorker.ready.then(r => !!r.active)", timeout=timeout)
    try:
        poll(page, "navigator.serviceWorker.controller !== null", timeout=5.0)
    except AssertionError:
        page.reload()
        poll(page, "navigator.serviceWorker.controller !== null", timeout=timeout)


def rows(app, model) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
        return n


def go_offline(context):
    context.set_offline(True)
    context.route("**/*", lambda route: route.abort("internetdisconnected"))


def go_online(context):
    context.unroute("**/*")
    context.set_offline(False)


def ready_offline(page, household_id):
    """Online once: the worker controls the page and has kept the helper's pages."""
    wait_controlled(page)
    poll(page, "(u) => caches.match(u).then(r => !!r)", f"/households/{household_id}/visits/new")
    poll(page, "(u) => caches.match(u).then(r => !!r)", f"/households/{household_id}")


def outbox_items(page):
    return page.evaluate("BangfuOutbox.items().then(l => l.map(i => ({id: i.id, kind: i.kind, state: i.state, "
                         "attempts: i.attempts, next_at: i.next_at, error: i.error})))")


def photos(tmp_path, n=2):
    paths = []
    for i in range(n):
        p = tmp_path / f"IMG_{i:04d}.jpg"
        p.write_bytes(jpeg(seed=70 + i, size=(2000, 1500)))
        paths.append(str(p))
    return paths


def record_visit(page, household_id, files, measure_id=None):
    page.click("text=签到走访")
    page.wait_for_selector("#geo-status.ok")
    if measure_id:
        page.check(f"input[name=measures_done][value='{measure_id}']")
    page.set_input_files("#photo-input", files)
    expect(page.locator("#photo-list li.photo")).to_have_count(len(files))
    page.fill("textarea[name=notes]", "离线走访：了解家庭收入，核实教育资助。")
    page.check("input[name=check_food][value=yes]")
    page.click("#save-visit")
    page.wait_for_url(f"**/households/{household_id}")


def test_offline_visit_waits_on_the_phone_then_arrives_exactly_once(app, world, phone, tmp_path):
    with app.app_context():
        m = Measure(household_id=world["hh1"], category="产业", title="发放鸡苗", status="planned")
        db.session.add(m)
        db.session.commit()
        mid = m.id
    login(phone, "h1", PASSWORD)
    ready_offline(phone, world["hh1"])
    context = phone.context

    go_offline(context)
    phone.goto(f"/households/{world['hh1']}")  # from the worker's cache
    expect(phone.locator("#net-status")).to_be_visible()
    record_visit(phone, world["hh1"], photos(tmp_path), mid)
    banner = phone.locator("#outbox-status")
    expect(banner).to_contain_text("待上传 1 条，照片 2 张")
    assert no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/bangfu-offline-waiting.png")
    assert rows(app, Visit) == 0
    assert sorted(i["kind"] for i in outbox_items(phone)) == ["photo", "photo", "visit"]
    pending = phone.locator("#pending-visits li.pending-visit")  # the household page shows it waiting
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("照片 2 张")

    requests = []
    context.on("request", lambda r: requests.append((r.method, r.url.split("/", 3)[-1])))
    go_online(context)  # the page hears "online" and sends
    expect(banner).to_be_hidden(timeout=20000)
    expect(pending).to_have_count(0)
    assert outbox_items(phone) == []
    assert rows(app, Visit) == 1 and rows(app, Photo) == 2
    with app.app_context():
        assert db.session.get(Measure, mid).status == "done"
        db.session.remove()
    # a fresh CSRF token was fetched before the replay, and the visit went before its photos
    posts = [u for m, u in requests if m == "POST"]
    assert posts[0] == "api/v1/visits" and all(u.endswith("/photos") for u in posts[1:3])
    first_post = next(i for i, (m, _) in enumerate(requests) if m == "POST")
    assert ("GET", "api/v1/csrf") in requests[:first_post]
    phone.reload()
    expect(phone.locator("#visit-history .thumbs img")).to_have_count(2)


def test_a_reload_while_offline_shows_the_app(app, world, phone):
    login(phone, "h1", PASSWORD)
    ready_offline(phone, world["hh1"])
    go_offline(phone.context)
    phone.reload()
    assert phone.locator("h1").inner_text() == "我的帮扶户"
    assert "张一" in phone.locator("#households").inner_text()
    expect(phone.locator("#net-status")).to_be_visible()
    phone.goto(f"/households/{world['hh1']}/visits/new")
    assert "签到走访" in phone.locator("h1").inner_text()
    # a page never opened online: the app's offline page, not the browser's error page
    phone.goto("/visits/month?month=2020-01")
    assert "当前没有网络" in phone.locator("main").inner_text()
    assert phone.locator(".topbar").count() == 1


def _lose_first_answers(context, counts):
    """The server stores the request, but the phone never hears back (first visit, first photo)."""
    def handler(route):
        kind = "photo" if route.request.url.endswith("/photos") else "visit"
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] == 1:
            route.fetch()   # reaches the server, which stores it
            route.abort("connectionreset")
        else:
            route.continue_()
    context.route("**/api/v1/visits**", handler)


def test_replayed_outbox_still_yields_one_visit_and_two_photos(app, world, phone, tmp_path):
    page_sends_only(phone.context)  # every send through _lose_first_answers
    login(phone, "h1", PASSWORD)
    ready_offline(phone, world["hh1"])
    context = phone.context
    go_offline(context)
    phone.goto(f"/households/{world['hh1']}")
    record_visit(phone, world["hh1"], photos(tmp_path))
    expect(phone.locator("#outbox-status")).to_contain_text("待上传 1 条，照片 2 张")

    counts = {}
    context.unroute("**/*")
    _lose_first_answers(context, counts)
    context.set_offline(False)
    # the visit reached the server but its answer was lost: still waiting on the phone
    poll(phone, "BangfuOutbox.items().then(l => l.some(i => i.kind === 'visit' && i.state === 'retry'))")
    assert rows(app, Visit) == 1
    phone.reload()  # the page reloaded mid-send: the same outbox goes again
    poll(phone, "BangfuOutbox.items().then(l => l.length === 0 || l.some(i => i.state === 'retry'))")
    phone.reload()
    poll(phone, "BangfuOutbox.items().then(l => l.length === 0)", timeout=20)
    assert counts["visit"] >= 2 and counts["photo"] >= 3
    assert rows(app, Visit) == 1 and rows(app, Photo) == 2


class Restartable:
    """The app on a fixed port that a test can stop and start again."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = None
        self.start(existing=True)

    def start(self, existing=False):
        if not existing:
            self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def restartable(app):
    srv = Restartable(app)
    yield srv
    try:
        srv.stop()
    except Exception:
        pass


def test_a_server_restart_in_the_middle_of_sending_loses_nothing(app, world, browser, restartable, tmp_path):
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True, has_touch=True,
        locale="zh-CN", timezone_id="Asia/Shanghai", permissions=["geolocation"],
        geolocation={"latitude": 30.301, "longitude": 109.501, "accuracy": 15},
        base_url=f"http://127.0.0.1:{restartable.port}",
    )
    context.set_default_timeout(15000)
    page_sends_only(context)  # every photo through kill_on_second_photo
    page = context.new_page()
    login(page, "h1", PASSWORD)
    wait_controlled(page)
    page.goto(f"/households/{world['hh1']}")
    state = {"photos": 0}

    def kill_on_second_photo(route):
        state["photos"] += 1
        if state["photos"] == 2:
            restartable.stop()  # the server goes down while the phone is sending
        route.continue_()
    context.route("**/api/v1/visits/*/photos", kill_on_second_photo)
    record_visit(page, world["hh1"], photos(tmp_path, 3))
    expect(page.locator("#outbox-status")).to_contain_text("待上传 0 条，照片 2 张")
    assert rows(app, Visit) == 1 and rows(app, Photo) == 1
    restartable.start()
    # no click needed: the outbox's own backoff timer tries again
    expect(page.locator("#outbox-status")).to_be_hidden(timeout=30000)
    assert rows(app, Visit) == 1 and rows(app, Photo) == 3
    assert poll(page, "BangfuOutbox.items().then(l => l.length === 0)")


def test_a_final_refusal_is_kept_with_the_reason_until_discarded(app, world, phone):
    login(phone, "h1", PASSWORD)
    phone.goto("/outbox")
    wait_controlled(phone)
    body = visit_body(world["hh3"])  # not paired with h1: 404
    phone.evaluate("(b) => BangfuOutbox.enqueue([{id: b.client_uuid, kind: 'visit', url: '/api/v1/visits', "
                   "body: b, label: '张三户 走访'}]).then(() => BangfuOutbox.flush({eager: true}))", body)
    item = phone.locator("#outbox-list li.outbox-item")
    expect(item).to_have_count(1)
    expect(item).to_have_class("outbox-item state-error")
    expect(item.locator("p.error")).to_contain_text("不是您当前结对的帮扶户")
    expect(phone.locator("#outbox-status")).to_contain_text("1 条未能上传")
    phone.reload()  # not retried on its own, not lost
    expect(phone.locator("#outbox-list li.outbox-item.state-error")).to_have_count(1)
    phone.once("dialog", lambda d: d.accept())
    item.locator("button", has_text="丢弃").click()
    expect(phone.locator("#outbox-list li.outbox-item")).to_have_count(0)
    expect(phone.locator("#outbox-status")).to_be_hidden()
    assert rows(app, Visit) == 0


def test_server_errors_are_retried_with_growing_delays(app, world, phone_without_worker):
    phone = phone_without_worker  # the page's own retries, every one through the route that answers 503
    login(phone, "h1", PASSWORD)
    phone.goto("/outbox")
    calls = []
    phone.context.route("**/api/v1/visits", lambda r: (calls.append(1), r.fulfill(status=503, body="busy")))
    body = visit_body(world["hh1"])
    # the delays are checked against the phone's clock read just before and after each send, so a
    # slow machine (CI under load) cannot push them out of their bounds
    before = phone.evaluate("Date.now()")
    phone.evaluate("(b) => BangfuOutbox.enqueue([{id: b.client_uuid, kind: 'visit', url: '/api/v1/visits', body: b}])"
                   ".then(() => BangfuOutbox.flush({eager: true}))", body)
    after = phone.evaluate("Date.now()")
    first = outbox_items(phone)[0]
    assert first["state"] == "retry" and first["attempts"] == 1
    assert before + 3750 <= first["next_at"] <= after + 6250  # 5 s ± 25 %
    # not due yet: an automatic round leaves it alone
    phone.evaluate("BangfuOutbox.flush()")
    assert len(calls) == 1
    before = phone.evaluate("Date.now()")
    phone.evaluate("BangfuOutbox.flush({eager: true})")
    after = phone.evaluate("Date.now()")
    second = outbox_items(phone)[0]
    assert second["attempts"] == 2 and before + 7500 <= second["next_at"] <= after + 12500  # 10 s ± 25 %
    phone.context.unroute("**/api/v1/visits")
    expect(phone.locator("#outbox-list li.outbox-item")).to_have_count(1)
    phone.locator("#outbox-list button", has_text="重试").click()
    expect(phone.locator("#outbox-list li.outbox-item")).to_have_count(0)
    assert rows(app, Visit) == 1


def test_background_sync_sends_from_the_service_worker_and_persistence_is_asked(app, world, phone):
    phone.context.grant_permissions(["geolocation", "background-sync"])
    phone.context.add_init_script(
        "if (navigator.storage && navigator.storage.persist) { const p = navigator.storage.persist.bind(navigator.storage);"
        " navigator.storage.persist = () => { window.__persistAsked = true; return p(); }; }")
    login(phone, "h1", PASSWORD)
    wait_controlled(phone)
    phone.context.set_offline(True)
    body = visit_body(world["hh1"])
    phone.evaluate("(b) => BangfuOutbox.enqueue([{id: b.client_uuid, kind: 'visit', url: '/api/v1/visits', body: b}])", body)
    assert poll(phone, "window.__persistAsked === true")
    # the browser holds the sync while offline…
    assert poll(phone, "navigator.serviceWorker.ready.then(r => r.sync.getTags()).then(t => t.includes('bangfu-outbox'))")
    # …and with no page of the app open any more, the worker sends it when the network returns
    phone.goto("about:blank")
    phone.context.set_offline(False)
    end = time.time() + 20
    while rows(app, Visit) == 0 and time.time() < end:
        phone.wait_for_timeout(250)
    assert rows(app, Visit) == 1
    phone.goto("/outbox")
    poll(phone, "BangfuOutbox.items().then(l => l.length === 0)")


def test_logout_clears_the_pages_and_the_outbox(app, world, phone):
    login(phone, "h1", PASSWORD)
    ready_offline(phone, world["hh1"])
    body = visit_body(world["hh1"])
    go_offline(phone.context)
    phone.evaluate("(b) => BangfuOutbox.enqueue([{id: b.client_uuid, kind: 'visit', url: '/api/v1/visits', body: b}])", body)
    phone.context.route("**/api/v1/visits", lambda r: r.abort())  # keep it waiting, from before the network returns
    go_online(phone.context)
    phone.goto("/account")
    # the helper is warned and can stay: once the warning is answered 取消, nothing is cleared or submitted
    with phone.expect_event("dialog"):
        phone.once("dialog", lambda d: d.dismiss())
        phone.click("[data-logout]")
    assert phone.evaluate("document.querySelector('[data-logout]').form.dataset.cleared === undefined")
    assert phone.evaluate("BangfuOutbox.items().then(l => l.length)") == 1
    assert phone.url.endswith("/account")
    messages = []
    phone.once("dialog", lambda d: (messages.append(d.message), d.accept()))
    phone.click("[data-logout]")
    phone.wait_for_url("**/login")
    assert messages[0].startswith("还有 1 条记录、0 张照片没有上传")
    assert phone.evaluate(f"caches.match('/households/{world['hh1']}').then(r => r === undefined)")
    assert phone.evaluate("caches.keys().then(k => k.every(n => !n.startsWith('bangfu-pages')))")
    assert phone.evaluate("BangfuOutbox.items().then(l => l.length)") == 0


def test_a_new_version_drops_the_old_caches(app, world, phone):
    login(phone, "h1", PASSWORD)
    ready_offline(phone, world["hh1"])
    old = phone.evaluate("caches.keys()")
    assert any(k.startswith("bangfu-pages-") for k in old) and any(k.startswith("bangfu-static-") for k in old)
    app.extensions["bangfu_sw_version"] = "v-next-test"
    try:
        phone.evaluate("navigator.serviceWorker.ready.then(r => r.update())")
        poll(phone, "caches.keys().then(k => k.includes('bangfu-static-v-next-test'))")
        poll(phone, "(old) => caches.keys().then(k => old.every(n => !k.includes(n)))", old)
        # the open page asks the new worker to keep the helper's pages again
        poll(phone, "(u) => caches.match(u).then(r => !!r)", f"/households/{world['hh1']}/visits/new")
    finally:
        app.extensions.pop("bangfu_sw_version", None)


def test_an_attendance_check_in_made_offline_goes_through_the_same_outbox(app, world, phone, tmp_path):
    from webapp.models import Checkin

    login(phone, "team1", PASSWORD)
    phone.goto("/attendance/")
    wait_controlled(phone)
    poll(phone, "caches.match('/attendance/').then(r => !!r)")
    go_offline(phone.context)
    phone.reload()
    assert phone.locator("h1").inner_text() == "驻村签到"
    photo = tmp_path / "cun.jpg"
    photo.write_bytes(jpeg(seed=90))
    phone.set_input_files("#checkin-photo", str(photo))
    phone.click("#checkin-button")
    phone.locator("#checkin-result").get_by_text("已保存在手机上").wait_for()
    expect(phone.locator("#outbox-status")).to_contain_text("待上传 1 条，照片 1 张")
    assert rows(app, Checkin) == 0
    go_online(phone.context)
    expect(phone.locator("#outbox-status")).to_be_hidden(timeout=20000)
    with app.app_context():
        stored = db.session.scalars(select(Checkin)).all()
        assert len(stored) == 1 and stored[0].user_id == world["team1"] and stored[0].photo_key
        db.session.remove()


def test_another_accounts_items_are_never_sent_under_this_one(app, world, phone):
    login(phone, "h1", PASSWORD)
    phone.goto("/outbox")
    body = visit_body(world["hh3"])  # h2's household, queued while h2 was logged in on this phone
    phone.evaluate("([b, u]) => BangfuOutbox.enqueue([{id: b.client_uuid, kind: 'visit', url: '/api/v1/visits', body: b,"
                   " user: String(u)}]).then(() => BangfuOutbox.flush({eager: true}))", [body, world["h2"]])
    item = phone.locator("#outbox-list li.outbox-item")
    expect(item).to_have_class("outbox-item state-other")
    expect(item.locator("p.error")).to_contain_text("另一个账号")
    assert rows(app, Visit) == 0

"""Playwright on Debian's Chromium, a 360×640 phone with geolocation, against a live server."""
import os

import pytest

from tests.support.login import login_page as login  # noqa: F401 (the browser tests import it from here)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    # context.route and set_offline also reach what the service worker sends (its Background Sync):
    # without this, a test's "no network" or "503" leaves the worker's requests through to the server
    os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture
def browser(playwright_driver):
    """A Chromium of its own for each test, closed as a whole afterwards. Closing a context (not the
    browser) while the app's service worker was being updated hung in Chromium for good (a full run
    stopped at the teardown of an outbox test, after the page had fetched sw.js again); closing the
    browser ends its process instead, with every context in it."""
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


def _phone(browser, base_url, **options):
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True, has_touch=True,
        locale="zh-CN", timezone_id="Asia/Shanghai", geolocation={"latitude": 30.301, "longitude": 109.501, "accuracy": 15},
        permissions=["geolocation"], base_url=base_url, **options,
    )
    context.set_default_timeout(10000)
    return context.new_page()  # closed with its browser (see browser)


@pytest.fixture
def phone(browser, live_server):
    """A page on a 360×640 touch phone, located at the first test household (30.301, 109.501)."""
    return _phone(browser, live_server)


@pytest.fixture
def phone_without_worker(browser, live_server):
    """The phone with service workers blocked, for a test whose routes must see the page's requests:
    a request of a page the worker controls can go past Playwright's routes (a CI run's 503 route
    never saw the outbox's POST, which the server stored: 201). The outbox works without a worker."""
    return _phone(browser, live_server, service_workers="block")


def page_sends_only(context):
    """No Background Sync in this context: the outbox is sent by the page alone. For a test whose
    routes must see every send: Playwright does not route a service worker's own fetches, and a
    sync the browser fires at once (online) would send past them."""
    context.add_init_script(
        "Object.defineProperty(ServiceWorkerRegistration.prototype, 'sync', {get: () => undefined});")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

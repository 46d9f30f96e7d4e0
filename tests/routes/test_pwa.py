"""The installable app: manifest, icons, the service worker at the root scope, offline page, /api/v1/me."""
import io
from pathlib import Path

from PIL import Image

from webapp.routes import pwa


def test_manifest_names_the_app_with_its_icons(client):
    resp = client.get("/manifest.webmanifest")
    assert resp.status_code == 200
    assert resp.mimetype == "application/manifest+json"
    m = resp.get_json()
    assert m["name"] == "帮扶通" and m["short_name"] == "帮扶通"
    assert m["display"] == "standalone" and m["start_url"] == "/" and m["scope"] == "/"
    assert m["theme_color"].startswith("#")
    sizes = {}
    for icon in m["icons"]:
        data = client.get(icon["src"]).data
        img = Image.open(io.BytesIO(data))
        assert img.format == "PNG"
        assert f"{img.width}x{img.height}" == icon["sizes"]
        sizes.setdefault(icon["sizes"], []).append(icon.get("purpose", "any"))
    assert "any" in sizes["192x192"] and "any" in sizes["512x512"] and "maskable" in sizes["512x512"]


def test_every_page_links_the_manifest(client, world):
    for url in ("/login", "/offline"):
        assert 'rel="manifest" href="/manifest.webmanifest"' in client.get(url).get_data(as_text=True)
    client.login("h1")
    for url in ("/", f"/households/{world['hh1']}", "/visits/month", "/outbox", "/account"):
        page = client.get(url).get_data(as_text=True)
        assert 'rel="manifest" href="/manifest.webmanifest"' in page, url
        assert "/static/js/outbox.js" in page and "/static/js/app.js" in page
        assert 'id="outbox-status"' in page
        assert f'<meta name="bangfu-user" content="{world["h1"]}">' in page


def test_service_worker_is_served_at_the_root_and_never_cached(app, client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200
    assert resp.mimetype == "text/javascript"
    assert "no-cache" in resp.headers["Cache-Control"]
    assert resp.headers["Service-Worker-Allowed"] == "/"
    js = resp.get_data(as_text=True)
    with app.app_context():
        version = pwa.version()
    assert f'var VERSION = "{version}"' in js
    for url in ("/static/css/app.css", "/static/js/outbox.js", "/static/js/visit-form.js", "/static/icons/icon-192.png",
                "/offline"):
        assert f'"{url}"' in js
    assert "importScripts('/static/js/api.js', '/static/js/outbox.js')" in js
    assert "'sync'" in js and "bangfu-outbox" in js


def test_the_version_follows_the_static_files(app, tmp_path):
    static = tmp_path / "static"
    (static / "js").mkdir(parents=True)
    (static / "js" / "a.js").write_text("one")
    saved = app.static_folder
    app.static_folder = str(static)
    try:
        with app.test_request_context():
            app.extensions.pop("bangfu_sw_version", None)
            first = pwa.version()
            assert pwa.version() == first  # computed once per process
            app.extensions.pop("bangfu_sw_version", None)
            (static / "js" / "a.js").write_text("two")
            second = pwa.version()
            assert second != first
            assert pwa.precache() == ["/static/js/a.js", "/offline"]
    finally:
        app.static_folder = saved
        app.extensions.pop("bangfu_sw_version", None)


def test_offline_page_has_no_personal_data(client, world):
    client.login("h1")
    page = client.get("/offline").get_data(as_text=True)
    assert "当前没有网络" in page
    assert "帮扶一" not in page and "bangfu-user" not in page and "csrf" not in page


def test_outbox_page_needs_a_login(client, world):
    assert client.get("/outbox").status_code == 302
    client.login("h1")
    assert 'id="outbox-list"' in client.get("/outbox").get_data(as_text=True)


def test_me_tells_the_outbox_whose_session_it_is(client, world):
    resp = client.get("/api/v1/me")
    assert resp.status_code == 401 and resp.get_json()["errors"]
    client.login("h1")
    me = client.get("/api/v1/me").get_json()
    assert me == {"id": world["h1"], "username": "h1", "display_name": "帮扶一", "role": "helper"}


def test_icons_are_committed_pngs():
    icons = Path(__file__).resolve().parents[2] / "webapp" / "static" / "icons"
    for name, size in (("icon-192.png", 192), ("icon-512.png", 512), ("maskable-512.png", 512)):
        assert Image.open(icons / name).size == (size, size)

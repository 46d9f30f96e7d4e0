"""Light on a weak signal: gzip when asked (and only then), versioned long-cached static files."""
import gzip
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.support import factories as f
from tests.support.visit_data import jpeg, photo_form, visit_body
from webapp.extensions import db
from webapp.web import compress

GZ = {"Accept-Encoding": "gzip, deflate, br"}
CST = timezone(timedelta(hours=8))


def plain_and_gzip(client, url):
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    packed = client.get(url, headers=GZ)
    return plain, packed


def test_pages_json_css_js_are_gzip_when_asked_and_the_same_once_unpacked(client, world):
    client.login("h1")
    urls = ["/", f"/households/{world['hh1']}", "/visits/month", "/sw.js", "/outbox"]
    for url in urls:
        plain, packed = plain_and_gzip(client, url)
        assert plain.status_code == packed.status_code == 200, url
        assert "Content-Encoding" not in plain.headers, url
        assert packed.headers["Content-Encoding"] == "gzip", url
        assert "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"], url
        assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data), url
        unpacked = gzip.decompress(packed.data)
        # the pages carry a fresh CSRF token each time: compare them without it
        strip = re.compile(rb"[A-Za-z0-9._-]{40,}")
        assert strip.sub(b"", unpacked) == strip.sub(b"", plain.data), url


def test_no_gzip_without_accept_encoding_or_when_refused(client, world):
    for headers in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0, br"}):
        resp = client.get("/login", headers=headers)
        assert resp.status_code == 200 and "Content-Encoding" not in resp.headers
        assert "<form" in resp.get_data(as_text=True)


def test_small_answers_go_as_they_are_json_above_the_threshold_is_gzip(app, client, world):
    resp = client.get("/api/v1/csrf", headers=GZ)
    assert resp.status_code == 200 and "Content-Encoding" not in resp.headers
    assert resp.get_json()["csrf_token"]
    client.login("h1")
    small = client.get("/api/v1/me/households", headers=GZ)
    assert small.status_code == 200 and "Content-Encoding" not in small.headers  # a few hundred bytes here
    app.config["GZIP_MIN_BYTES"] = 100
    try:
        packed = client.get("/api/v1/me/households", headers=GZ)
    finally:
        del app.config["GZIP_MIN_BYTES"]
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == small.data


def test_static_files_are_versioned_long_cached_and_precompressed(app, client):
    page = client.get("/login", headers={"Accept-Encoding": "identity"}).get_data(as_text=True)
    with app.app_context():
        version = compress.static_version(app)
    url = f"/static/vendor/htmx-2.0.11.min.js?v={version}"
    assert url in page and f"/static/css/app.css?v={version}" in page
    original = Path(app.static_folder, "vendor", "htmx-2.0.11.min.js").read_bytes()

    packed = client.get(url, headers=GZ)
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == original
    assert len(packed.data) < len(original) // 2
    cc = packed.headers["Cache-Control"]
    assert "max-age=31536000" in cc and "immutable" in cc and "public" in cc
    assert "Accept-Ranges" not in packed.headers
    etag = packed.headers["ETag"]
    assert etag.startswith('W/"')

    # a conditional request with the gzip ETag: 304, nothing sent again
    again = client.get(url, headers={**GZ, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag

    plain = client.get(url)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers and plain.data == original
    assert not plain.headers["ETag"].startswith("W/")
    assert client.get(url, headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304

    # an unversioned or outdated URL is revalidated each time, never kept a year
    for stale in ("/static/vendor/htmx-2.0.11.min.js", "/static/vendor/htmx-2.0.11.min.js?v=0000000000"):
        resp = client.get(stale, headers=GZ)
        assert resp.status_code == 200 and gzip.decompress(resp.data) == original
        assert "no-cache" in resp.headers["Cache-Control"] and "immutable" not in resp.headers["Cache-Control"]


def test_a_range_request_gets_the_file_bytes_not_gzip(client):
    resp = client.get("/static/css/app.css", headers={**GZ, "Range": "bytes=0-99"})
    assert resp.status_code == 206 and "Content-Encoding" not in resp.headers and len(resp.data) == 100


def test_images_are_not_compressed(app, client):
    for name in ("icons/icon-512.png", "icons/favicon-32.png"):
        resp = client.get(f"/static/{name}", headers=GZ)
        assert resp.status_code == 200 and "Content-Encoding" not in resp.headers
        assert resp.data == Path(app.static_folder, name).read_bytes()


def test_photos_and_pdfs_go_untouched(app, client, world):
    client.login("h1")
    body = visit_body(world["hh1"])
    assert client.post("/api/v1/visits", json=body).status_code == 201
    out = client.post(f"/api/v1/visits/{body['client_uuid']}/photos", data=photo_form(jpeg(), "p.jpg"),
                      content_type="multipart/form-data").get_json()
    for url in (out["url"], out["thumb_url"]):
        photo = client.get(url, headers=GZ)
        assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
        assert "Content-Encoding" not in photo.headers and photo.data[:2] == b"\xff\xd8"

    with app.app_context():
        f.visit_row(world["h1"], world["hh1"], datetime(2026, 3, 5, 10, tzinfo=CST), notes="帮助申请低保。")
        db.session.commit()
    pdf = client.get(f"/reports/diary/{world['h1']}/2026-03.pdf", headers=GZ)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "Content-Encoding" not in pdf.headers and pdf.data.startswith(b"%PDF")


def test_the_service_worker_precaches_unversioned_urls_and_matches_versioned_ones(app, client):
    js = gzip.decompress(client.get("/sw.js", headers=GZ).data).decode()
    with app.app_context():
        assert f'var STATIC_V = "{compress.static_version(app)}"' in js
    precache = next(line for line in js.splitlines() if line.startswith("var PRECACHE"))
    assert '"/static/vendor/htmx-2.0.11.min.js"' in precache and "?v=" not in precache
    assert "ignoreSearch: true" in js

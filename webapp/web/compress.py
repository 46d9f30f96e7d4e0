"""Light on a weak signal: gzip for text answers, versioned and long-cached static files.

- Pages, fragments, JSON, CSS and JS of at least ``GZIP_MIN_BYTES`` go out gzip-compressed when the
  client accepts gzip (``Vary: Accept-Encoding`` on every compressible answer, compressed or not).
  Streamed answers, files sent from disk (photos, PDFs, spreadsheets, downloads), images, partial
  answers and answers already encoded are left as they are.
- Static files are compressed once per process (level 9, kept in memory, checked against the file's
  size and modification time) and sent instead of the file.
- ``url_for('static', ...)`` adds ``?v=<hash of the static files>``; an answer to the current version
  may be kept a year (``immutable``), any other asks the browser to revalidate (ETag, 304).
- ``GZIP_RESPONSES = False`` (config) turns the compression off (a proxy that compresses itself).
- A compressed answer's ETag becomes weak (``W/"…"``): the bytes differ from the file's, and a
  conditional request (If-None-Match compares weakly) still gets its 304.
"""
import gzip
import hashlib
import mimetypes
import threading
from pathlib import Path

from flask import Flask, Response, current_app, request
from werkzeug.security import safe_join

COMPRESSIBLE = frozenset({
    "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
    "application/manifest+json", "application/problem+json", "text/plain", "image/svg+xml",
})
GZIP_MIN_BYTES = 1024
STATIC_MAX_AGE = 365 * 24 * 3600
SKIP = (".map", "LICENSE")

_lock = threading.Lock()


def static_version(app: Flask) -> str:
    """A hash of every static file, computed once per process: the ``v`` of every static URL."""
    cached = app.extensions.get("bangfu_static_version")
    if cached:
        return cached
    h = hashlib.sha256()
    root = Path(app.static_folder)
    for p in sorted(q for q in root.rglob("*") if q.is_file() and not q.name.startswith(".")):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    value = h.hexdigest()[:10]
    app.extensions["bangfu_static_version"] = value
    return value


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def _static_gzip(app: Flask, filename: str) -> bytes | None:
    """The file's gzip bytes, compressed once (again only when the file changed)."""
    path = safe_join(app.static_folder, filename)
    if path is None:
        return None
    try:
        st = Path(path).stat()
    except OSError:
        return None
    cache = app.extensions.setdefault("bangfu_static_gzip", {})
    key = (path, st.st_size, st.st_mtime_ns)
    hit = cache.get(path)
    if hit and hit[0] == key:
        return hit[1]
    data = gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)
    with _lock:
        cache[path] = (key, data)
    return data


def _static_type(path: str) -> str | None:
    return mimetypes.guess_type(path)[0]


def _weaken_etag(response: Response) -> None:
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)


def _static_cache(app: Flask, response: Response) -> None:
    if response.status_code not in (200, 304):
        return
    if request.args.get("v") == static_version(app):
        response.cache_control.public = True
        response.cache_control.max_age = STATIC_MAX_AGE
        response.cache_control.immutable = True
        response.cache_control.no_cache = None
    else:  # an unversioned (or old) URL: always revalidate
        response.cache_control.no_cache = True
        response.cache_control.max_age = 0


def compress_response(response: Response) -> Response:
    app = current_app._get_current_object()
    static = request.endpoint == "static"
    enabled = app.config.get("GZIP_RESPONSES", True)
    if static:
        _static_cache(app, response)
        if response.status_code == 304 and enabled and _accepts_gzip() and _static_type(request.path) in COMPRESSIBLE:
            response.vary.add("Accept-Encoding")
            _weaken_etag(response)  # the 304 names the representation the client holds: the gzip one
            return response
    if response.mimetype not in COMPRESSIBLE or not enabled:
        return response
    response.vary.add("Accept-Encoding")
    if (response.status_code < 200 or response.status_code in (204, 206, 304)
            or "Content-Encoding" in response.headers or "Content-Range" in response.headers
            or not _accepts_gzip()):
        return response
    if static and response.direct_passthrough:
        data = _static_gzip(app, (request.view_args or {}).get("filename", ""))
        if data is None:
            return response
        response.close()  # the file send_file opened
        response.direct_passthrough = False
        response.set_data(data)
    else:
        if response.direct_passthrough or response.is_streamed:
            return response  # files from disk (photos, PDFs, downloads) and streams go as they are
        body = response.get_data()
        if len(body) < app.config.get("GZIP_MIN_BYTES", GZIP_MIN_BYTES):
            return response
        response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.headers.pop("Accept-Ranges", None)  # ranges would count the file's bytes, not these
    _weaken_etag(response)
    return response


def _version_static_urls(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "v" not in values:
        values["v"] = static_version(current_app)


def init_app(app: Flask) -> None:
    # registered first, so run last: every other after_request hook has set its headers and body
    app.after_request_funcs.setdefault(None, []).insert(0, compress_response)
    app.url_defaults(_version_static_urls)
    app.jinja_env.globals["static_version"] = lambda: static_version(app)  # the service worker's STATIC_V

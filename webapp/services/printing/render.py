"""WeasyPrint behind a restrictive URL fetcher: HTML from templates/pdf → PDF bytes.

This module imports neither Flask nor the models, so worker processes start fast; the documents'
data and templates are in services/printing/diary.py and sheet.py. WeasyPrint only ever sees two kinds of URL, both made
by the templates through the `pdf_static` / `pdf_thumb` helpers:

    bangfu:static/<path>   a file of the app's own static folder
    bangfu:thumb/<key>     a photo thumbnail, read from photo storage

`AppURLFetcher` serves those and refuses everything else (file:, http(s):, data:, ftp: …),
so neither a template mistake nor user text can make the renderer read the disk or the network.
User text reaches the templates through Jinja's autoescaping only.

Batch jobs build the HTML in the job process and hand (html, thumbnails) to worker processes,
which call `render_in_worker`.
"""
from __future__ import annotations

import logging
import mimetypes
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from weasyprint import CSS, DEFAULT_OPTIONS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

log = logging.getLogger(__name__)

SCHEME = "bangfu:"
STATIC_PREFIX = SCHEME + "static/"
THUMB_PREFIX = SCHEME + "thumb/"
WEBAPP_DIR = Path(__file__).resolve().parent.parent.parent
TEMPLATE_DIR = WEBAPP_DIR / "templates" / "pdf"
STATIC_DIR = WEBAPP_DIR / "static"
PHOTOS_PRINTED_PER_VISIT = 4  # thumbnails of one visit in the diary; the rest are counted ("另有 N 张")


class FetchRefused(ValueError):
    """A URL the PDF renderer may not read."""


class AppURLFetcher(URLFetcher):
    """Serves the app's static files and photo thumbnails; refuses every other URL.

    `thumb_reader(key)` returns the thumbnail's bytes or None. Refused URLs are kept in
    `self.refused` (and logged) so tests and logs can see what a document asked for.
    """

    def __init__(self, thumb_reader: Callable[[str], bytes | None] | None = None,
                 static_dir: Path | str = STATIC_DIR, **kwargs):
        super().__init__(**kwargs)
        self.static_dir = Path(static_dir).resolve()
        self.thumb_reader = thumb_reader
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        try:
            if url.startswith(STATIC_PREFIX):
                return self._static(url[len(STATIC_PREFIX):], url)
            if url.startswith(THUMB_PREFIX) and self.thumb_reader is not None:
                key = unquote(url[len(THUMB_PREFIX):])
                data = self.thumb_reader(key) if _safe_key(key) else None
                if data is not None:
                    return URLFetcherResponse(url, data, {"Content-Type": "image/jpeg"})
            raise FetchRefused(f"URL refused by the PDF fetcher: {url[:200]}")
        except FetchRefused:
            self.refused.append(url)
            log.warning("pdf: refused %s", url[:200])
            raise

    def _static(self, rel: str, url: str) -> URLFetcherResponse:
        rel = unquote(rel.split("?", 1)[0].split("#", 1)[0])
        path = (self.static_dir / rel).resolve()
        if not rel or not path.is_relative_to(self.static_dir) or not path.is_file():
            raise FetchRefused(f"not a static file: {url[:200]}")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})


def _safe_key(key: str) -> bool:
    return bool(key) and ".." not in key.split("/") and not key.startswith("/") and "\\" not in key


# --- the renderer (no Flask, no database: also runs in worker processes) -----------------------

_stylesheets: list[CSS] | None = None


def stylesheets() -> list[CSS]:
    """templates/pdf/print.css, parsed once per process."""
    global _stylesheets
    if _stylesheets is None:
        css = (TEMPLATE_DIR / "print.css").read_text(encoding="utf-8")
        _stylesheets = [CSS(string=css, url_fetcher=AppURLFetcher())]
    return _stylesheets


_local = threading.local()


def font_config() -> FontConfiguration:
    """One FontConfiguration per thread, reused across documents: its Pango font map keeps the CJK
    face loaded (≈ 10% of a diary's time otherwise). Per thread because Pango's font map is not
    thread-safe (gunicorn runs several threads per worker)."""
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


class TooManyPages(Exception):
    def __init__(self, pages: int):
        super().__init__(f"{pages} pages")
        self.pages = pages


def render_pdf(html: str, fetcher: AppURLFetcher, max_pages: int | None = None) -> bytes:
    """HTML (from templates/pdf) → PDF bytes, resources only through `fetcher`. With max_pages,
    a longer document raises TooManyPages after layout, before the PDF is written."""
    options = {**DEFAULT_OPTIONS, "stylesheets": stylesheets()}
    document = HTML(string=html, base_url=None, url_fetcher=fetcher).render(font_config=font_config(), **options)
    if max_pages is not None and len(document.pages) > max_pages:
        raise TooManyPages(len(document.pages))
    return document.write_pdf(**options)


def render_in_worker(html: str, thumbs: dict[str, bytes]) -> bytes:
    """Entry point for worker processes: thumbnails come along as bytes, no storage access."""
    return render_pdf(html, AppURLFetcher(thumbs.get))


WARM_UP_HTML = ('<html lang="zh-CN"><body><h1 data-title="帮扶日志" data-who="预热" data-printed="">帮扶日志</h1>'
                "<table><tr><th>帮扶内容</th><td>两不愁三保障 √ ×</td></tr></table></body></html>")


def warm_up() -> None:
    """Render a tiny Chinese document: loads WeasyPrint, fontconfig, the CJK face and the stylesheet
    once, so processes forked afterwards (printing/worker_preload.py) start warm."""
    render_pdf(WARM_UP_HTML, AppURLFetcher())


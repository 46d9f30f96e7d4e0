"""What every printed document shares: the rendered HTML and its download names (`Document`),
the templates' plain Jinja environment (no Flask: `render_html`), the photo thumbnails the renderer
may fetch, and one document for a web request within bounds (`bounded`).

    diary.diary_pdf(helper, "2026-03")        → (Document, bytes)  A4 portrait, templates/pdf/diary.html
    sheet.attendance_pdf(rules, village, "2026-03")  → (Document, bytes)  A4 landscape, templates/pdf/attendance.html

Callers check access first (services/access.py: diary_helper, attendance_village).
Each document is built in two steps so batch jobs can move the second one to worker processes:
`diary_document()` queries and renders the HTML (needs the database), `render.render_pdf()` lays
it out with WeasyPrint behind the restrictive URL fetcher (needs neither).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote

import jinja2

from ... import database
from .. import storage, template_names
from . import pool
from .render import STATIC_PREFIX, THUMB_PREFIX, WEBAPP_DIR

WEEKDAYS = "一二三四五六日"


# --- thumbnails -----------------------------------------------------------------------------

def read_thumb(key: str) -> bytes | None:
    """A photo thumbnail's bytes from photo storage (services/storage.py), None if missing."""
    try:
        with storage.get().open(key) as f:
            return f.read()
    except (OSError, ValueError):
        return None


def pdf_thumb(key: str) -> str:
    return THUMB_PREFIX + quote(key)


def pdf_static(path: str) -> str:
    return STATIC_PREFIX + quote(path)


@dataclass
class Document:
    """Rendered HTML plus what the fetcher will be asked for."""

    html: str
    title: str
    filename: str  # readable (Chinese) download name
    ascii_filename: str
    thumb_keys: list[str] = field(default_factory=list)




# --- the templates ----------------------------------------------------------------------------

@cache
def environment() -> jinja2.Environment:
    """templates/ with autoescaping and `_` (the UI's words are written in Chinese: no catalogue),
    built once per process. Extra globals (the visit flags' words) are passed per document."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(WEBAPP_DIR / "templates"),
                             autoescape=jinja2.select_autoescape(["html"]), extensions=["jinja2.ext.i18n"],
                             undefined=jinja2.Undefined)
    env.install_null_translations(newstyle=False)  # type: ignore[attr-defined]
    env.globals.update(template_names.names())  # Role, ReviewStatus…: the same words as the web pages
    return env


def render_html(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def allowed_thumbs(doc: Document):
    """A thumbnail reader for the fetcher that serves only the document's own (checked) thumbnails."""
    allowed = set(doc.thumb_keys)
    return lambda key: read_thumb(key) if key in allowed else None


# --- one document for a web request --------------------------------------------------

def bounded(requester_id: int, limits: pool.Limits, make: Callable[[], Document]) -> tuple[Document, bytes]:
    """Make a document for a request without occupying the request worker: under the requester's
    lock and a server-wide slot (pool.reserved: 429 / 503 when taken), `make()` builds the
    HTML here, the read transaction ends, and a separate process lays it out within the time and
    page limits."""
    with pool.reserved(limits, requester_id):
        doc = make()
        thumbs = {k: b for k in doc.thumb_keys if (b := read_thumb(k)) is not None}
        database.end_read_transaction()
        return doc, pool.render(limits, doc.html, thumbs)


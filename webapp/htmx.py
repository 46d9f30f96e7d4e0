"""htmx helpers: fragment-or-page rendering and redirects htmx understands."""
from flask import make_response, redirect, render_template, request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in request.headers


def render(page: str, fragment: str, **context):
    """The full page for a normal request, the fragment alone for htmx."""
    resp = make_response(render_template(fragment if is_htmx() else page, **context))
    resp.headers["Vary"] = "HX-Request"
    return resp


def redirect_to(url: str):
    if is_htmx():
        resp = make_response("", 200)
        resp.headers["HX-Redirect"] = url
        return resp
    return redirect(url)


def form_status(ok: bool) -> int:
    """A form sent back with its errors: 422, but 200 for htmx, which swaps only 2xx responses."""
    return 200 if ok or is_htmx() else 422

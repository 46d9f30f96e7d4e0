"""The write choreography of a form POST: call the service, commit once or roll back, answer.

    result, err = attempt(service.do, current_user, …)      # committed, or rolled back with err
    return done(err, url_for(…))                            # redirect (htmx-aware) or the error page
"""
from collections.abc import Callable
from typing import Any

from flask import render_template

from ..extensions import db
from ..htmx import is_htmx, redirect_to
from ..services.errors import DomainError


def attempt(action: Callable[..., Any], *args, reraise: tuple[int, ...] = (),
            only: type[DomainError] = DomainError, **kwargs) -> tuple[Any, DomainError | None]:
    """Run one service call and commit. A DomainError rolls everything back and is returned, or
    raised again when its status is in `reraise` (e.g. 403/404: the error page, not the form) or
    it is not an `only` (e.g. only ValidationFailed comes back into the form)."""
    try:
        result = action(*args, **kwargs)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        if err.status in reraise or not isinstance(err, only):
            raise
        return None, err
    return result, None


def error_page(message: str, status: int, back: str | None = None):
    """The Chinese error page with a way back (to the form, or home)."""
    return render_template("error.html", code=status, message=message, back=back), status


def done(err: DomainError | None, url: str, status: int | None = None):
    """After attempt(): the error page leading back to `url`, or on to `url` (HX-Redirect for htmx)."""
    if err is not None:
        return error_page(err.message, status or err.status, back=url)
    return redirect_to(url)


def fragment_or_done(err: DomainError | None, url: str, fragment: str, status: int | None = None, **context):
    """After attempt() on a button inside a list: htmx gets the item's fragment again (with the
    error beside it, 200 so that htmx swaps it); a plain form post gets done()."""
    if is_htmx():
        return render_template(fragment, error=err and err.message, **context)
    return done(err, url, status)

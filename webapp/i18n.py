"""Template gettext with one translations lookup per request.

flask_babel's template callables look the translations up (context, locale, domain, cache) for
every string: a ranking page of 100 rows called it about 430 times, ~10 % of the page's time.
The locale is fixed for a request, so the lookup is kept on flask.g for the rest of it.
"""
from flask import Flask, g, has_app_context
from flask_babel import get_translations


def _translations():
    if not has_app_context():
        return get_translations()
    found = g.get("_translations")
    if found is None:
        found = g._translations = get_translations()
    return found


def init_app(app: Flask) -> None:
    """After babel.init_app: the same callables as flask_babel's, with the lookup kept per request."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )

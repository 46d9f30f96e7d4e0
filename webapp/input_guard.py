"""Request-wide input guards against hostile input.

- Ids in URLs (`<int:...>`, web.params.IdConverter) are ASCII digits that fit the database's 32-bit
  integer: anything else is a plain 404 instead of an overflow in the driver.
- No NUL character in a query-string or form value (or name) reaches a service: PostgreSQL refuses
  it in text columns and parameters, so it would end as a 500. Refused as 422 with the field named.
- A multipart part without a name is refused (400) before Flask-WTF's CSRF check, which would fail
  on it with an AttributeError (a 500 that anyone could cause with one request).
"""
from flask import Flask, request

from .services.errors import DomainError, ValidationFailed
from .web.params import IdConverter

NUL_MSG = "不能包含空字符（\\0）。"


def _check_fields() -> None:
    """Query-string and form fields: every one named, no NUL in a name or a value."""
    for values in (request.args, request.form, request.files):
        for name, value in values.items(multi=True):
            if name is None:  # a multipart part without a name: Flask-WTF's CSRF check would crash on it
                raise DomainError("表单中有没有名称的字段。", field="_request")
            if "\x00" in name or (isinstance(value, str) and "\x00" in value):
                raise ValidationFailed(NUL_MSG, field=name.replace("\x00", "") or "_request")


def init_app(app: Flask) -> None:
    """Call before the blueprints are registered (the converter is bound when rules are added)."""
    app.url_map.converters["int"] = IdConverter
    # first of the before-request functions: before the CSRF check reads the form
    app.before_request_funcs.setdefault(None, []).insert(0, _check_fields)

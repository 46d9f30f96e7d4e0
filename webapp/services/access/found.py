"""The one answer to a record out of scope: NotFound (404), whether it is missing or not the user's."""
from sqlalchemy import Select

from ...extensions import db
from ..errors import NotFound


def one(query: Select, message: str, **details):
    """The single row of a scoped query, or NotFound with this message (a field, if given)."""
    found = db.session.scalar(query)
    if found is None:
        raise NotFound(message, **details)
    return found

"""Route tests: a finished month of visits for the performance and ranking pages."""
import pytest

from tests.support import perf_factories
from webapp.extensions import db


@pytest.fixture
def march(app, world):
    """A finished March: h1 visited one of two households, h2 everything, h3 nothing."""
    with app.app_context():
        perf_factories.march(world)
        db.session.commit()
    return world

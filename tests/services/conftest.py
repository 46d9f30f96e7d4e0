"""Service tests: the test world's objects, loaded in the test's own application context."""
import pytest

from webapp.extensions import db
from webapp.models import Household, Unit, User, Village

MODELS = {"unit": Unit, "unit_x": Unit, "v1": Village, "v2": Village, "vx": Village}


@pytest.fixture
def w(world, ctx):
    """{"unit": Unit, "v1": Village, "hh1": Household, "h1": User, …}: every object of the `world`
    fixture (tests/support/factories.world), loaded in this test's context."""
    return {key: db.session.get(MODELS.get(key) or (Household if key.startswith("hh") else User), ident)
            for key, ident in world.items()}

"""SQLite connections of an app wait SQLITE_BUSY_TIMEOUT_MS for the write lock (set when the engine is
made, in create_app), other engines the default."""
import pytest
from sqlalchemy import create_engine, text

from webapp import create_app, database
from webapp.extensions import db

from .conftest import PG


@pytest.mark.skipif(PG, reason="SQLite's busy timeout")
def test_the_configured_busy_timeout_reaches_every_connection(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "UPLOAD_DIR": str(tmp_path / "uploads"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.sqlite", "SQLITE_BUSY_TIMEOUT_MS": 1234})
    with app.app_context():
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 1234
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()
    other = create_engine(f"sqlite:///{tmp_path}/b.sqlite")
    with other.connect() as conn:
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == database.BUSY_TIMEOUT_MS
    other.dispose()

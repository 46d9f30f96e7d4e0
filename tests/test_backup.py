"""Backup is a consistent online copy; the restore drill gives identical rows and photos."""
import hashlib
import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from webapp import create_app
from webapp.extensions import db
from webapp.services.backup import row_counts


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def _new_database(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'restored.sqlite'}", lambda: None
    name = f"bangfu_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def test_backup_and_restore_drill(world, app, tmp_path):
    uploads = Path(app.config["UPLOAD_DIR"])
    (uploads / "ab").mkdir(parents=True, exist_ok=True)
    (uploads / "ab" / "photo.jpg").write_bytes(os.urandom(2048))
    (uploads / "thumb.jpg").write_bytes(os.urandom(512))
    with app.app_context():
        before = row_counts()
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bk" / "manifest.json").exists()
    again = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")])
    assert again.exit_code != 0  # never overwrites a backup

    url, drop = _new_database(tmp_path)
    try:
        restored = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": str(tmp_path / "up2")})
        result = restored.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
        assert result.exit_code == 0, result.output
        with restored.app_context():
            assert row_counts() == before
            assert db.session.execute(text("SELECT head_name FROM household ORDER BY id")).scalars().first() == "张一"
            db.session.remove()
            db.engine.dispose()
        assert _digest(tmp_path / "up2") == _digest(uploads)
        # a second restore into the same, now full, place is refused
        assert restored.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")]).exit_code != 0
        with restored.app_context():
            db.engine.dispose()
    finally:
        drop()

"""Photos and print results in an S3-compatible object store, against moto's S3 server
on 127.0.0.1 (tests/support/s3_server.py): private objects, rows and objects kept in step, the move of an
existing installation's files, and backup/restore of the store."""
import io
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from tests.support.visit_data import jpeg, photo_form
from tests.test_backup import _new_database
from webapp import create_app
from webapp.extensions import db
from webapp.models import Checkin, Photo, PrintJob
from webapp.services import storage
from webapp.services.backup import row_counts
from webapp.services.printing import jobs as printjobs

HEX = "ab" * 16


def bucket_objects(app) -> dict[str, bytes]:
    with app.app_context():
        store = storage.get()
        assert isinstance(store, storage.S3Storage)
        out = {}
        for key in store.keys():
            with store.open(key) as f:
                out[key] = f.read()
        return out


def local_files(app) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def photo_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Photo))


def upload(client, visit_uuid, data, **fields):
    return client.post(f"/api/v1/visits/{visit_uuid}/photos", data=photo_form(data, **fields),
                       content_type="multipart/form-data")


def test_the_s3_store_keeps_objects_private_and_whole(s3_endpoint):
    from tests.support.s3_server import new_bucket

    bucket = new_bucket(s3_endpoint)
    store = storage.from_url(f"s3://{bucket}/site-a", s3_endpoint)
    key = storage.new_key("photos", HEX)
    assert not store.exists(key) and store.size(key) is None
    with pytest.raises(FileNotFoundError):
        store.open(key)
    store.put(key, b"\xff\xd8 a photo")
    assert store.exists(key) and store.size(key) == len(b"\xff\xd8 a photo")
    with store.open(key) as f:
        assert f.read() == b"\xff\xd8 a photo"
    assert list(store.keys()) == [key]
    raw = storage._client(s3_endpoint)  # noqa: SLF001
    assert [o["Key"] for o in raw.list_objects_v2(Bucket=bucket)["Contents"]] == [f"site-a/{key}"]
    grants = raw.get_object_acl(Bucket=bucket, Key=f"site-a/{key}")["Grants"]
    assert grants and all(g["Grantee"].get("Type") == "CanonicalUser" for g in grants)  # no AllUsers grant
    with pytest.raises(ValueError):
        store.put("../../etc/passwd", b"x")
    with pytest.raises(ValueError):
        store.open("photos/ab/not-a-uuid.jpg")
    store.delete(key)
    assert not store.exists(key) and list(store.keys()) == []


def test_a_large_result_is_streamed(s3_endpoint, monkeypatch):
    from tests.support.s3_server import new_bucket

    store = storage.from_url(f"s3://{new_bucket(s3_endpoint)}", s3_endpoint)
    monkeypatch.setattr(storage, "SMALL_OBJECT", 1000)
    key = storage.new_key("prints", HEX, "zip")
    store.put(key, bytes(range(256)) * 20)
    with store.open(key) as f:
        assert not isinstance(f, io.BytesIO)
        assert f.read(5120) == bytes(range(256)) * 20


def test_photos_go_to_the_bucket_and_are_served_by_the_checked_route(s3_app, client, make_client, visit):
    resp = upload(client, visit, jpeg(size=(2000, 1500)))
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    objects = bucket_objects(s3_app)
    assert sorted(k.split("/")[0] for k in objects) == ["photos", "thumbs"]
    assert local_files(s3_app) == []  # nothing on this server's disk
    with s3_app.app_context():
        photo = db.session.scalar(select(Photo))
        image, thumb = objects[photo.storage_key], objects[photo.thumb_key]
    got = client.get(out["url"])
    assert got.status_code == 200 and got.data == image and "private" in got.headers["Cache-Control"]
    assert client.get(out["thumb_url"]).data == thumb
    anonymous = make_client()
    assert anonymous.get(out["url"]).status_code in (302, 401)
    other = make_client()
    other.login("h2")
    assert other.get(out["url"]).status_code == 404


def test_a_store_that_does_not_answer_leaves_no_row(s3_app, client, visit):
    from tests.support.live import free_port

    s3_app.config["S3_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    resp = upload(client, visit, jpeg())
    assert resp.status_code == 503
    assert resp.get_json()["errors"]["_schema"] == ["文件存储暂时不可用，请稍后重试。"]
    assert photo_rows(s3_app) == 0


def test_a_failed_commit_removes_the_objects_again(s3_app, client, visit):
    def refuse(session):
        raise RuntimeError("the database went away at commit")

    event.listen(db.session, "before_commit", refuse)
    try:
        with pytest.raises(RuntimeError):
            upload(client, visit, jpeg())
    finally:
        event.remove(db.session, "before_commit", refuse)
    assert photo_rows(s3_app) == 0
    assert bucket_objects(s3_app) == {}  # no orphan left either


def test_checkin_photos_go_to_the_bucket(s3_app, client, world):
    from tests.routes.test_attendance import body

    client.login("team1")
    payload = body()
    assert client.post("/api/v1/attendance", json=payload).status_code == 201
    url = f"/api/v1/attendance/{payload['client_uuid']}/photo"
    assert client.post(url, data={"photo": (io.BytesIO(jpeg()), "a.jpg")}).status_code == 201
    assert client.post(url, data={"photo": (io.BytesIO(jpeg(seed=3)), "b.jpg")}).status_code == 409
    objects = bucket_objects(s3_app)
    assert sorted(k.split("/")[0] for k in objects) == ["checkins", "checkinthumbs"]
    with s3_app.app_context():
        checkin = db.session.scalar(select(Checkin))
        checkin_id, key = checkin.id, checkin.photo_key
    assert client.get(f"/attendance/checkins/{checkin_id}/photo").data == objects[key]
    assert local_files(s3_app) == []


def test_an_expired_result_is_deleted_only_after_its_row_is_committed(s3_app, world):
    with s3_app.app_context():
        key = storage.new_key("prints", uuid.uuid4().hex, "pdf")
        storage.get().put(key, b"%PDF-1.7 result")
        past = datetime.now(timezone.utc) - timedelta(minutes=1)
        db.session.add(PrintJob(kind="diaries", requested_by_id=world["admin"], status="done", result_key=key,
                                expires_at=past, params={"month": "2026-05", "format": "pdf"}))
        db.session.commit()
        assert printjobs.purge_expired() == 1
        db.session.rollback()  # the row still points at it, so it stays
        assert storage.get().exists(key)
        assert printjobs.purge_expired() == 1
        db.session.commit()
        assert not storage.get().exists(key)
        assert db.session.scalar(select(PrintJob.status)) == "expired"


def test_storage_migrate_moves_an_installation_to_s3(app, client, world, visit, s3_endpoint):
    from tests.support.s3_server import new_bucket

    for seed in range(3):
        assert upload(client, visit, jpeg(seed=seed)).status_code == 201
    disk = {p.relative_to(app.config["UPLOAD_DIR"]).as_posix(): p.read_bytes() for p in local_files(app)}
    assert len(disk) == 6
    target = f"s3://{new_bucket(s3_endpoint)}/bangfu"
    app.config["S3_ENDPOINT_URL"] = s3_endpoint
    cli = app.test_cli_runner()
    first = cli.invoke(args=["storage", "migrate", "--to", target])
    assert first.exit_code == 0, first.output
    assert "复制 6 个文件" in first.output and "全部在目标中" in first.output
    again = cli.invoke(args=["storage", "migrate", "--to", target])  # idempotent
    assert again.exit_code == 0 and "复制 0 个文件" in again.output and "跳过 6 个" in again.output
    # an interrupted run: one object never arrived, another is cut short; the next run mends both
    dst = storage.from_url(target, s3_endpoint)
    keys = sorted(disk)
    dst.delete(keys[0])
    dst.put(keys[1], disk[keys[1]][:100])
    mended = cli.invoke(args=["storage", "migrate", "--to", target])
    assert mended.exit_code == 0 and "复制 2 个文件" in mended.output, mended.output
    # switched over: the same rows, the files from the bucket
    app.config["STORAGE_URL"] = target
    assert bucket_objects(app) == disk
    assert cli.invoke(args=["storage", "check"]).exit_code == 0
    with app.app_context():
        photo_id = db.session.scalar(select(Photo.id).order_by(Photo.id))
        key = db.session.get(Photo, photo_id).storage_key
    assert client.get(f"/api/v1/photos/{photo_id}").data == disk[key]
    dst.delete(key)
    check = cli.invoke(args=["storage", "check"])
    assert check.exit_code != 0 and key in check.output
    assert cli.invoke(args=["storage", "migrate", "--to", target.replace("s3:", "gopher:")]).exit_code != 0


def test_backup_and_restore_cover_the_object_store(s3_app, client, visit, s3_endpoint, tmp_path):
    from tests.support.s3_server import new_bucket

    for seed in range(2):
        assert upload(client, visit, jpeg(seed=seed)).status_code == 201
    before_objects = bucket_objects(s3_app)
    with s3_app.app_context():
        before = row_counts()
    cli = s3_app.test_cli_runner()
    result = cli.invoke(args=["backup", str(tmp_path / "bk")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["storage"] == s3_app.config["STORAGE_URL"] and sorted(manifest["files"]) == sorted(before_objects)
    slim = cli.invoke(args=["backup", "--database-only", str(tmp_path / "db-only")])
    assert slim.exit_code == 0 and "版本控制" in slim.output
    assert not (tmp_path / "db-only" / "uploads").exists()

    url, drop = _new_database(tmp_path)
    bucket = new_bucket(s3_endpoint)
    try:
        restored = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": str(tmp_path / "x"),
                               "STORAGE_URL": f"s3://{bucket}/restored", "S3_ENDPOINT_URL": s3_endpoint})
        result = restored.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
        assert result.exit_code == 0, result.output
        with restored.app_context():
            assert row_counts() == before
            db.session.remove()
        assert bucket_objects(restored) == before_objects
        assert restored.test_cli_runner().invoke(args=["storage", "check"]).exit_code == 0
        # into a store that is not empty: refused before the database is touched
        other, drop_other = _new_database(tmp_path / "2")
        try:
            again = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": other, "UPLOAD_DIR": str(tmp_path / "y"),
                                "STORAGE_URL": f"s3://{bucket}/restored", "S3_ENDPOINT_URL": s3_endpoint})
            refused = again.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
            assert refused.exit_code != 0 and "not empty" in refused.output
            with again.app_context():
                db.engine.dispose()
        finally:
            drop_other()
        with restored.app_context():
            db.engine.dispose()
    finally:
        drop()

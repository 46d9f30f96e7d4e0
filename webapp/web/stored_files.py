"""Answers for stored images (photos, signatures): one commit that leaves no orphan file, one access-checked send."""
from typing import Any, BinaryIO, Callable

from flask import jsonify, send_file

from ..extensions import db
from ..services.errors import NotFound


def commit_upload(body: dict[str, Any], created: bool, discard: Callable[[], None]):
    """Commit an upload's row; if the commit fails, a newly stored file is removed too. 201 new, 200 replay."""
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if created:
            discard()  # no row, so no files either
        raise
    return jsonify(body), 201 if created else 200


def send_image(open_image: Callable[[], BinaryIO], sha256: str, thumb: bool, missing: str):
    """An access-checked JPEG (the caller has checked access before passing `open_image`)."""
    try:
        f = open_image()
    except FileNotFoundError:
        raise NotFound(missing) from None
    resp = send_file(f, mimetype="image/jpeg", max_age=0, etag=f"{sha256[:32]}-{'t' if thumb else 'f'}", conditional=True)
    # private: a shared cache must never keep it; the key is immutable, so the phone may
    resp.headers["Cache-Control"] = "private, max-age=604800, immutable"
    return resp

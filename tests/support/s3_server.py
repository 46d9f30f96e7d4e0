"""An S3-compatible server on 127.0.0.1 for the tests: moto's standalone server (`moto_server`,
PyPI moto[server]) in its own process. MinIO is in neither Debian nor PyPI, so moto stands in
for it; it speaks the S3 API that boto3 uses (it does not check signatures or enforce ACLs:
that objects are private is checked by reading their ACLs)."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator

import requests

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bangfu-test", "AWS_SECRET_ACCESS_KEY": "bangfu-test-secret",
               "AWS_DEFAULT_REGION": "us-east-1"}


def moto_server_bin() -> str | None:
    found = Path(sys.executable).parent / "moto_server"
    return str(found) if found.exists() else shutil.which("moto_server")


@contextlib.contextmanager
def s3_server(port: int, log: Path | None = None) -> Iterator[str]:
    """Start moto_server on 127.0.0.1:port (its own process group); yields the endpoint URL."""
    binary = moto_server_bin()
    if binary is None:
        raise RuntimeError("moto_server not installed (pip install 'moto[server]')")
    out = open(log, "ab") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        end = time.time() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"moto_server exited: {proc.returncode}")
            try:
                requests.get(url, timeout=2)
                break
            except requests.ConnectionError:
                if time.time() > end:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        from .live import stop

        stop(proc)
        if log is not None:
            out.close()


def set_credentials() -> None:
    for k, v in CREDENTIALS.items():
        os.environ.setdefault(k, v)


def new_bucket(endpoint: str) -> str:
    """A fresh private bucket on the server (the client from the app's storage module)."""
    from webapp.services import storage

    set_credentials()
    name = f"bangfu-{uuid.uuid4().hex[:12]}"
    storage._client(endpoint).create_bucket(Bucket=name)  # noqa: SLF001
    return name

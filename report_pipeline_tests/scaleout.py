"""Real servers for the scale-out tests: PostgreSQL from the Debian packages, an S3 server.

Both listen on loopback on a free port, live in a temporary directory and are stopped at
the end. Where a server cannot be had the fixture skips with the reason, except in CI
(``CI`` set), where ``.ci/run`` installs everything and a missing piece is a failure.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_USER = "dagster"
PG_DB = "dagster_test"


def unavailable(reason: str):
    """Skip locally; fail in CI, where .ci/run must have installed what the test needs."""
    if os.environ.get("CI"):
        pytest.fail(f"scale-out test cannot run in CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Postgres:
    host: str
    port: int
    user: str
    db: str

    def env(self) -> dict[str, str]:
        """The variables deploy/dagster-postgres.yaml reads."""
        return {"DAGSTER_PG_HOST": self.host, "DAGSTER_PG_PORT": str(self.port),
                "DAGSTER_PG_USER": self.user, "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": self.db}


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_server_user(folder: Path) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the ``postgres`` (or ``nobody``) user."""
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
            return ["runuser", "-u", user, "--"]
    unavailable("running as root and neither a 'postgres' nor a 'nobody' user exists")
    return []


@contextlib.contextmanager
def postgres_server() -> Iterator[Postgres]:
    """A PostgreSQL server of its own: initdb in a temporary directory, on a free loopback port."""
    bindir = _pg_bin()
    if bindir is None:
        unavailable("PostgreSQL server binaries not found (apt-get install postgresql)")
    # not under pytest's tmp_path: its 0700 parents keep the server's user out
    folder = Path(tempfile.mkdtemp(prefix="report_pipeline_pg_"))
    prefix = _as_server_user(folder)
    data, port = folder / "data", free_port()

    def run(*args: str) -> None:
        proc = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)
        if proc.returncode:
            raise RuntimeError(f"{args[0]} failed: {proc.stdout}{proc.stderr}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--no-sync")
    # a throwaway server: durability off, it only has to be a real PostgreSQL
    opts = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "60",
        "-o", opts, "start")
    try:
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", PG_USER, PG_DB)
        yield Postgres("127.0.0.1", port, PG_USER, PG_DB)
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def s3_server(bucket: str) -> Iterator[str]:
    """moto's S3 server on a free loopback port with ``bucket``; yields its endpoint URL."""
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        unavailable(f"moto[server] / boto3 not installed ({exc}); pip install -e '.[test]'")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="test", aws_secret_access_key="test").create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        server.stop()

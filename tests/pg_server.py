"""A real PostgreSQL server for the test session: initdb into a temporary folder, start on a free loopback
port, stop at the end. As root, the server runs as the `postgres` system user (PostgreSQL refuses root)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError("PostgreSQL server binaries not found: install Debian's postgresql (make test does)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a SQLAlchemy URL (without database name) of a running server."""
    bindir = _bindir()
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    workdir = Path(tempfile.mkdtemp(prefix="sopflow-pg-"))
    datadir = workdir / "data"
    if as_root:
        shutil.chown(workdir, "postgres", "postgres")
    port = free_port()
    user = "postgres" if as_root else os.environ.get("USER", "postgres")

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, cwd=workdir)

    run(str(bindir / "initdb"), "-D", str(datadir), "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {workdir} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    run(str(bindir / "pg_ctl"), "-D", str(datadir), "-o", options, "-l", str(workdir / "log"), "-w", "start")
    try:
        yield f"postgresql+psycopg://{user}@127.0.0.1:{port}"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(workdir, ignore_errors=True)

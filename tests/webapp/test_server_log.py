"""`sopflow serve` logs quietly: one line per request that ends in an error, no waitress or APScheduler INFO
lines and no traceback unless `--verbose`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from engine.context import EngineContext
from tests.conftest import ROOT
from tests.pg_server import free_port
from tests.server_log import server_log
from webapp import create_app

SOPFLOW = [sys.executable, "-c", "import sys; from webapp.cli import main; sys.exit(main())"]


def _status(url: str, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(url, data=data, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def _serve_and_ask(tmp_path: Path, sqlite_template: Path, *flags: str) -> str:
    """Run `sopflow serve` on a copy of the seeded database, make three requests, stop it; its stderr."""
    shutil.copy(sqlite_template, tmp_path / "sopflow.db")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOPFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'sopflow.db'}",
           "SOPFLOW_INSTANCE_PATH": str(tmp_path / "instance"), "SOPFLOW_SECRET_KEY": "uji"}
    server = subprocess.Popen([*SOPFLOW, "serve", "--port", str(port), *flags], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and "sopflow on http://" in server.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:  # the banner is printed just before waitress listens
            try:
                assert _status(f"{base}/login") == 200
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline, "the server did not start"
        assert _status(f"{base}/tidak-ada?q=1") == 404
        assert _status(f"{base}/login", data=b"username=x&password=y") == 400  # no CSRF token
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    return stderr


def test_serve_logs_one_line_per_request_error_and_nothing_else(tmp_path: Path, sqlite_template: Path) -> None:
    lines = [line.split(" ", 2)[2] for line in _serve_and_ask(tmp_path, sqlite_template).splitlines()]
    timers = [line for line in lines if line.startswith("INFO engine.runtime.timers: timer ")]
    assert len(timers) == 1 and " fired: start " in timers[0]  # the monthly monitoring, overdue in the seed
    assert [line for line in lines if line not in timers] == [
        "INFO webapp.request_log: GET /tidak-ada -> 404",
        "INFO webapp.request_log: POST /login -> 400",
    ], lines


def test_serve_verbose_shows_the_libraries_info(tmp_path: Path, sqlite_template: Path) -> None:
    stderr = _serve_and_ask(tmp_path, sqlite_template, "--verbose")
    assert "INFO waitress: Serving on http://127.0.0.1:" in stderr
    assert "INFO apscheduler.scheduler: Scheduler started" in stderr
    assert "INFO webapp.request_log: GET /tidak-ada -> 404" in stderr


def test_a_failing_request_is_one_line_naming_the_error_and_a_reset_token_is_not_logged(
        engine_ctx: EngineContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOPFLOW_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(engine_ctx)

    @app.get("/rusak")
    def broken() -> str:
        raise RuntimeError("rusak di sini\ndan baris kedua")

    client = app.test_client()
    with server_log(verbose=False) as stream:
        assert client.get("/rusak").status_code == 500
        assert client.get("/password/reset/rahasia-sekali").status_code == 403
    lines = stream.getvalue().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "ERROR webapp.request_log: GET /rusak -> 500 (RuntimeError: rusak di sini)",
        "INFO webapp.request_log: GET /password/reset/(token) -> 403",
    ], lines

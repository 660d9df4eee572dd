"""The `sopflow` command: the README's workflow, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import ROOT
from webapp.cli import main


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    database = tmp_path / "cli.db"
    monkeypatch.setenv("SOPFLOW_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("SOPFLOW_DEMO_PASSWORD", "demo-password-1")
    return database


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def _task_ids(listing: str) -> list[str]:
    return re.findall(r"^([0-9a-f-]{36})\s", listing, flags=re.MULTILINE)


def test_init_start_list_complete(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "init", "--demo")
    assert status == 0 and "deployed: ppid_publikasi v1" in out and "demo user pembantu.dinkes" in out
    status, out, _ = _run(capsys, "init", "--demo")
    assert status == 0 and "unchanged: ppid_publikasi v1" in out and "already exists" in out
    status, out, _ = _run(capsys, "start", "ppid_publikasi", "--as", "ppid.utama")
    assert status == 0 and "instance 1 of ppid_publikasi started" in out
    status, out, _ = _run(capsys, "tasks", "--lane", "PPID Utama")
    [task_id] = _task_ids(out)
    assert "Memberikan arahan" in out
    plan = {"rencana_unggahan": [{"judul": "Profil OPD", "opd": "Dinas Kesehatan", "kelas_dip": "setiap_saat",
                                 "tanggal_target": "2099-12-01"}], "arahan_kerja": "Segera."}
    status, out, _ = _run(capsys, "complete", task_id, "--data", json.dumps(plan), "--as", "ppid.utama")
    assert status == 0 and "completed" in out
    status, out, _ = _run(capsys, "tasks", "--opd", "Dinas Kesehatan")
    assert len(_task_ids(out)) == 1 and "PPID Pembantu" in out
    status, out, _ = _run(capsys, "show", "1")
    assert status == 0 and "task_completed" in out and "instance_started" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("start", "nope"), "Process 'nope' is not deployed."),
        (("complete", "x", "--data", "{not json", "--as", "ppid.utama"), "--data is not valid JSON"),
        (("complete", "x", "--data", "[1]", "--as", "ppid.utama"), "must be a JSON object"),
        (("complete", "00000000-0000-0000-0000-000000000000", "--data", "{}", "--as", "ppid.utama"), "no task"),
        (("deploy", "missing.bpmn"), "Cannot read missing.bpmn"),
        (("start", "ppid_publikasi", "--as", "plid.utama"), "Only the lane PPID Utama may do this"),
    ],
)
def test_errors_are_one_line_and_exit_2(cli_env: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                                        message: str) -> None:
    assert _run(capsys, "init", "--demo")[0] == 0
    status, _, err = _run(capsys, *args)
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("sopflow: error: ") and message in err
    assert "Traceback" not in err


def test_malformed_diagram_deploy_is_refused_by_the_cli(cli_env: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "init")
    bad = tmp_path / "bad.bpmn"
    bad.write_text("<!DOCTYPE x [<!ENTITY e 'e'>]><x>&e;</x>")
    status, _, err = _run(capsys, "deploy", str(bad))
    assert status == 2 and "ditolak" in err


def test_database_without_schema_is_a_one_line_error(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, "tasks")
    assert status == 2 and "has `sopflow init` been run?" in err and err.count("\n") == 1


def test_console_script_is_installed(cli_env: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "sopflow"), "init"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "deployed: ppid_monitoring v1" in result.stdout


def test_standalone_scheduler_fires_what_fell_due_while_it_was_down(cli_env: Path, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from engine.clock import ManualClock
    from engine.config import load_settings
    from engine.context import EngineContext
    from engine.runtime import instances
    from engine.store import Event, Timer
    from handlers import HANDLERS

    assert main(["init", "--demo"]) == 0
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    ctx = EngineContext.create(load_settings(), clock=ManualClock(two_hours_ago), handlers=HANDLERS)
    instance = instances.start_instance(ctx, "ppid_publikasi", "ppid.utama")
    # Started as a script's background job is: with SIGINT ignored (inherited); Ctrl+C must stop it all the same.
    scheduler = subprocess.Popen([str(Path(sys.executable).parent / "sopflow"), "scheduler"], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        deadline = time.monotonic() + 30
        breaches: list[Event] = []
        while time.monotonic() < deadline and not breaches:
            time.sleep(0.2)
            breaches = [e for e in instances.get_instance(ctx, instance.id).history
                        if e.type == "time_standard_breached"]
    finally:
        scheduler.send_signal(signal.SIGINT)
        out, err = scheduler.communicate(timeout=30)
    assert len(breaches) == 1, err
    [fired] = [e for e in instances.get_instance(ctx, instance.id).history if e.type == "timer_fired"]
    assert fired.payload["late_by_seconds"] > 100 * 60
    with ctx.db.session() as session:
        [fired_by] = session.scalars(select(Timer.fired_by).where(Timer.instance_id == instance.id,
                                                                  Timer.kind == "event")).all()
    assert fired_by is not None and fired_by.startswith("scheduler@")
    assert "scheduler running (3 pending timers)" in out  # the boundary timer, its reminder, the monthly start
    ctx.db.dispose()

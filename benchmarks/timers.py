"""A burst of timers due at the same moment: how late each fires, seen from outside the scheduler.

    .venv/bin/python benchmarks/timers.py [--timers 1000] [--base /work/wt/timers-base] [--rounds 1]
                                          [--postgres] [--processes 1]

Prepares one SQLite (or, with --postgres, PostgreSQL) database: `--timers` publication plans started at one
moment, so each has a step-1 time standard timer (their reminders moved a day later). Then, for each tree
(the base worktree, if given, and this one, interleaved), it copies the database, makes every step-1 timer
due 3 s from now, starts that tree's `TimerScheduler` in a subprocess on the system clock and watches the
`timers` table from this process every 20 ms: a timer's lateness is the moment its firing was visible
(committed) minus its due time. Prints p50/p99/max lateness.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
    sys.path.pop(0)  # benchmarks/engine.py would hide the engine package of the tree on PYTHONPATH
LEAD = 3.0  # seconds between making the timers due and their due time


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, round(fraction * len(ordered)))) - 1]


def prepare(url: str, count: int) -> None:
    """Runs in a subprocess on this tree."""
    from engine import schema
    from engine.clock import ManualClock
    from engine.config import load_settings
    from engine.context import EngineContext
    from engine.diagrams import definitions
    from engine.people import users
    from engine.runtime import instances
    from handlers import HANDLERS

    schema.upgrade(url)
    ctx = EngineContext.create(load_settings(environ={**os.environ, "SOPFLOW_DATABASE_URL": url}),
                               clock=ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)), handlers=HANDLERS)
    definitions.deploy_directory(ctx, ROOT / "bpmn", actor="setup")
    users.create_user(ctx, "ppid.utama", "rahasia-uji-123", ["ppid_utama"], "PPID Utama", "u@ppid.test", None)
    for _ in range(count):
        instances.start_instance(ctx, "ppid_publikasi", "ppid.utama")
    # The other timers (reminders, the monthly start) out of the burst's way: the scheduler runs on the system
    # clock, so "later" is a day after the moment of the run, not after the ManualClock's.
    with ctx.db.engine.begin() as connection:
        connection.execute(text("UPDATE timers SET due_at = :later WHERE kind <> 'event' AND status = 'pending'"),
                           {"later": (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None)})
    ctx.db.dispose()


def fire(url: str) -> None:
    """Runs in a subprocess on the tree measured (PYTHONPATH): its scheduler on the system clock."""
    from engine.config import load_settings
    from engine.context import EngineContext
    from engine.runtime.scheduler import TimerScheduler
    from handlers import HANDLERS

    ctx = EngineContext.create(load_settings(environ={**os.environ, "SOPFLOW_DATABASE_URL": url}), handlers=HANDLERS)
    scheduler = TimerScheduler(ctx, identity="burst")
    scheduler.start()
    print("started", flush=True)
    sys.stdin.readline()  # until the parent has seen them all fire
    scheduler.shutdown(wait=False)
    ctx.db.dispose()
    os._exit(0)


def copy_database(template: str, name: str) -> str:
    """A copy of the prepared database: a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL."""
    if template.startswith("sqlite:///"):
        copy = Path(template[len("sqlite:///"):]).with_name(f"{name}.db")
        shutil.copy(template[len("sqlite:///"):], copy)
        return f"sqlite:///{copy}"
    server, _, database = template.rpartition("/")
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {database}"))
    admin.dispose()
    return f"{server}/{name}"


def measure(tree: Path, template: str, name: str, processes: int) -> dict[str, Any]:
    url = copy_database(template, f"burst_{name}")
    engine = create_engine(url)
    due = (datetime.now(UTC) + timedelta(seconds=LEAD)).replace(tzinfo=None)
    with engine.begin() as connection:
        connection.execute(text("UPDATE timers SET due_at = :due WHERE kind = 'event' AND status = 'pending'"),
                           {"due": due})
        ids = set(connection.execute(text("SELECT id FROM timers WHERE kind = 'event' AND status = 'pending'"))
                  .scalars())
    due_wall = due.replace(tzinfo=UTC).timestamp()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    children = [subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--fire", url], cwd=tree, env=env,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    for child in children:
        assert child.stdout is not None
        child.stdout.readline()
    seen: dict[int, float] = {}
    deadline = time.time() + 600
    with engine.connect() as connection:
        while len(seen) < len(ids) and time.time() < deadline:
            now = time.time()
            for timer_id in connection.execute(text("SELECT id FROM timers WHERE kind = 'event' AND status <> "
                                                    "'pending'")).scalars():
                seen.setdefault(timer_id, now)
            connection.rollback()
            time.sleep(0.02)
    for child in children:
        assert child.stdin is not None
        child.stdin.write("\n")
        child.stdin.flush()
    for child in children:
        child.wait(60)
    engine.dispose()
    late = [max(0.0, at - due_wall) for at in seen.values()]
    return {"tree": name, "processes": processes, "timers": len(ids), "fired": len(seen),
            "p50_s": round(percentile(late, 0.5), 2), "p99_s": round(percentile(late, 0.99), 2),
            "max_s": round(max(late), 2)}


def resync_cost(url: str, pending: int) -> None:
    """Runs in a subprocess on the tree measured: `pending` future timers, a started (paused) scheduler, then
    the time of one periodic resync with one new row."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from engine import schema
    from engine.config import load_settings
    from engine.context import EngineContext
    from engine.runtime.scheduler import TimerScheduler
    from handlers import HANDLERS

    schema.upgrade(url)
    ctx = EngineContext.create(load_settings(environ={**os.environ, "SOPFLOW_DATABASE_URL": url}), handlers=HANDLERS)
    row = "INSERT INTO timers (kind, process_id, name, due_at, status) VALUES ('event', 'p', 't', :due, 'pending')"
    later = (datetime.now(UTC) + timedelta(days=30)).replace(tzinfo=None)
    with ctx.db.engine.begin() as connection:
        connection.execute(text(row), [{"due": later + timedelta(seconds=n)} for n in range(pending)])
    scheduler = TimerScheduler(ctx, BackgroundScheduler(timezone="UTC"))
    scheduler.start(paused=True)
    with ctx.db.engine.begin() as connection:
        connection.execute(text(row), {"due": later})
    started = time.perf_counter()
    scheduler.resync()
    print(json.dumps({"pending": pending, "resync_ms": round((time.perf_counter() - started) * 1000, 1)}))
    scheduler.shutdown(wait=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timers", type=int, default=1000)
    parser.add_argument("--base", type=Path, help="a worktree of the base commit, measured first in each round")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL server instead of SQLite")
    parser.add_argument("--processes", type=int, default=1,
                        help="scheduler processes on the one database, sharing the burst (on PostgreSQL)")
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    parser.add_argument("--fire", help=argparse.SUPPRESS)
    parser.add_argument("--resync", type=int, metavar="PENDING",
                        help="instead: the time of one periodic resync with PENDING timers pending, per tree")
    parser.add_argument("--resync-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.resync_url:
        return resync_cost(args.resync_url, args.resync)
    if args.resync:
        for name, tree in ([("base", args.base)] if args.base else []) + [("new", ROOT)]:
            with tempfile.TemporaryDirectory() as scratch:
                subprocess.run([sys.executable, str(Path(__file__).resolve()), "--resync", str(args.resync),
                                "--resync-url", f"sqlite:///{scratch}/resync.db"], cwd=tree,
                               env={**os.environ, "PYTHONPATH": str(tree)}, check=True)
            print(f"({name})", flush=True)
        return None
    if args.prepare:
        return prepare(args.prepare, args.timers)
    if args.fire:
        return fire(args.fire)
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)  # mail is delivered, to nowhere
    smtp.start()
    os.environ["SOPFLOW_SMTP_HOST"], os.environ["SOPFLOW_SMTP_PORT"] = "127.0.0.1", str(port)
    workdir = Path(tempfile.mkdtemp(prefix="sopflow-burst-"))
    with contextlib.ExitStack() as stack:
        if args.postgres:
            sys.path.insert(0, str(ROOT))
            from tests.pg_server import postgres_server

            server = stack.enter_context(postgres_server())
            admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text("CREATE DATABASE burst_template"))
            admin.dispose()
            template = f"{server}/burst_template"
        else:
            template = f"sqlite:///{workdir / 'template.db'}"
        started = time.perf_counter()
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--prepare", template, "--timers",
                        str(args.timers)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
        print(f"prepared {args.timers} timers in {time.perf_counter() - started:.0f} s on "
              f"{'PostgreSQL' if args.postgres else 'SQLite'}", flush=True)
        trees = ([("base", args.base)] if args.base else []) + [("new", ROOT)]
        for _ in range(args.rounds):
            for name, tree in trees:
                print(json.dumps(measure(tree, template, name, args.processes)), flush=True)
    shutil.rmtree(workdir, ignore_errors=True)
    smtp.stop()


if __name__ == "__main__":
    main()

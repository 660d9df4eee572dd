"""CPU per timer firing in one process: `--timers` publication plans started at one moment, their step-1 time
standard timers made due, then fired batch by batch (`timers.fire_due_batch`) on this thread, mail attempted
inline after each commit (no SMTP server listens: each attempt fails fast and is left to the outbox's retry), or,
with `--hold-mail`, handed to a courier that holds it, as the scheduler's does during a burst (the firing alone).

    .venv/bin/python benchmarks/firing.py [--timers 200] [--hold-mail]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
    sys.path[0] = str(ROOT)  # benchmarks/engine.py would hide the engine package; the tree's root instead


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timers", type=int, default=200)
    parser.add_argument("--hold-mail", action="store_true", help="mail held by a courier, as in a burst")
    args = parser.parse_args()
    from benchmarks.timers import prepare
    from engine.clock import ManualClock
    from engine.config import load_settings
    from engine.context import EngineContext
    from engine.runtime import outbox, timers
    from handlers import HANDLERS

    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{workdir}/firing.db"
        prepare(url, args.timers)
        settings = load_settings(environ={**os.environ, "SOPFLOW_DATABASE_URL": url})
        ctx = EngineContext.create(settings, clock=ManualClock(datetime(2026, 11, 23, 6, 0, tzinfo=UTC)),
                                   handlers=HANDLERS)
        holding = outbox.Courier(busy=lambda: True).carrying() if args.hold_mail else contextlib.nullcontext()
        cpu, wall, fired = time.process_time(), time.perf_counter(), 0
        with holding:
            while (batch := timers.fire_due_batch(ctx, "benchmark")).taken:
                fired += batch.taken
        print(f"fired {fired}: {(time.process_time() - cpu) / fired * 1000:.2f} ms CPU, "
              f"{(time.perf_counter() - wall) / fired * 1000:.2f} ms wall per timer")
        ctx.db.dispose()


if __name__ == "__main__":
    main()

"""Big plans on SQLite, a base tree against this one in one run: the time until every item of a plan has
started, the longest another writer waited for SQLite's write lock meanwhile, and how much the process grew.

    .venv/bin/python benchmarks/plans.py [--items 2500 5000] [--base /work/wt/plans-base] [--rounds 1]

Each figure comes from a fresh process per tree and size, the trees alternating: it seeds a database, then PPID
Utama completes step 1 with the items. Meanwhile a probe thread, on its own SQLite connection, takes and
releases the write lock again and again (BEGIN IMMEDIATE; COMMIT); its longest wait is the longest time a
person's change would have waited. Growth: the peak resident set during the plan (VmHWM, reset just before)
less the resident set before it. A tree with engine/runtime/plans.py starts the remaining items in its background worker
(engine.runtime.plans.PlanWorker) and the time runs until that worker is idle.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


def _memory(field: str) -> float:
    """A /proc/self/status figure in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


class LockProbe(threading.Thread):
    def __init__(self, path: str) -> None:
        super().__init__(daemon=True)
        import sqlite3

        self.connection = sqlite3.connect(path, isolation_level=None, timeout=600, check_same_thread=False)
        self.stop = threading.Event()
        self.longest = 0.0
        self.writes = 0

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            self.connection.execute("BEGIN IMMEDIATE")
            self.connection.execute("COMMIT")
            self.longest = max(self.longest, time.perf_counter() - started)
            self.writes += 1
            time.sleep(0.005)


def child(tree: Path, items: int) -> dict[str, Any]:
    """One measurement in this process, with the engine of `tree`."""
    sys.path.insert(0, str(tree))
    import importlib.util

    import yaml

    from engine import schema
    from engine.clock import ManualClock
    from engine.config import load_settings
    from engine.context import EngineContext
    from engine.diagrams import definitions
    from engine.people import offices, users
    from engine.runtime import instances, task_list
    from handlers import HANDLERS

    with tempfile.TemporaryDirectory() as workdir:
        path = f"{workdir}/plans.db"
        url = f"sqlite:///{path}"
        schema.upgrade(url)
        settings = load_settings(tree / "config.yaml", environ={"SOPFLOW_DATABASE_URL": url})
        ctx = EngineContext.create(settings, clock=ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
                                   handlers=HANDLERS)
        definitions.deploy_directory(ctx, tree / "bpmn", "bench")
        for office in yaml.safe_load((tree / "demo.yaml").read_text(encoding="utf-8"))["offices"]:
            offices.add_office(ctx, office)
        users.create_user(ctx, "ppid.utama", "benchmark-pw", ["ppid_utama"], "PPID Utama", "u@bench", None)
        plan = instances.start_instance(ctx, "ppid_publikasi", "ppid.utama")
        [step_1] = task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=plan.id))
        data = {"arahan_kerja": "Unggah sebelum akhir bulan.", "rencana_unggahan": [
            {"judul": f"Dokumen {n}", "opd": "Dinas Kesehatan", "kelas_dip": "berkala",
             "tanggal_target": "2026-11-30", "ringkasan": f"Ringkasan dokumen {n}."} for n in range(items)]}
        batched = importlib.util.find_spec("engine.runtime.plans") is not None
        if batched:
            from engine.runtime import plans

            ctx.plan_worker = plans.PlanWorker(ctx)  # as the web app and the scheduler attach it
        probe = LockProbe(path)
        before = _memory("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from the current size
        probe.start()
        started = time.perf_counter()
        instances.complete_task(ctx, step_1.id, data, "ppid.utama")
        if batched:
            assert ctx.plan_worker.wait(timeout=3600)
        seconds = time.perf_counter() - started
        probe.stop.set()
        probe.join()
        peak = _memory("VmHWM")
        with ctx.db.session() as session:
            from sqlalchemy import func, select

            from engine.store import Instance

            count = session.scalar(select(func.count()).select_from(Instance).where(Instance.parent_id == plan.id))
        ctx.db.dispose()
    assert count == items, f"{count} of {items} items started"
    return {"batched": batched, "items": items, "seconds": seconds, "longest_wait": probe.longest,
            "probe_writes": probe.writes, "rss_before_mb": before, "peak_mb": peak, "growth_mb": peak - before}


def measure(tree: Path, items: int) -> dict[str, Any]:
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, str(HERE), "--child", str(tree), "--items", str(items)], env=environment,
                          cwd=tree, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, nargs="+", default=[2500, 5000])
    parser.add_argument("--base", type=Path, default=Path("/work/wt/plans-base"))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.items[0])))
        return
    trees = {"base": args.base.resolve(), "this": HERE.parent.parent}
    print("| tree | items | time to start all | longest wait of another writer | peak RSS growth |")
    print("|---|---|---|---|---|")
    for _ in range(args.rounds):
        for items in args.items:
            for name, tree in trees.items():
                r = measure(tree, items)
                print(f"| {name} | {items:,} | {r['seconds']:.1f} s | {r['longest_wait']:.2f} s "
                      f"({r['probe_writes']} writes) | {r['growth_mb']:.0f} MB (peak {r['peak_mb']:.0f} MB) |",
                      flush=True)


if __name__ == "__main__":
    main()

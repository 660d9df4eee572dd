"""Engine throughput against its floor, and the inbox listing time with 10,000 stored instances.

    .venv/bin/python benchmarks/engine.py [--instances 200] [--stored 10000]

(a) full publications per second through the engine API, persisted on SQLite, with one Belum sesuai loop
    each: a one-item plan (step 1, which starts the item's own instance), then 7 task completions on the item;
(b) the same two workflows on bare SpiffWorkflow, serializing and deserializing after every task (its service
    task answered by a stub, as the engine's handler only starts the item);
(c) a/b;
(d) the ready-task listing time (median of 200 calls) with the given number of stored instances.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import schema  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.config import load_settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.diagrams import definitions  # noqa: E402
from engine.people import offices, users  # noqa: E402
from engine.runtime import instances, task_list  # noqa: E402
from engine.store import Instance, WorkItem  # noqa: E402
from handlers import HANDLERS  # noqa: E402
from tests.engine.flow import BELUM, DISETUJUI, PLAN, SESUAI, STEP_1, STEP_2, STEP_4, STEP_6  # noqa: E402
from tests.website import with_website  # noqa: E402

FLOW = [
    ("Task_1_Arahan", {**STEP_1, "rencana_unggahan": PLAN[:1]}),
    ("Task_2_Siapkan_Data", STEP_2),
    ("Task_3_Verifikasi", BELUM),
    ("Task_2_Siapkan_Data", STEP_2),
    ("Task_3_Verifikasi", SESUAI),
    ("Task_4_Unggah", STEP_4),
    ("Task_5_Persetujuan", DISETUJUI),
    ("Task_6_Pastikan_Tayang", STEP_6),
]
ACTORS = {"PPID Utama": "ppid.utama", "PLID Utama": "plid.utama", "PPID Pembantu": "pembantu.dinkes"}


def engine_context(workdir: Path) -> EngineContext:
    url = f"sqlite:///{workdir / 'bench.db'}"
    schema.upgrade(url)
    settings = with_website(load_settings(ROOT / "config.yaml", environ={"SOPFLOW_DATABASE_URL": url}))
    ctx = EngineContext.create(settings, clock=ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
                               handlers=HANDLERS)
    definitions.deploy_directory(ctx, ROOT / "bpmn", "bench")
    offices.add_office(ctx, "Dinas Kesehatan")
    for username, role, opd in (("ppid.utama", "ppid_utama", None), ("plid.utama", "plid_utama", None),
                                ("pembantu.dinkes", "ppid_pembantu", "Dinas Kesehatan")):
        users.create_user(ctx, username, "benchmark-pw", [role], username, f"{username}@bench", opd)
    return ctx


def run_engine_instance(ctx: EngineContext) -> None:
    plan = instances.start_instance(ctx, "ppid_publikasi", "ppid.utama")
    item_id = None
    for spec_id, data in FLOW:
        [task] = [t for t in task_list.list_tasks(ctx, task_list.TaskFilter(plan_id=plan.id))
                  if t.spec_id == spec_id]
        instances.complete_task(ctx, task.id, data, ACTORS[task.lane or ""])
        item_id = task.instance_id
    assert item_id is not None and instances.get_instance(ctx, item_id).instance.status == "completed"


class _StubServices(PythonScriptEngine):  # type: ignore[misc]
    def call_service(self, *args: object, **kwargs: object) -> str:
        return "{}"


def diagram_specs() -> dict[str, tuple[Any, Any]]:
    """The plan's and the item's process specs, parsed by SpiffWorkflow alone."""
    specs = {}
    for process_id in ("ppid_publikasi", "ppid_publikasi_item"):
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(ROOT / "bpmn" / f"{process_id}.bpmn"))
        specs[process_id] = (parser.get_spec(process_id), parser.get_subprocess_specs(process_id))
    return specs


def bare_spiff_rate(count: int) -> float:
    specs = diagram_specs()
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    started = time.perf_counter()
    for _ in range(count):
        plan = BpmnWorkflow(*specs["ppid_publikasi"], script_engine=_StubServices())
        item = BpmnWorkflow(*specs["ppid_publikasi_item"])
        start = item.get_next_task(state=TaskState.READY)
        start.data["item"] = PLAN[0]
        states = {}
        for name, workflow in (("plan", plan), ("item", item)):
            workflow.do_engine_steps()
            states[name] = serializer.serialize_json(workflow)
        for spec_id, data in FLOW:
            name = "plan" if spec_id == "Task_1_Arahan" else "item"
            workflow = serializer.deserialize_json(states[name])
            workflow.script_engine = _StubServices()
            [task] = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                      if t.task_spec.bpmn_id == spec_id]
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            states[name] = serializer.serialize_json(workflow)
            assert name == "plan" or spec_id != FLOW[-1][0] or workflow.is_completed()
    return count / (time.perf_counter() - started)


def engine_rate(ctx: EngineContext, count: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """Publications per second of `clock` (wall clock, or CPU time with `time.process_time`)."""
    run_engine_instance(ctx)  # warm-up: parsed diagram, connections
    started = clock()
    for _ in range(count):
        run_engine_instance(ctx)
    return count / (clock() - started)


def fill_to(ctx: EngineContext, stored: int) -> None:
    """Clone running instances (each with one open step-2 task) by bulk insert up to `stored` instances."""
    plan = instances.start_instance(ctx, "ppid_publikasi", "ppid.utama")
    [step_1] = task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=plan.id))
    instances.complete_task(ctx, step_1.id, FLOW[0][1], "ppid.utama")
    with ctx.db.session() as session:
        existing = len(session.scalars(select(Instance.id)).all())
        source = session.scalars(select(Instance).where(Instance.parent_id == plan.id)).one()
        [item] = session.scalars(select(WorkItem).where(WorkItem.instance_id == source.id,
                                                        WorkItem.status == "ready")).all()
        columns = {c.key: getattr(source, c.key) for c in Instance.__table__.columns if c.key != "id"}
        item_columns = {c.key: getattr(item, c.key) for c in WorkItem.__table__.columns}
        opds = ["Dinas Kesehatan", "Dinas Pendidikan", "Dinas PUPR", "Bappeda", "Dinas Sosial"]
        lanes = ["PPID Pembantu", "PLID Utama", "PPID Utama"]
        for start in range(existing, stored, 1000):
            batch = range(start, min(start + 1000, stored))
            ids = session.execute(insert(Instance).returning(Instance.id), [columns for _ in batch]).scalars().all()
            session.execute(insert(WorkItem), [
                {**item_columns, "id": f"bench-{n:032d}", "instance_id": instance_id,
                 "opd": opds[n % len(opds)], "lane": lanes[n % len(lanes)]}
                for n, instance_id in zip(batch, ids, strict=True)
            ])


def listing_ms(ctx: EngineContext, calls: int = 200) -> float:
    query = task_list.TaskFilter(lane="PPID Pembantu", opd="Dinas Kesehatan", limit=50)
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        task_list.list_tasks(ctx, query)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--stored", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        ctx = engine_context(Path(workdir))
        a = engine_rate(ctx, args.instances)
        b = bare_spiff_rate(args.instances)
        fill_to(ctx, args.stored)
        with ctx.db.session() as session:
            stored = len(session.scalars(select(Instance.id)).all())
        listing = listing_ms(ctx)
        ctx.db.dispose()
    print(f"(a) engine API on SQLite, 1 Belum sesuai loop: {a:8.1f} instances/s")
    print(f"(b) bare SpiffWorkflow, serialize+deserialize per task: {b:8.1f} instances/s")
    print(f"(c) a/b: {a / b:.2f} (target >= 0.8)")
    print(f"(d) ready-task listing with {stored} stored instances: {listing:.2f} ms median (target < 20 ms)")


if __name__ == "__main__":
    main()

"""Auditors' figures: one deterministic replay, and verifying the chains of many stored instances.

    .venv/bin/python benchmarks/audit.py [--replays 200] [--instances 10000] [--flows 50]

(a) replay of one item instance (start, one Belum sesuai loop, a step-2 breach, published: 26 events),
    median of the given number of replays, each re-executing the workflow and comparing the stored state;
(b) `verify` over the given number of stored item instances (each a copy of (a)'s history, hash-chained
    per instance and globally, written by bulk insert) plus the deployments;
(c) the engine's rate for the same flow through the API (plan + item, with the global chain), instances/s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import schema  # noqa: E402
from engine.audit.audit_chain import verify_all  # noqa: E402
from engine.audit.audit_replay import replay_instance  # noqa: E402
from engine.audit.events import GENESIS, content_digest, global_digest  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.config import load_settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.diagrams import definitions  # noqa: E402
from engine.people import offices, users  # noqa: E402
from engine.store import Event, EventChainHead, Instance  # noqa: E402
from handlers import HANDLERS  # noqa: E402
from tests.engine.flow import (  # noqa: E402
    BELUM,
    DISETUJUI,
    PLAN,
    SESUAI,
    STEP_2,
    STEP_4,
    STEP_6,
    complete,
    item_instance,
    start_with_plan,
    the_task,
)
from tests.website import with_website  # noqa: E402

ITEM_STEPS = [("Task_2_Siapkan_Data", STEP_2), ("Task_3_Verifikasi", BELUM), ("Task_2_Siapkan_Data", STEP_2),
              ("Task_3_Verifikasi", SESUAI), ("Task_4_Unggah", STEP_4), ("Task_5_Persetujuan", DISETUJUI),
              ("Task_6_Pastikan_Tayang", STEP_6)]
USERS = (("ppid.utama", "ppid_utama", None), ("plid.utama", "plid_utama", None),
         ("pembantu.dinkes", "ppid_pembantu", "Dinas Kesehatan"))


def engine_context(workdir: Path) -> tuple[EngineContext, ManualClock]:
    url = f"sqlite:///{workdir / 'audit.db'}"
    schema.upgrade(url)
    settings = with_website(load_settings(ROOT / "config.yaml", environ={"SOPFLOW_DATABASE_URL": url}))
    clock = ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    ctx = EngineContext.create(settings, clock=clock, handlers=HANDLERS)
    definitions.deploy_directory(ctx, ROOT / "bpmn", "bench")
    offices.add_office(ctx, "Dinas Kesehatan")
    for username, role, opd in USERS:
        users.create_user(ctx, username, "benchmark-pw", [role], username, f"{username}@bench", opd)
    return ctx, clock


def run_flow(ctx: EngineContext, clock: ManualClock, breach: bool) -> int:
    """A one-item plan; the item loops once (and, with `breach`, outlives step 2's standard). The item's id."""
    plan = start_with_plan(ctx, PLAN[:1])
    if breach:
        clock.advance(timedelta(minutes=100))
    for spec_id, data in ITEM_STEPS:
        complete(ctx, the_task(ctx, plan.id, spec_id), data)
    return item_instance(ctx, plan.id).id


def replay_ms(ctx: EngineContext, instance_id: int, count: int) -> tuple[float, int]:
    result = replay_instance(ctx, instance_id)
    assert result.equal, result.divergence
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        replay_instance(ctx, instance_id)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), result.events


def clone_instances(ctx: EngineContext, source_id: int, total: int) -> None:
    """Copies of one instance and its history, chained per instance and globally as the engine would."""
    with ctx.db.session() as session:
        source = session.get(Instance, source_id)
        assert source is not None
        columns = {c.key: getattr(source, c.key) for c in Instance.__table__.columns if c.key != "id"}
        template = list(session.scalars(select(Event).where(Event.instance_id == source_id).order_by(Event.id)))
        head = session.get(EventChainHead, 1)
        assert head is not None
        global_head, next_id = head.hash, int(session.scalar(select(func.max(Event.id))) or 0) + 1
        existing = int(session.scalar(select(func.count()).select_from(Instance)) or 0)
        for start in range(existing, total, 500):
            batch = range(start, min(start + 500, total))
            ids = session.execute(insert(Instance).returning(Instance.id), [columns for _ in batch]).scalars().all()
            rows: list[dict[str, Any]] = []
            lasts: list[dict[str, Any]] = []
            for instance_id in ids:
                prev = GENESIS
                for event in template:
                    row = {"id": next_id, "instance_id": instance_id, "process_id": event.process_id,
                           "type": event.type, "occurred_at": event.occurred_at, "actor": event.actor,
                           "task_id": event.task_id, "payload": event.payload, "prev_hash": prev}
                    row["hash"] = prev = content_digest(prev, _Row(row))
                    row["global_prev_hash"] = global_head
                    row["global_hash"] = global_head = global_digest(global_head, row["hash"])
                    rows.append(row)
                    next_id += 1
                lasts.append({"b_id": instance_id, "b_hash": prev})
            session.execute(insert(Event), rows)
            session.connection().execute(
                update(Instance.__table__).where(Instance.__table__.c.id == _bind("b_id"))
                .values(last_event_hash=_bind("b_hash")), lasts)
        session.execute(update(EventChainHead).where(EventChainHead.id == 1)
                        .values(hash=global_head, last_event_id=next_id - 1))


class _Row:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _bind(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name)


def engine_rate(ctx: EngineContext, clock: ManualClock, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        run_flow(ctx, clock, breach=False)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replays", type=int, default=200)
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--flows", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        ctx, clock = engine_context(Path(workdir))
        run_flow(ctx, clock, breach=False)  # warm-up
        rate = engine_rate(ctx, clock, args.flows) if args.flows else 0.0
        item_id = run_flow(ctx, clock, breach=True)
        replay, events = replay_ms(ctx, item_id, args.replays)
        clone_instances(ctx, item_id, args.instances)
        started = time.perf_counter()
        report = verify_all(ctx)
        verify_s = time.perf_counter() - started
        assert report.intact, [str(b) for b in report.breaks]
        ctx.db.dispose()
    print(f"(a) replay of one item instance ({events} events): {replay:.2f} ms median of {args.replays} "
          f"(target < 20 ms)")
    print(f"(b) verify of {report.instances} instances, {report.events} events: {verify_s:.2f} s (target < 10 s)")
    if args.flows:
        print(f"(c) engine API, plan + one item with one loop, global chain included: {rate:.1f} flows/s")


if __name__ == "__main__":
    main()

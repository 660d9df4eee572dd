"""Big plans start their items in batches: the first in the plan's step, the rest one transaction each, each with
its events; a crash in the middle loses no item and starts none twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.config import load_settings
from engine.context import EngineContext
from engine.errors import ConfigError
from engine.runtime import plans
from engine.store import Event, Instance, PlanItem, PlanRun
from tests.engine.flow import start_with_plan

ROOT = Path(__file__).resolve().parents[2]


def planned(count: int) -> list[dict[str, str]]:
    return [{"judul": f"Dokumen {n}", "opd": "Dinas Kesehatan", "kelas_dip": "berkala",
             "tanggal_target": "2026-11-30"} for n in range(1, count + 1)]


def children(ctx: EngineContext, plan_id: int) -> list[str]:
    """The titles of the item instances a plan has started, in the order they were started."""
    with ctx.db.session() as session:
        return list(session.scalars(select(Instance.title).where(Instance.parent_id == plan_id)
                                    .order_by(Instance.id)))


def batch_events(ctx: EngineContext, plan_id: int) -> list[dict[str, object]]:
    with ctx.db.session() as session:
        return [e.payload for e in session.scalars(
            select(Event).where(Event.instance_id == plan_id, Event.type == plans.ITEMS_STARTED).order_by(Event.id))]


def test_a_big_plan_starts_its_first_batch_at_once_and_the_rest_a_batch_per_transaction(ctx: EngineContext) -> None:
    ctx.settings = replace(ctx.settings, plan_batch_size=3)
    plan = start_with_plan(ctx, planned(8))
    assert children(ctx, plan.id) == ["Dokumen 1", "Dokumen 2", "Dokumen 3"]
    assert plans.progress(ctx, plan.id, "ppid.utama") == plans.Progress(3, 8)
    assert plans.start_batch(ctx, plan.id) == 3
    assert plans.progress(ctx, plan.id, "plid.utama") == plans.Progress(6, 8)
    assert plans.start_queued(ctx) == 2
    assert plans.start_batch(ctx, plan.id) == 0
    assert plans.progress(ctx, plan.id, "ppid.utama") == plans.Progress(8, 8)
    assert children(ctx, plan.id) == [f"Dokumen {n}" for n in range(1, 9)]
    events = batch_events(ctx, plan.id)
    assert [(e["first"], e["last"], e["total"]) for e in events] == [(1, 3, 8), (4, 6, 8), (7, 8, 8)]
    with ctx.db.session() as session:
        started = session.scalars(select(Event).where(Event.type == "instance_started", Event.instance_id.in_(
            select(Instance.id).where(Instance.parent_id == plan.id))).order_by(Event.id)).all()
        assert [e.payload["data"]["item"]["judul"] for e in started] == [f"Dokumen {n}" for n in range(1, 9)]
        assert {e.payload["trigger"] for e in started} == {"plan"}
        assert all(e.payload["data"]["arahan_kerja"] == "Unggah sebelum akhir bulan." for e in started)
        linked = session.execute(select(PlanItem.position, PlanItem.instance_id).where(PlanItem.plan_id == plan.id)
                                 .order_by(PlanItem.position)).all()
        assert [instance for _, instance in linked] == [e.instance_id for e in started]
        assert session.get(PlanRun, plan.id).finished_at is not None  # type: ignore[union-attr]


def test_a_small_plan_starts_every_item_in_the_plans_own_step(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx, planned(2))
    assert children(ctx, plan.id) == ["Dokumen 1", "Dokumen 2"]
    assert plans.progress(ctx, plan.id, "ppid.utama") == plans.Progress(2, 2)
    assert plans.start_queued(ctx) == 0
    assert [(e["first"], e["last"]) for e in batch_events(ctx, plan.id)] == [(1, 2)]


def test_the_background_worker_starts_what_remains_after_the_plan_commits(ctx: EngineContext) -> None:
    ctx.settings = replace(ctx.settings, plan_batch_size=4)
    ctx.plan_worker = plans.PlanWorker(ctx)
    plan = start_with_plan(ctx, planned(10))
    assert ctx.plan_worker.wait(timeout=60)
    assert children(ctx, plan.id) == [f"Dokumen {n}" for n in range(1, 11)]
    assert len(batch_events(ctx, plan.id)) == 3


CRASHING_WORKER = """
import sys
from engine.runtime import plans
from engine.config import load_settings
from engine.context import EngineContext
from handlers import HANDLERS
from tests.website import with_website
ctx = EngineContext.create(with_website(load_settings()), handlers=HANDLERS)
while plans.start_batch(ctx, int(sys.argv[1])):
    print("batch", flush=True)
"""


def test_after_a_crash_the_remaining_items_start_at_the_next_run_and_none_twice(
        ctx: EngineContext, database_url: str) -> None:
    ctx.settings = replace(ctx.settings, plan_batch_size=10)
    plan = start_with_plan(ctx, planned(120))
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "SOPFLOW_DATABASE_URL": database_url,
                   "SOPFLOW_PLANS_BATCH_SIZE": "10"}
    worker = subprocess.Popen([sys.executable, "-c", CRASHING_WORKER, str(plan.id)], stdout=subprocess.PIPE,
                              text=True, env=environment, cwd=ROOT)
    assert worker.stdout is not None and worker.stdout.readline() == "batch\n"
    worker.send_signal(signal.SIGKILL)  # in the middle of the next batch, or between two
    worker.wait()
    after_crash = children(ctx, plan.id)
    assert len(after_crash) % 10 == 0 and 20 <= len(after_crash) < 120  # whole batches only
    assert plans.progress(ctx, plan.id, "ppid.utama") == plans.Progress(len(after_crash), 120)
    assert plans.start_queued(ctx) == 120 - len(after_crash)
    assert children(ctx, plan.id) == [f"Dokumen {n}" for n in range(1, 121)]
    with ctx.db.session() as session:
        linked = session.scalar(select(func.count(func.distinct(PlanItem.instance_id)))
                                .where(PlanItem.plan_id == plan.id))
    assert linked == 120


def test_the_batch_size_is_configured_and_must_be_at_least_one() -> None:
    config = ROOT / "config.yaml"
    assert load_settings(config, environ={}).plan_batch_size == 50
    assert load_settings(config, environ={"SOPFLOW_PLANS_BATCH_SIZE": "20"}).plan_batch_size == 20
    with pytest.raises(ConfigError, match="plans.batch_size must be 1 or more, not 0"):
        load_settings(config, environ={"SOPFLOW_PLANS_BATCH_SIZE": "0"})

"""Step 6 completes only when the server itself reached the public address on the PPID website (2xx); else
the item goes back to step 4 with a reason through the diagram's "Dapat diakses?" decision."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine.audit.audit_evaluation import monthly_evaluation
from engine.audit.audit_replay import replay_instance
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import InvalidTaskData
from engine.runtime import instances, task_list
from engine.runtime.timers import fire_due_timers
from engine.store import Event
from tests.conftest import JAKARTA
from tests.engine.flow import STEP_6, TIDAK_DAPAT_DIAKSES, complete, open_tasks, reach_step
from tests.website import ADDRESS


def _events(ctx: EngineContext, instance_id: int, type_: str) -> list[Event]:
    with ctx.db.session() as session:
        return list(session.scalars(select(Event).where(Event.instance_id == instance_id, Event.type == type_)))


@pytest.mark.parametrize(("address", "field_error"), [
    (f"{ADDRESS}/tidak-ada", "The website answered HTTP %(status)s, not a page that can be read."),
    ("https://contoh.example.com/informasi/1", "The address is not on the PPID website."),
    ("http://127.0.0.1:9/informasi/1", "The address is not on the PPID website."),
])
def test_step_6_is_refused_when_the_address_is_not_accessible(ctx: EngineContext, address: str,
                                                              field_error: str) -> None:
    instance_id, step_6 = reach_step(ctx, 6)
    before = len(_events(ctx, instance_id, "task_completed"))
    with pytest.raises(InvalidTaskData) as refused:
        complete(ctx, step_6, {**STEP_6, "tautan_publik": address, "alasan_tautan_berbeda": "Dipindah."})
    assert refused.value.field_errors["tautan_publik"].template == field_error  # type: ignore[attr-defined]
    assert refused.value.params["other"] == "Tidak"
    assert len(_events(ctx, instance_id, "task_completed")) == before
    assert [t.id for t in open_tasks(ctx, instance_id)] == [step_6.id]


def _monthly_tayang(ctx: EngineContext, clock: ManualClock) -> int:
    """Items counted as tayang in the data the monthly evaluation (step 7) reviews."""
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=JAKARTA))
    fire_due_timers(ctx)
    [monitoring] = task_list.list_tasks(ctx, task_list.TaskFilter(lane="PPID Utama"))
    return int(instances.get_task(ctx, monitoring.id).data["data_evaluasi"]["item_tayang"])


def test_step_6_passes_on_200_and_records_the_check(ctx: EngineContext, clock: ManualClock) -> None:
    instance_id, step_6 = reach_step(ctx, 6)
    complete(ctx, step_6, STEP_6)
    done = [e for e in _events(ctx, instance_id, "task_completed") if e.task_id == step_6.id][0]
    check = done.payload["data"]["pemeriksaan_tautan"]
    assert (check["status"], check["ok"], check["url"]) == (200, True, STEP_6["tautan_publik"])
    assert check["elapsed_ms"] >= 0 and check["checked_at"] == ctx.clock.now().isoformat()
    assert [p.instance_id for p in monthly_evaluation(ctx, 2026, 11).published] == [instance_id]
    assert _monthly_tayang(ctx, clock) == 1


def test_an_address_other_than_step_4s_needs_a_reason(ctx: EngineContext) -> None:
    _, step_6 = reach_step(ctx, 6)
    other = {**STEP_6, "tautan_publik": f"{ADDRESS}/informasi/2"}
    with pytest.raises(InvalidTaskData) as refused:
        complete(ctx, step_6, other)
    assert set(refused.value.field_errors) == {"alasan_tautan_berbeda"}
    complete(ctx, step_6, {**other, "alasan_tautan_berbeda": "Halaman dipindah ke kategori DIP berkala."})


def test_tidak_sends_the_item_back_to_step_4_with_the_reason_and_it_is_not_counted_as_published(
        ctx: EngineContext, clock: ManualClock) -> None:
    instance_id, step_6 = reach_step(ctx, 6)
    complete(ctx, step_6, {**TIDAK_DAPAT_DIAKSES, "tautan_publik": f"{ADDRESS}/tidak-ada"})
    [step_4] = open_tasks(ctx, instance_id)
    assert step_4.spec_id == "Task_4_Unggah"
    data = instances.get_task(ctx, step_4.id).data
    reason = TIDAK_DAPAT_DIAKSES["alasan_tidak_diakses"]
    assert (data["dapat_diakses"], data["alasan_tidak_diakses"]) == ("tidak", reason)
    flows = [e.payload["flow"] for e in _events(ctx, instance_id, "gateway_decision")]
    assert flows[-1] == "Tidak"
    recorded = [e for e in _events(ctx, instance_id, "task_completed") if e.task_id == step_6.id][0]
    assert recorded.payload["data"]["pemeriksaan_tautan"]["status"] == 404
    assert monthly_evaluation(ctx, 2026, 11).published == []
    # the loop is timed like the others: step 4 again has its own time standard, and the log replays exactly
    clock.advance(timedelta(minutes=31))
    assert fire_due_timers(ctx) == 2  # step 4's deadline and its 80 % reminder
    assert task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=instance_id))[0].breached_at is not None
    assert replay_instance(ctx, instance_id).equal
    assert _monthly_tayang(ctx, clock) == 0

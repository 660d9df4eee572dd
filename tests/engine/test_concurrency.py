"""Two completions of one task at the same moment: exactly one wins, the other gets a clear conflict."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event, func, select

from engine.clock import ManualClock
from engine.config import Settings
from engine.context import EngineContext
from engine.errors import TaskConflict
from engine.runtime import instances
from engine.store import Event, WorkItem
from handlers import HANDLERS
from tests.engine.flow import STEP_1, open_tasks, start_publication, the_task


def test_two_concurrent_completions_give_one_success_and_one_conflict(
    settings: Settings, clock: ManualClock, ctx: EngineContext
) -> None:
    instance = start_publication(ctx)
    task = the_task(ctx, instance.id, "Task_1_Arahan")
    both_loaded = threading.Barrier(2, timeout=30)
    outcomes: list[Any] = []

    def complete_in_own_process() -> None:
        other = EngineContext.create(settings, clock=clock, handlers=HANDLERS)
        first_write = [True]

        def hold_first_write(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
            # Both requests have read the task and run the workflow before either writes.
            if not statement.lstrip().upper().startswith("SELECT") and first_write and first_write.pop():
                both_loaded.wait()

        event.listen(other.db.engine, "before_cursor_execute", hold_first_write)
        try:
            outcomes.append(instances.complete_task(other, task.id, STEP_1, "ppid.utama"))
        except TaskConflict as error:
            outcomes.append(error)
        finally:
            other.db.dispose()

    threads = [threading.Thread(target=complete_in_own_process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    conflicts = [o for o in outcomes if isinstance(o, TaskConflict)]
    successes = [o for o in outcomes if isinstance(o, WorkItem)]
    assert len(successes) == 1 and len(conflicts) == 1, outcomes
    assert "changed by someone else" in str(conflicts[0])
    with ctx.db.session() as session:
        completed = session.scalar(select(func.count()).select_from(Event).where(Event.type == "task_completed"))
        ready = session.scalar(select(func.count()).select_from(Event).where(Event.type == "task_ready"))
        started = session.scalar(select(func.count()).select_from(Event).where(Event.type == "instance_started"))
    assert completed == 1
    # step 1, then one item instance with its step 2 per plan item: nothing half-written by the loser
    assert ready == 1 + 2 and started == 1 + 2
    assert len(open_tasks(ctx, instance.id, "Task_2_Siapkan_Data")) == 2

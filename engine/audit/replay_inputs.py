"""What a replay takes from the log instead of recomputing it: the deadlines, and the moves of a migration.
A deadline depends on the calendar of its day (holidays, a cuti bersama added later, working hours); the log
records each task's due time when it became ready and each migrated task's new due time, so a configuration
changed since never makes an untouched instance diverge, and a replay crosses `instance_migrated`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.util.task import TaskState

from engine.audit.replay_run import ReplayRun
from engine.diagrams.diagram import ProcessModel
from engine.diagrams.migration import realign
from engine.runtime.calendar import WorkingCalendar
from engine.runtime.spiff import CLOCKED_TIMERS, iso_duration
from engine.runtime.stepping import timer_owner
from engine.store import Event, WorkItem


@dataclass(frozen=True)
class RecordedCalendar(WorkingCalendar):
    """A working calendar whose deadlines are those the log recorded (by start moment and duration); one the
    log does not know (a timer not attached to a user task) is computed as before."""

    recorded: Mapping[tuple[datetime, timedelta], datetime] = field(default_factory=dict, compare=False,
                                                                     hash=False)

    def deadline(self, start: datetime, duration: timedelta, working_days: bool = False) -> datetime:
        found = self.recorded.get((start, duration))
        return found if found is not None else super().deadline(start, duration, working_days)


def recorded_deadlines(log: Iterable[Event]) -> dict[tuple[datetime, timedelta], datetime]:
    """(moment a task became ready, its time standard) -> the due time the log recorded for it."""
    deadlines = {}
    for event in log:
        standard, due = event.payload.get("time_standard"), event.payload.get("due_at")
        if event.type == "task_ready" and standard and due:
            try:
                duration = iso_duration(standard, event.occurred_at)
            except ValueError:
                continue
            deadlines[(event.occurred_at, duration)] = datetime.fromisoformat(due)
    return deadlines


def calendar_of(log: Iterable[Event], calendar: WorkingCalendar) -> RecordedCalendar:
    values = {f.name: getattr(calendar, f.name) for f in fields(WorkingCalendar)}
    return RecordedCalendar(**values, recorded=recorded_deadlines(log))


def cross_migration(run: ReplayRun, open_items: Mapping[str, WorkItem], model: ProcessModel,
                    payload: Mapping[str, Any], replay_ids: Mapping[str, str]) -> list[str]:
    """Move the replay's workflow to the version an `instance_migrated` event names, as the migration did:
    re-aligned on the new specs, each moved task's timer and work item at the due time the event recorded.
    Returns the reasons the replay cannot follow (empty when it did)."""
    reasons = realign(run.workflow, model, int(payload["to_version"]))
    if reasons:
        return reasons
    moves = {replay_ids.get(str(move["task_id"])): move for move in payload.get("tasks") or []}
    if None in moves:
        return ["migrasi memindahkan langkah yang tidak terbuka dalam pemutaran ulang"]  # as realign's reasons
    for timer in run.workflow.get_tasks(state=TaskState.WAITING):
        owner = timer_owner(timer)
        move = moves.get(str(owner.id)) if owner is not None and owner.state == TaskState.READY else None
        if move is not None and move.get("new_due_at") and isinstance(
                getattr(timer.task_spec, "event_definition", None), CLOCKED_TIMERS):
            timer._set_internal_data(event_value=move["new_due_at"])
            run.stepper.timer_dues[str(timer.id)] = datetime.fromisoformat(move["new_due_at"])
    for task_id, item in open_items.items():
        move = moves.get(task_id)
        if move is None:
            continue
        step = model.steps[item.spec_id]
        item.name, item.step, item.lane = step.name, step.step, step.lane
        item.role = run.ctx.settings.role_for_lane(step.lane)
        item.time_standard = step.time_standard
        item.due_at = datetime.fromisoformat(move["new_due_at"]) if move.get("new_due_at") else None
        if move.get("claim_released"):
            item.status, item.claimed_by, item.claimed_at = "ready", None, None
    run.model = model
    return []

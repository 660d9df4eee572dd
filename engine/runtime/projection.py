"""The SQL projection: the stepping core's effects written in the caller's transaction — events, work items,
timers, notices and reminders, incidents — and the instance's queryable columns and state on `save`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from SpiffWorkflow.task import Task as SpiffTask
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from engine.audit.events import append_event
from engine.context import EngineContext
from engine.database import write_checked
from engine.errors import SopflowError
from engine.runtime.effects import (
    Effect,
    InstanceCompleted,
    StepFailedHere,
    TaskReady,
    TaskWithdrawn,
    TimersSettled,
    TimerWaiting,
    event_of,
)
from engine.runtime.incident_records import database_error, failure_reason, record_failure, undone_on_failure
from engine.runtime.notices import mail_lane, notify_returned
from engine.runtime.outbox import deliver_after_commit
from engine.runtime.reminders import reminder_for
from engine.runtime.services import ServiceCall
from engine.runtime.stepping import Stepper
from engine.store import OPEN_STATUSES, Instance, Timer, WorkItem

# Built once: they run on every change.
_OPEN_ITEMS = select(WorkItem).where(WorkItem.instance_id == bindparam("instance_id"),
                                     WorkItem.status.in_(OPEN_STATUSES))
_SETTLE_TIMERS = update(Timer).where(Timer.spiff_task_id.in_(bindparam("task_ids", expanding=True)),
                                     Timer.status == "pending")
_CANCEL_TIMERS = _SETTLE_TIMERS.values(status="cancelled")
_FIRE_TIMERS = _SETTLE_TIMERS.values(status="fired", fired_at=bindparam("when"), fired_by=bindparam("who"))
# New rows and the instance's columns are written by Core statements (no unit of work, no identity map).
_WORK_ITEMS, _TIMERS, _INSTANCES = (cast(Table, model.__table__) for model in (WorkItem, Timer, Instance))
_INSERT_WORK_ITEM = insert(_WORK_ITEMS)
_INSERT_TIMERS = insert(_TIMERS).returning(_TIMERS.c.spiff_task_id, _TIMERS.c.id)
_CHANGED_COLUMNS = tuple(column.key for column in _INSTANCES.columns if column.key not in ("id", "revision"))
_ALWAYS_WRITTEN = ("state", "last_event_hash")  # the hash is set as committed (events.py): no history to read


def new_work_item(effect: TaskReady, instance: Instance, now: datetime) -> WorkItem:
    step = effect.step
    return WorkItem(
        id=effect.task_id, instance_id=instance.id, process_id=instance.process_id, spec_id=step.spec_id,
        name=step.name, step=step.step, lane=step.lane, role=effect.role, opd=effect.opd,
        item_label=effect.item_label, dip_class=effect.dip_class, status="ready", time_standard=step.time_standard,
        ready_at=now, due_at=effect.due_at, data=json.dumps(effect.task.data, default=str),
    )


class SqlProjection:
    """Writes one state change of one instance; `actor` and the stepper's `now` stamp every row and event."""

    def __init__(self, ctx: EngineContext, session: Session, instance: Instance, actor: str,
                 stepper: Stepper) -> None:
        self.ctx, self.session, self.instance, self.actor, self.stepper = ctx, session, instance, actor, stepper
        self.after_commit: list[Callable[[], None]] = []
        self.new_timers: list[Timer] = []
        self._stored_open: list[WorkItem] | None = None  # read once per change; closing updates the objects
        self._new_items: dict[str, WorkItem] = {}  # written by Core, not in the session
        self._unwritten_timers: list[Timer] = []
        self.claimed_timers: set[str] = set()  # timer rows the caller already marked fired

    @property
    def now(self) -> datetime:
        return self.stepper.now

    def event(self, type: str, task_id: str | None = None, **payload: Any) -> None:
        append_event(self.session, process_id=self.instance.process_id, type=type, actor=self.actor, at=self.now,
                     instance=self.instance, task_id=task_id, payload=payload, instance_written_by_caller=True)

    def knows_open_items(self, items: list[WorkItem]) -> None:
        """The instance's open items, already read by the caller in this transaction."""
        self._stored_open = items

    def open_items(self) -> list[WorkItem]:
        """Open work items as this change has left them: the stored ones (read once), less those it closed, and
        those it made ready."""
        if self._stored_open is None:
            with self.session.no_autoflush:
                self._stored_open = list(self.session.scalars(_OPEN_ITEMS, {"instance_id": self.instance.id}))
        return [item for item in (*self._stored_open, *self._new_items.values()) if item.status in OPEN_STATUSES]

    def close_item(self, item: WorkItem, status: str, by: str | None = None) -> None:
        """A work item is no longer open (completed, withdrawn): written at once, its revision checked, so of two
        racing changes exactly one closes it."""
        # Its data goes: a closed task's page reads its log.
        write_checked(self.session, item, {"status": status, "finished_at": self.now, "finished_by": by, "data": None})

    def _add_timer(self, timer: Timer) -> None:
        """Written with the instance's columns, announced after the commit."""
        self._unwritten_timers.append(timer)
        self.new_timers.append(timer)

    def _write_timers(self) -> None:
        """The change's new timers in one statement, which gives them their ids (the scheduler's keys)."""
        if not self._unwritten_timers:
            return
        rows = [{column.key: getattr(timer, column.key) for column in _TIMERS.columns if column.key != "id"}
                for timer in self._unwritten_timers]
        ids = dict(self.session.connection().execute(_INSERT_TIMERS, rows).tuples().all())  # in any order
        for timer in self._unwritten_timers:
            timer.id = ids[timer.spiff_task_id]
        self._unwritten_timers = []

    def open_task_ids(self) -> set[str]:
        return {item.id for item in self.open_items()}

    def call_service(self, task: SpiffTask, operation: str, params: dict[str, Any]) -> Any:
        handler = self.ctx.handlers.get(operation)
        if handler is None:
            raise SopflowError("No handler is registered for the service operation %(operation)r.",
                               operation=operation)
        call = ServiceCall(self.ctx, self.session, self.instance, task, operation, params, self.actor, self.now,
                           self.after_commit, self.open_items)
        with undone_on_failure(self.session, self.instance, self.after_commit):
            return handler(call)

    def failure_message(self, error: Exception) -> str:
        lost = database_error(error)
        if lost is not None:
            raise lost
        return failure_reason(error)

    def apply(self, effect: Effect) -> None:
        match effect:
            case TaskReady():
                self._task_ready(effect)
            case TaskWithdrawn():
                self._task_withdrawn(effect)
            case TimersSettled():
                self._timers_settled(effect)
            case TimerWaiting():
                self._add_timer(Timer(kind="event", process_id=self.instance.process_id,
                                      instance_id=self.instance.id, spiff_task_id=effect.task_id, name=effect.name,
                                      due_at=effect.due_at, status="pending"))
            case StepFailedHere():
                record_failure(self.session, process_id=self.instance.process_id, instance=self.instance,
                               element_id=effect.element_id, element_name=effect.element_name,
                               message=effect.message, actor=self.actor, now=self.now, task_id=effect.task_id)
            case InstanceCompleted():
                self.instance.status, self.instance.finished_at = "completed", self.now
                self._record(effect)
            case _:
                self._record(effect)

    def _record(self, effect: Effect, name: str | None = None, lane: str | None = None) -> None:
        logged = event_of(effect, name, lane)
        if logged is not None:
            type, task_id, payload = logged
            self.event(type, task_id, **payload)

    def _task_withdrawn(self, effect: TaskWithdrawn) -> None:
        item = next(i for i in self.open_items() if i.id == effect.task_id)
        self.close_item(item, "withdrawn")
        self._record(effect, item.name, item.lane)

    def _task_ready(self, effect: TaskReady) -> None:
        item = new_work_item(effect, self.instance, self.now)
        mail = (notify_returned(self.session, self.ctx.policy, item, self.now, self.actor) if effect.returned
                else mail_lane(self.session, item, self.now, self.actor))
        if mail is not None:
            self.after_commit.append(deliver_after_commit(self.ctx, mail))
        item.revision = 1
        self.session.connection().execute(_INSERT_WORK_ITEM, {column.key: getattr(item, column.key)
                                                              for column in _WORK_ITEMS.columns})
        self._new_items[item.id] = item
        reminder = reminder_for(self.ctx, item)
        if reminder is not None:
            self._add_timer(reminder)
        self._record(effect)

    def _timers_settled(self, effect: TimersSettled) -> None:
        fired = effect.fired - self.claimed_timers
        for timer in self._unwritten_timers:  # made earlier in this change: settled before they are written
            if timer.spiff_task_id in fired:
                timer.status, timer.fired_at, timer.fired_by = "fired", self.now, self.actor
            elif timer.spiff_task_id in effect.cancelled:
                timer.status = "cancelled"
        connection = self.session.connection()  # Core: the session holds no timer of this change
        if fired:
            connection.execute(_FIRE_TIMERS, {"task_ids": list(fired), "when": self.now, "who": self.actor})
        if effect.cancelled:
            connection.execute(_CANCEL_TIMERS, {"task_ids": list(effect.cancelled)})

    def write_columns(self, state: str) -> None:
        """The instance's columns lists read, and its workflow state, by one update that checks the revision."""
        instance = self.instance
        open_items = sorted(
            self.open_items(),
            key=lambda i: (i.due_at is None, i.due_at or self.now, i.name),
        )
        if instance.title is None:
            labelled = next((i for i in open_items if i.item_label), None)
            if labelled is not None:
                instance.title, instance.opd = labelled.item_label, labelled.opd
        instance.current_task = "; ".join(dict.fromkeys(i.name for i in open_items))[:500] or None
        instance.current_lane = open_items[0].lane if open_items else None
        instance.due_at = open_items[0].due_at if open_items else None
        instance.last_actor = self.actor
        instance.updated_at = self.now
        instance.state = "" if instance.status == "completed" else state  # a finished item keeps its log only
        self._write_timers()
        written_state = instance_state(instance)
        changed = {key for key, old in written_state.committed_state.items() if old != getattr(instance, key)}
        columns = tuple(column for column in _CHANGED_COLUMNS if column in changed or column in _ALWAYS_WRITTEN)
        write_checked(self.session, instance, {column: getattr(instance, column) for column in columns})
        # What a flush does once it has written an object: the session now holds nothing to write for it.
        written_state._commit_all(written_state.dict, self.session.identity_map)
        if self.session.new or self.session.dirty or self.session.deleted:
            self.session.flush()  # what handlers changed

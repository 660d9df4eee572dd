"""The replay's stepping: `InstanceRun` whose effects stay in memory. Derived events are collected to be
matched with the log, work items are kept in a dict, service results are read from the log; its session has no
database."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.task import Task as SpiffTask
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.diagram import ProcessModel
from engine.execution import InstanceRun, _timer_due, element_of
from engine.incident_records import failure_reason
from engine.store import Event, Instance, WorkItem

INCIDENT_FAILURES = frozenset({"incident_opened", "incident_failed_again"})


class Divergence(Exception):
    """The replay and the log or the stored state disagree; the message says where."""

    def __init__(self, message: str, event_id: int | None = None) -> None:
        super().__init__(message)
        self.event_id = event_id


@dataclass(frozen=True)
class Produced:
    """An event the replay derived: what the engine would have logged."""

    type: str
    task_id: str | None
    at: datetime
    payload: dict[str, Any]


class RecordedFailure(Exception):
    """A service call the log records as failed (an incident): the replay fails it with the same message."""


def replay_cause(error: BaseException) -> BaseException | None:
    """The Divergence or recorded failure behind an error SpiffWorkflow wrapped, if any."""
    found: BaseException | None = error
    while found is not None and not isinstance(found, Divergence | RecordedFailure):
        found = found.__cause__ or found.__context__
    return found


class ReplayRun(InstanceRun):
    """InstanceRun whose effects stay in memory: derived events are collected, work items kept in a dict,
    service results read from the log."""

    def __init__(self, ctx: EngineContext, instance: Instance, model: ProcessModel, actor: str,
                 services: deque[Event]) -> None:
        super().__init__(ctx, Session(), instance, model, actor)
        self.produced: deque[Produced] = deque()
        self.open: dict[str, WorkItem] = {}
        self.services = services
        self.incident_tasks: set[str] = set()

    def event(self, type: str, task_id: str | None = None, **payload: Any) -> None:
        self.produced.append(Produced(type, task_id, self.now, payload))

    def _call_service(self, task: SpiffTask, operation: str, params: dict[str, Any]) -> Any:
        if not self.services:
            raise Divergence(f"the replay calls service {operation!r}, but the log records no further service call")
        recorded = self.services.popleft()
        if recorded.type in INCIDENT_FAILURES and recorded.payload.get("element") == task.task_spec.bpmn_id:
            raise RecordedFailure(recorded.payload.get("message"))
        if recorded.payload.get("operation") != operation:
            raise Divergence(
                f"the replay calls service {operation!r}, but the log's next call is "
                f"{recorded.payload.get('operation')!r}", recorded.id)
        self.event("service_completed", str(task.id), spec=task.task_spec.bpmn_id, operation=operation,
                   params=params, result=recorded.payload.get("result"))
        return recorded.payload.get("result")

    def _step_failed(self, error: Exception) -> None:
        cause = replay_cause(error)
        if isinstance(cause, Divergence):
            raise cause
        task = self._failed_task(error)
        element_id, name = element_of(task)
        kind = "incident_failed_again" if str(task.id) in self.incident_tasks else "incident_opened"
        self.incident_tasks.add(str(task.id))
        message = str(cause) if isinstance(cause, RecordedFailure) else failure_reason(error)
        self.event(kind, str(task.id), element=element_id, element_name=name, message=message)

    def open_items(self) -> list[WorkItem]:
        return list(self.open.values())

    def _sync_work_items(self, ready: dict[str, SpiffTask]) -> None:
        for task_id in [t for t in self.open if t not in ready]:
            item = self.open.pop(task_id)
            item.status = "withdrawn"
            self.event("task_withdrawn", task_id, name=item.name, lane=item.lane)
        for task_id, task in ready.items():
            if task_id in self.open:
                continue
            step = self.model.steps[task.task_spec.bpmn_id]
            item = self._new_work_item(task, step)
            self.open[task_id] = item
            self.event(
                "task_ready", task_id, spec=step.spec_id, name=step.name, step=step.step, lane=step.lane,
                role=item.role, opd=item.opd, item=item.item_label,
                due_at=item.due_at.isoformat() if item.due_at else None, time_standard=step.time_standard,
                returned=step.spec_id in self.completed_steps,
            )
        self._open_items = list(self.open.values())

    def _sync_timers(self, waiting: dict[str, SpiffTask]) -> None:
        self.timer_dues = {task_id: _timer_due(task) for task_id, task in waiting.items()}

    def save(self) -> None:
        if self.workflow.is_completed() and self.instance.status == "running":
            self.instance.status = "completed"
            self.event("instance_completed")

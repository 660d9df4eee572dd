"""The replay projection: the stepping core's effects kept in memory to be compared with the log. It
writes nothing; service results come from the log."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask

from engine.context import EngineContext
from engine.diagrams.diagram import ProcessModel
from engine.errors import SopflowError
from engine.runtime.effects import Effect, InstanceCompleted, StepFailedHere, TaskReady, TaskWithdrawn, event_of
from engine.runtime.incident_records import failure_reason
from engine.runtime.projection import new_work_item
from engine.runtime.stepping import Stepper
from engine.store import Event, Instance, WorkItem

INCIDENT_FAILURES = frozenset({"incident_opened", "incident_failed_again"})


class Divergence(SopflowError):
    """The replay and the log or the stored state disagree: an English template with its parameters, translated
    for the auditor by the web layer, says where; `event_id` is the event where it shows, if any."""

    def __init__(self, template: str, /, event_id: int | None = None, **params: object) -> None:
        super().__init__(template, **params)
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


class ReplayRun:
    """The stepping core with the replay projection: derived events are collected to be matched with the log,
    work items kept in a dict, service results read from the log."""

    def __init__(self, ctx: EngineContext, instance: Instance, model: ProcessModel, actor: str,
                 services: deque[Event]) -> None:
        self.ctx, self.instance, self.actor = ctx, instance, actor
        self.stepper = Stepper(model, None, ctx.clock.now(), ctx.settings.calendar, ctx.settings.role_for_lane)
        self.stepper.projection = self
        self.produced: deque[Produced] = deque()
        self.open: dict[str, WorkItem] = {}
        self.services = services
        self.incident_tasks: set[str] = set()

    @property
    def workflow(self) -> BpmnWorkflow:
        return self.stepper.workflow

    @property
    def model(self) -> ProcessModel:
        return self.stepper.model

    @model.setter
    def model(self, model: ProcessModel) -> None:
        self.stepper.model = model

    @property
    def now(self) -> datetime:
        return self.stepper.now

    @now.setter
    def now(self, moment: datetime) -> None:
        self.stepper.now = moment

    @property
    def completed_steps(self) -> set[str]:
        return self.stepper.completed_steps

    @property
    def failed_tasks(self) -> set[str]:
        return self.stepper.failed_tasks

    def advance(self) -> None:
        self.stepper.advance()

    def honour_overdue_timers(self) -> None:
        self.stepper.honour_overdue_timers()

    def save(self) -> None:
        if self.instance.status == "running":
            self.stepper.report_completion()

    def _produce(self, type: str, task_id: str | None, payload: dict[str, Any]) -> None:
        self.produced.append(Produced(type, task_id, self.now, payload))

    # The projection: what the core reports, and its questions about the outside.

    def apply(self, effect: Effect) -> None:
        name = lane = None
        match effect:
            case TaskReady():
                self.open[effect.task_id] = new_work_item(effect, self.instance, self.now)
            case TaskWithdrawn():
                item = self.open.pop(effect.task_id)
                item.status, name, lane = "withdrawn", item.name, item.lane
            case StepFailedHere():
                kind = "incident_failed_again" if effect.task_id in self.incident_tasks else "incident_opened"
                self.incident_tasks.add(effect.task_id)
                self._produce(kind, effect.task_id, {"element": effect.element_id,
                                                     "element_name": effect.element_name, "message": effect.message})
            case InstanceCompleted():
                self.instance.status = "completed"
        logged = event_of(effect, name, lane)
        if logged is not None:
            self._produce(*logged)

    def open_task_ids(self) -> set[str]:
        return set(self.open)

    def call_service(self, task: SpiffTask, operation: str, params: dict[str, Any]) -> Any:
        if not self.services:
            raise Divergence("The replay calls the service %(operation)s, but the log records no further service "
                             "call.", operation=operation)
        recorded = self.services.popleft()
        if recorded.type in INCIDENT_FAILURES and recorded.payload.get("element") == task.task_spec.bpmn_id:
            raise RecordedFailure(recorded.payload.get("message"))
        if recorded.payload.get("operation") != operation:
            raise Divergence("The replay calls the service %(operation)s, but the log's next call is %(logged)s.",
                             recorded.id, operation=operation, logged=recorded.payload.get("operation"))
        return recorded.payload.get("result")

    def failure_message(self, error: Exception) -> str:
        cause = replay_cause(error)
        if isinstance(cause, Divergence):
            raise cause
        return str(cause) if isinstance(cause, RecordedFailure) else failure_reason(error)

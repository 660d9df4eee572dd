"""What advancing an instance did, as domain effects: the stepping core (engine/runtime/stepping.py) produces
them, a projection consumes them (engine/runtime/projection.py writes them to the database,
engine/audit/replay_run.py compares them with the log). Each effect that the log records becomes exactly one
event, built here once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.task import Task as SpiffTask

from engine.diagrams.diagram import StepSpec


@dataclass(frozen=True)
class TaskReady:
    """A user task became ready: a work item for its lane."""

    task: SpiffTask
    step: StepSpec
    role: str | None
    opd: str | None
    item_label: str | None
    dip_class: str | None
    due_at: datetime | None
    returned: bool  # the step was completed before: the item came back to it

    @property
    def task_id(self) -> str:
        return str(self.task.id)


@dataclass(frozen=True)
class TaskWithdrawn:
    """An open user task is no longer ready (its instance moved on without it, or was cancelled)."""

    task_id: str


@dataclass(frozen=True)
class GatewayTaken:
    task_id: str
    gateway: str
    gateway_name: str | None
    flow: str | None
    target: str
    target_name: str


@dataclass(frozen=True)
class TimerFired:
    task_id: str
    timer: str
    timer_name: str | None
    due_at: datetime
    late_by_seconds: float


@dataclass(frozen=True)
class TimerWaiting:
    """A clocked timer started waiting (its due time is known from now on)."""

    task_id: str
    name: str
    due_at: datetime


@dataclass(frozen=True)
class TimersSettled:
    """Timers that stopped waiting: fired, or cancelled (with the reminders of user tasks that finished)."""

    fired: frozenset[str]
    cancelled: frozenset[str]


@dataclass(frozen=True)
class ServiceCompleted:
    """A service task ran; `result` (the handler's answer) entered the workflow's data."""

    task_id: str
    spec: str
    operation: str
    params: dict[str, Any]
    result: Any


@dataclass(frozen=True)
class StepFailedHere:
    """A step the engine ran failed; the instance waits at it until the incident is retried."""

    task_id: str
    element_id: str
    element_name: str
    message: str


@dataclass(frozen=True)
class InstanceCompleted:
    pass


Effect = (TaskReady | TaskWithdrawn | GatewayTaken | TimerFired | TimerWaiting | TimersSettled | ServiceCompleted
          | StepFailedHere | InstanceCompleted)


def event_of(effect: Effect, withdrawn_name: str | None = None,
             withdrawn_lane: str | None = None) -> tuple[str, str | None, dict[str, Any]] | None:
    """The event (type, task id, payload) the log records for an effect; None for bookkeeping effects.
    A withdrawal's name and lane come from the projection's work item."""
    match effect:
        case TaskReady():
            step = effect.step
            return "task_ready", effect.task_id, {
                "spec": step.spec_id, "name": step.name, "step": step.step, "lane": step.lane, "role": effect.role,
                "opd": effect.opd, "item": effect.item_label,
                "due_at": effect.due_at.isoformat() if effect.due_at else None,
                "time_standard": step.time_standard, "returned": effect.returned,
            }
        case TaskWithdrawn():
            return "task_withdrawn", effect.task_id, {"name": withdrawn_name, "lane": withdrawn_lane}
        case GatewayTaken():
            return "gateway_decision", effect.task_id, {
                "gateway": effect.gateway, "gateway_name": effect.gateway_name, "flow": effect.flow,
                "target": effect.target, "target_name": effect.target_name,
            }
        case TimerFired():
            return "timer_fired", effect.task_id, {
                "timer": effect.timer, "timer_name": effect.timer_name, "due_at": effect.due_at.isoformat(),
                "late_by_seconds": effect.late_by_seconds,
            }
        case ServiceCompleted():
            return "service_completed", effect.task_id, {
                "spec": effect.spec, "operation": effect.operation, "params": effect.params, "result": effect.result,
            }
        case InstanceCompleted():
            return "instance_completed", None, {}
    return None

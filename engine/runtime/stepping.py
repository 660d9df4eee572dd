"""The stepping core: advances one instance's workflow and reports what happened as effects (engine/runtime/effects.py)
to a projection. It has no database: everything it needs from outside enters as an input — the moment (`now`),
the calendar (inside the script engine's timers), the open tasks the projection knows, and the results of
service handlers, which the projection provides (running the handler, or reading the result from the log)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

from engine.diagrams.diagram import ProcessModel
from engine.diagrams.expressions import label
from engine.errors import StepFailed
from engine.runtime.calendar import WorkingCalendar
from engine.runtime.effects import (
    Effect,
    GatewayTaken,
    InstanceCompleted,
    ServiceCompleted,
    StepFailedHere,
    TaskReady,
    TaskWithdrawn,
    TimerFired,
    TimersSettled,
    TimerWaiting,
)
from engine.runtime.spiff import CLOCKED_TIMERS, SopflowScriptEngine


class Projection(Protocol):
    """What consumes the core's effects, and answers the core's questions about the outside."""

    def apply(self, effect: Effect) -> None: ...

    def open_task_ids(self) -> set[str]: ...

    def call_service(self, task: SpiffTask, operation: str, params: dict[str, Any]) -> Any: ...

    def failure_message(self, error: Exception) -> str:
        """The message of a step's failure; raises when the failure is not the step's own (a lost database)."""
        ...


def timer_due(task: SpiffTask) -> datetime:
    """A waiting clocked timer always knows its due time: it computes it when it starts waiting."""
    return datetime.fromisoformat(task._get_internal_data("event_value"))


def is_clocked_timer(task: SpiffTask) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), CLOCKED_TIMERS)


def _attached(task: SpiffTask) -> list[SpiffTask]:
    """A user task and its boundary events are siblings under the boundary event split."""
    return list(task.parent.children) if task.parent is not None else []


def timer_owner(timer: SpiffTask) -> SpiffTask | None:
    """The user task a boundary timer is attached to."""
    return next((sibling for sibling in _attached(timer) if sibling is not timer and sibling.task_spec.manual), None)


def scan(workflow: BpmnWorkflow) -> tuple[dict[str, SpiffTask], bool, dict[str, SpiffTask]]:
    """One walk of the task tree: ready user tasks, whether engine work is ready, waiting clocked timers."""
    ready: dict[str, SpiffTask] = {}
    waiting: dict[str, SpiffTask] = {}
    engine_ready = False
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        if task.state == TaskState.READY:
            if task.task_spec.manual:
                ready[str(task.id)] = task
            else:
                engine_ready = True
        elif is_clocked_timer(task):
            waiting[str(task.id)] = task
    return ready, engine_ready, waiting


def completed_steps(workflow: BpmnWorkflow) -> set[str]:
    """The user task specs completed at least once: a step that becomes ready again was returned."""
    return {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.manual}


def _diagram_node(spec: Any) -> Any:
    """The spec of the diagram element a control spec stands for (a BoundaryEventSplit stands for its task)."""
    while spec.bpmn_id is None and spec.outputs:
        spec = spec.outputs[0]
    return spec


def element_of(task: SpiffTask) -> tuple[str, str]:
    """The diagram element a task stands for: its id and its name."""
    spec = _diagram_node(task.task_spec)
    element_id = spec.bpmn_id or task.task_spec.name
    return element_id, spec.bpmn_name or element_id


def enter_step_data(task: SpiffTask, data: dict[str, Any], cleared: list[str]) -> None:
    """A step's submitted data enters the workflow; `cleared` fields lose the value an earlier round left."""
    for name in cleared:
        task.data.pop(name, None)
    task.data.update(data)


class _StepClock:
    """The moment of one state change: due times computed during it start from the same `now` as its events,
    so that a replay of the log computes them again exactly."""

    def __init__(self, stepper: Stepper) -> None:
        self.stepper = stepper

    def now(self) -> datetime:
        return self.stepper.now


class Stepper:
    """Advances one workflow at one moment (`now`, set by the caller) and tells its projection what happened."""

    def __init__(self, model: ProcessModel, workflow: BpmnWorkflow | None, now: datetime, calendar: WorkingCalendar,
                 role_for_lane: Callable[[str | None], str | None], timer_dues: dict[str, datetime] | None = None,
                 completed: set[str] | None = None, by_engine: bool = False) -> None:
        self.model = model
        self.now = now
        self.role_for_lane = role_for_lane
        self.projection: Projection | None = None
        self.timer_dues: dict[str, datetime] = timer_dues if timer_dues is not None else {}
        self.completed_steps: set[str] = completed if completed is not None else set()
        self.fired_timer_tasks: set[str] = set()
        self.finished_tasks: set[str] = set()  # user tasks completed or withdrawn: their reminders go
        # Who answers for a failing step: a person's action is refused; the engine's own (a timer, a retry)
        # and any service task open an incident instead.
        self.by_engine = by_engine
        self.failed_tasks: set[str] = set()
        self.completed_reported = False
        self.advanced = False  # whether this change has moved the workflow at all
        self.workflow = workflow if workflow is not None else BpmnWorkflow(model.spec, model.subprocess_specs)
        self.workflow.script_engine = SopflowScriptEngine(_StepClock(self), calendar, self._call_service)

    def _emit(self, effect: Effect) -> None:
        assert self.projection is not None, "a Stepper needs its projection before it steps"
        self.projection.apply(effect)

    def _call_service(self, task: SpiffTask, operation: str, params: dict[str, Any]) -> Any:
        assert self.projection is not None
        result = self.projection.call_service(task, operation, params)
        self._emit(ServiceCompleted(str(task.id), task.task_spec.bpmn_id, operation, params, result))
        return result

    def honour_overdue_timers(self) -> None:
        """A timer whose due time passed while no scheduler ran fires before anything else changes."""
        if any(due <= self.now for due in self.timer_dues.values()):
            self.advance()

    def advance(self) -> None:
        """Run engine tasks (gateways, due timers, service tasks) until only people or time can move on."""
        self.advanced = True
        while True:
            try:
                self.workflow.do_engine_steps(did_complete_task=self._record_engine_task)
            except Exception as error:
                self._step_failed(error)
                continue
            ready, engine_ready, waiting = scan(self.workflow)
            if not engine_ready:
                break
        self._sync_tasks(ready)
        self._sync_timers(waiting)

    def report_completion(self) -> None:
        """InstanceCompleted once, when the workflow has reached its end."""
        if self.workflow.is_completed() and not self.completed_reported:
            self.completed_reported = True
            self._emit(InstanceCompleted())

    def _failed_task(self, error: Exception) -> SpiffTask:
        """The task SpiffWorkflow left in ERROR for this failure; the error itself when there is none."""
        failed = [t for t in self.workflow.get_tasks(state=TaskState.ERROR) if str(t.id) not in self.failed_tasks]
        if not failed:
            raise error
        self.failed_tasks.add(str(failed[0].id))
        return failed[0]

    def _step_failed(self, error: Exception) -> None:
        """Refuse a person's action, or report an incident for the failed task."""
        assert self.projection is not None
        message = self.projection.failure_message(error)
        task = self._failed_task(error)
        element_id, name = element_of(task)
        if not (self.by_engine or isinstance(task.task_spec, ServiceTask)):
            raise StepFailed("Step %(step)s could not be run: %(reason)s. Nothing was saved.", step=name,
                             reason=message) from error
        self._emit(StepFailedHere(str(task.id), element_id, name, message))

    def _record_engine_task(self, task: SpiffTask) -> None:
        spec = task.task_spec
        if isinstance(spec, ExclusiveGateway) and len(spec.outputs) > 1 and task.children:
            target = _diagram_node(task.children[0].task_spec).bpmn_id
            self._emit(GatewayTaken(str(task.id), spec.bpmn_id, spec.bpmn_name,
                                    self.model.flow_names.get((spec.bpmn_id, target)), target,
                                    self.model.names.get(target, target)))
        elif is_clocked_timer(task):
            due = timer_due(task)
            self.fired_timer_tasks.add(str(task.id))
            self._emit(TimerFired(str(task.id), spec.bpmn_id, spec.bpmn_name, due,
                                  round((self.now - due).total_seconds(), 3)))

    def _deadline_of(self, task: SpiffTask) -> datetime | None:
        """The due time of the earliest clocked boundary timer attached to a user task."""
        return min((timer_due(t) for t in _attached(task) if t.state == TaskState.WAITING and is_clocked_timer(t)),
                   default=None)

    def _sync_tasks(self, ready: dict[str, SpiffTask]) -> None:
        assert self.projection is not None
        open_ids = self.projection.open_task_ids()
        for task_id in open_ids - set(ready):
            self.finished_tasks.add(task_id)
            self._emit(TaskWithdrawn(task_id))
        for task_id, task in ready.items():
            if task_id in open_ids:
                continue
            step = self.model.steps[task.task_spec.bpmn_id]
            self._emit(TaskReady(
                task, step, self.role_for_lane(step.lane), label(step.opd_expression, task.data),
                label(step.label_expression, task.data), label(step.dip_class_expression, task.data),
                self._deadline_of(task), step.spec_id in self.completed_steps,
            ))

    def _sync_timers(self, waiting: dict[str, SpiffTask]) -> None:
        """The timers known before this change against those waiting now; the reminders of user tasks finished
        in this change go with them."""
        stored, current = set(self.timer_dues), set(waiting)
        finished, self.finished_tasks = self.finished_tasks, set()
        if current == stored and not finished:
            return
        gone = stored - current
        fired = gone & self.fired_timer_tasks
        if gone or finished:
            self._emit(TimersSettled(frozenset(fired), frozenset((gone - fired) | finished)))
        for task_id in current - stored:
            task = waiting[task_id]
            self._emit(TimerWaiting(task_id, task.task_spec.bpmn_name or task.task_spec.bpmn_id, timer_due(task)))
        self.timer_dues = {task_id: timer_due(task) for task_id, task in waiting.items()}

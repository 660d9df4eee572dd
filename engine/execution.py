"""Running one instance's workflow inside one transaction and bringing its queryable columns, work items,
timers and events in line with what SpiffWorkflow did."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.context import EngineContext, LiveWorkflow
from engine.diagram import ProcessModel, StepSpec, read_diagram
from engine.errors import NotFound, SopflowError, StepFailed
from engine.events import GENESIS, append_event
from engine.expressions import label
from engine.incident_records import database_error, failure_reason, record_failure, undone_on_failure
from engine.notices import mail_lane, notify_returned
from engine.outbox import deliver_after_commit
from engine.reminders import schedule_reminder
from engine.services import ServiceCall
from engine.spiff import CLOCKED_TIMERS, SopflowScriptEngine, dump_workflow, load_workflow
from engine.store import Definition, Instance, Timer, WorkItem

OPEN_STATUSES = ("ready", "claimed")


def process_model(ctx: EngineContext, session: Session, definition_id: int) -> ProcessModel:
    """The parsed diagram of a definition, parsed once per process."""
    model = ctx.models.get(definition_id)
    if model is None:
        definition = session.get(Definition, definition_id)
        if definition is None:
            raise NotFound("There is no process version %(id)s.", id=definition_id)
        model = read_diagram(definition.bpmn_xml.encode("utf-8"), f"{definition.process_id}.bpmn")
        ctx.models[definition_id] = model
    return model


def latest_definition(session: Session, process_id: str) -> Definition:
    definition = session.scalars(
        select(Definition).where(Definition.process_id == process_id).order_by(Definition.version.desc()).limit(1)
    ).first()
    if definition is None:
        raise NotFound("Process %(process)r is not deployed.", process=process_id)
    return definition


def begin_instance(
    ctx: EngineContext,
    session: Session,
    definition: Definition,
    actor: str,
    data: dict[str, Any] | None = None,
    parent_id: int | None = None,
    **trigger: Any,
) -> InstanceRun:
    """Create an instance of `definition` with its start data and run it to its first wait, within the
    caller's transaction."""
    execution = InstanceRun.start(ctx, session, definition, actor, parent_id)
    if data:
        start = execution.workflow.get_next_task(state=TaskState.READY)
        assert start is not None
        start.data.update(data)
    execution.event("instance_started", process=definition.process_id, version=definition.version,
                    definition_id=definition.id, parent_id=parent_id, data=data or {}, **trigger)
    execution.advance()
    execution.save()
    return execution


def enter_step_data(task: SpiffTask, data: dict[str, Any], cleared: list[str]) -> None:
    """A step's submitted data enters the workflow; `cleared` fields lose the value an earlier round left."""
    for name in cleared:
        task.data.pop(name, None)
    task.data.update(data)


def _timer_due(task: SpiffTask) -> datetime:
    """A waiting clocked timer always knows its due time: it computes it when it starts waiting."""
    return datetime.fromisoformat(task._get_internal_data("event_value"))


def _is_clocked_timer(task: SpiffTask) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), CLOCKED_TIMERS)


def _scan(workflow: BpmnWorkflow) -> tuple[dict[str, SpiffTask], bool, dict[str, SpiffTask]]:
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
        elif _is_clocked_timer(task):
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


class _RunClock:
    """The moment of one state change: due times computed during it start from the same `now` as its events,
    so that a replay of the log computes them again exactly."""

    def __init__(self, run: InstanceRun) -> None:
        self.run = run

    def now(self) -> datetime:
        return self.run.now


class InstanceRun:
    """One state change of one instance: load, act on the workflow, `advance`, `save`, commit, `finish`."""

    def __init__(
        self,
        ctx: EngineContext,
        session: Session,
        instance: Instance,
        model: ProcessModel,
        actor: str,
        live: LiveWorkflow | None = None,
        by_engine: bool = False,
    ) -> None:
        self.ctx = ctx
        self.session = session
        self.instance = instance
        self.model = model
        self.actor = actor
        self.now = ctx.clock.now()
        self.after_commit: list[Callable[[], None]] = []
        self.fired_timer_tasks: set[str] = set()
        self.finished_tasks: set[str] = set()  # user tasks completed or withdrawn: their reminders go
        self._new_timers: list[Timer] = []
        self.timer_dues: dict[str, datetime] = live.timer_dues if live is not None else {}
        self.completed_steps: set[str] = live.completed_steps if live is not None else set()
        self._open_items: list[WorkItem] | None = None
        # Who answers for a failing step: a person's action is refused; the engine's own (a timer, a retry)
        # and any service task open an incident instead.
        self.by_engine = by_engine
        self.failed_tasks: set[str] = set()
        workflow = live.workflow if live is not None else BpmnWorkflow(model.spec, model.subprocess_specs)
        workflow.script_engine = SopflowScriptEngine(_RunClock(self), ctx.settings.calendar, self._call_service)
        self.workflow = workflow

    @classmethod
    def load(
        cls, ctx: EngineContext, session: Session, instance_id: int, actor: str, by_engine: bool = False
    ) -> InstanceRun:
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound("There is no item %(id)s.", id=instance_id)
        if instance.status != "running":
            if instance.status == "cancelled":
                raise SopflowError("Item %(id)s was cancelled; nothing can change it.", id=instance_id)
            raise SopflowError("Item %(id)s is finished; nothing can change it.", id=instance_id)
        model = process_model(ctx, session, instance.definition_id)
        live = ctx.workflows.take(instance.id, instance.revision)
        if live is None:
            workflow = load_workflow(instance.state, model.spec, model.subprocess_specs)
            _, _, waiting = _scan(workflow)
            live = LiveWorkflow(workflow, {task_id: _timer_due(task) for task_id, task in waiting.items()},
                                completed_steps(workflow))
        execution = cls(ctx, session, instance, model, actor, live, by_engine)
        execution.honour_overdue_timers()
        return execution

    @classmethod
    def start(
        cls, ctx: EngineContext, session: Session, definition: Definition, actor: str, parent_id: int | None = None
    ) -> InstanceRun:
        now = ctx.clock.now()
        instance = Instance(
            definition_id=definition.id,
            process_id=definition.process_id,
            parent_id=parent_id,
            status="running",
            started_by=actor,
            last_actor=actor,
            started_at=now,
            updated_at=now,
            state="",
            last_event_hash=GENESIS,
        )
        session.add(instance)
        session.flush()
        return cls(ctx, session, instance, process_model(ctx, session, definition.id), actor)

    def event(self, type: str, task_id: str | None = None, **payload: Any) -> None:
        append_event(
            self.session,
            process_id=self.instance.process_id,
            type=type,
            actor=self.actor,
            at=self.now,
            instance=self.instance,
            task_id=task_id,
            payload=payload,
        )

    def _call_service(self, task: SpiffTask, operation: str, params: dict[str, Any]) -> Any:
        handler = self.ctx.handlers.get(operation)
        if handler is None:
            raise SopflowError("No handler is registered for the service operation %(operation)r.", operation=operation)
        call = ServiceCall(self.ctx, self.session, self.instance, task, operation, params, self.actor, self.now,
                           self.after_commit)
        with undone_on_failure(self.session, self.instance, self.after_commit):
            result = handler(call)
        # A handler's result enters the workflow's data; recorded so that a replay gets the same answer.
        self.event("service_completed", str(task.id), spec=task.task_spec.bpmn_id, operation=operation,
                   params=params, result=result)
        return result

    def honour_overdue_timers(self) -> None:
        """A timer whose due time passed while no scheduler ran fires before anything else changes."""
        if any(due <= self.now for due in self.timer_dues.values()):
            self.advance()

    def advance(self) -> None:
        """Run engine tasks (gateways, due timers, service tasks) until only people or time can move on."""
        while True:
            try:
                self.workflow.do_engine_steps(did_complete_task=self._record_engine_task)
            except Exception as error:
                self._step_failed(error)
                continue
            ready, engine_ready, waiting = _scan(self.workflow)
            if not engine_ready:
                break
        self._sync_work_items(ready)
        self._sync_timers(waiting)

    def _failed_task(self, error: Exception) -> SpiffTask:
        """The task SpiffWorkflow left in ERROR for this failure; the error itself when there is none."""
        failed = [t for t in self.workflow.get_tasks(state=TaskState.ERROR) if str(t.id) not in self.failed_tasks]
        if not failed:
            raise error
        self.failed_tasks.add(str(failed[0].id))
        return failed[0]

    def _step_failed(self, error: Exception) -> None:
        """Refuse a person's action, or open an incident for the failed task (the instance then waits at that
        task until the incident is retried)."""
        lost = database_error(error)
        if lost is not None:
            raise lost
        task, reason = self._failed_task(error), failure_reason(error)
        element_id, name = element_of(task)
        if not (self.by_engine or isinstance(task.task_spec, ServiceTask)):
            raise StepFailed("Step %(step)s could not be run: %(reason)s. Nothing was saved.", step=name,
                             reason=reason) from error
        record_failure(self.session, process_id=self.instance.process_id, instance=self.instance,
                       element_id=element_id, element_name=name, message=reason, actor=self.actor, now=self.now,
                       task_id=str(task.id))

    def _record_engine_task(self, task: SpiffTask) -> None:
        spec = task.task_spec
        if isinstance(spec, ExclusiveGateway) and len(spec.outputs) > 1 and task.children:
            target = _diagram_node(task.children[0].task_spec).bpmn_id
            flow = self.model.flow_names.get((spec.bpmn_id, target))
            self.event(
                "gateway_decision",
                str(task.id),
                gateway=spec.bpmn_id,
                gateway_name=spec.bpmn_name,
                flow=flow,
                target=target,
                target_name=self.model.names.get(target, target),
            )
        elif _is_clocked_timer(task):
            due = _timer_due(task)
            self.fired_timer_tasks.add(str(task.id))
            self.event(
                "timer_fired",
                str(task.id),
                timer=spec.bpmn_id,
                timer_name=spec.bpmn_name,
                due_at=due.isoformat(),
                late_by_seconds=round((self.now - due).total_seconds(), 3),
            )

    def _deadline_of(self, task: SpiffTask) -> datetime | None:
        """The due time of the earliest clocked boundary timer attached to a user task."""
        siblings = task.parent.children if task.parent is not None else []
        return min(
            (_timer_due(t) for t in siblings if t.state == TaskState.WAITING and _is_clocked_timer(t)), default=None
        )

    def _new_work_item(self, task: SpiffTask, step: StepSpec) -> WorkItem:
        return WorkItem(
            id=str(task.id),
            instance_id=self.instance.id,
            process_id=self.instance.process_id,
            spec_id=step.spec_id,
            name=step.name,
            step=step.step,
            lane=step.lane,
            role=self.ctx.settings.role_for_lane(step.lane),
            opd=label(step.opd_expression, task.data),
            item_label=label(step.label_expression, task.data),
            dip_class=label(step.dip_class_expression, task.data),
            status="ready",
            time_standard=step.time_standard,
            ready_at=self.now,
            due_at=self._deadline_of(task),
        )

    def open_items(self) -> list[WorkItem]:
        """Open work items as this transaction sees them (changes not yet flushed included)."""
        with self.session.no_autoflush:
            rows = self.session.scalars(
                select(WorkItem).where(WorkItem.instance_id == self.instance.id, WorkItem.status.in_(OPEN_STATUSES))
            ).all()
        unflushed = [o for o in self.session.new if isinstance(o, WorkItem) and o.instance_id == self.instance.id]
        return [item for item in (*rows, *unflushed) if item.status in OPEN_STATUSES]

    def _sync_work_items(self, ready: dict[str, SpiffTask]) -> None:
        stored = {item.id: item for item in self.open_items()}
        self._open_items = [item for task_id, item in stored.items() if task_id in ready]
        for task_id, item in stored.items():
            if task_id not in ready:
                item.status, item.finished_at = "withdrawn", self.now
                self.finished_tasks.add(task_id)
                self.event("task_withdrawn", task_id, name=item.name, lane=item.lane)
        for task_id, task in ready.items():
            if task_id in stored:
                continue
            step = self.model.steps[task.task_spec.bpmn_id]
            item = self._new_work_item(task, step)
            returned = step.spec_id in self.completed_steps
            mail = (notify_returned(self.session, self.ctx.policy, item, self.now, self.actor) if returned
                    else mail_lane(self.session, item, self.now, self.actor))
            if mail is not None:
                self.after_commit.append(deliver_after_commit(self.ctx, mail))
            self.session.add(item)
            reminder = schedule_reminder(self.ctx, self.session, item)
            if reminder is not None:
                self.announce(reminder)
            self._open_items.append(item)
            self.event(
                "task_ready",
                task_id,
                spec=step.spec_id,
                name=step.name,
                step=step.step,
                lane=step.lane,
                role=item.role,
                opd=item.opd,
                item=item.item_label,
                due_at=item.due_at.isoformat() if item.due_at else None,
                time_standard=step.time_standard,
                returned=returned,
            )

    def _sync_timers(self, waiting: dict[str, SpiffTask]) -> None:
        """Timer rows follow the workflow's waiting timers; the rows pending before are those waiting at load.
        The reminders of user tasks finished in this change are cancelled by the same statement."""
        stored, current = set(self.timer_dues), set(waiting)
        finished, self.finished_tasks = self.finished_tasks, set()
        if current == stored and not finished:
            return
        gone = stored - current
        fired = gone & self.fired_timer_tasks
        for task_ids, values in (
            (fired, {"status": "fired", "fired_at": self.now, "fired_by": self.actor}),
            ((gone - fired) | finished, {"status": "cancelled"}),
        ):
            if task_ids:
                self.session.execute(
                    update(Timer)
                    .where(Timer.spiff_task_id.in_(task_ids), Timer.status == "pending")
                    .values(**values)
                    .execution_options(synchronize_session=False, autoflush=False)  # save() writes the instance once
                )
        for task_id in current - stored:
            task = waiting[task_id]
            due = _timer_due(task)
            timer = Timer(
                kind="event",
                process_id=self.instance.process_id,
                instance_id=self.instance.id,
                spiff_task_id=task_id,
                name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                due_at=due,
                status="pending",
            )
            self.session.add(timer)
            self._new_timers.append(timer)
        self.timer_dues = {task_id: _timer_due(task) for task_id, task in waiting.items()}

    def announce(self, timer: Timer) -> None:
        """Tell the scheduler about this timer's due time once the change is committed."""
        self._new_timers.append(timer)

    def save(self) -> None:
        """Write the workflow and the columns lists read; flushing checks the revision."""
        instance = self.instance
        if self.workflow.is_completed() and instance.status == "running":
            instance.status, instance.finished_at = "completed", self.now
            self.event("instance_completed")
        open_items = sorted(
            self._open_items if self._open_items is not None else self.open_items(),
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
        instance.state = dump_workflow(self.workflow)
        self.session.flush()

    def finish(self) -> None:
        """After commit: keep the live workflow, tell the scheduler about new due times, run side effects."""
        if self.instance.status == "running":
            live = LiveWorkflow(self.workflow, self.timer_dues, self.completed_steps)
            self.ctx.workflows.put(self.instance.id, self.instance.revision, live)
        for timer in self._new_timers:
            self.ctx.announce_timer(timer.id, timer.due_at)
        for action in self.after_commit:
            action()

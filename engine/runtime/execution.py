"""Running one instance's workflow inside one transaction: the stepping core advances it, the SQL projection
brings its queryable columns, work items, timers and events in line with what it did."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session, defer

from engine.audit.events import GENESIS
from engine.context import EngineContext, LiveWorkflow
from engine.database import held_as_loaded
from engine.diagrams.diagram import ProcessModel
from engine.diagrams.validation import read_diagram
from engine.errors import NotFound, SopflowError
from engine.runtime.projection import SqlProjection
from engine.runtime.spiff import dump_workflow, load_workflow
from engine.runtime.stepping import Stepper, completed_steps, scan, timer_due
from engine.store import Definition, Instance, Timer, WorkItem

_INSTANCES = cast(Table, Instance.__table__)
_NEW_INSTANCE_COLUMNS = tuple(column.key for column in _INSTANCES.columns if column.key != "id")
_INSERT_INSTANCE = insert(_INSTANCES).returning(_INSTANCES.c.id)


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


def newest_definitions(session: Session) -> list[Definition]:
    """The newest version of every deployed process, by process id."""
    newest = select(Definition.process_id, func.max(Definition.version).label("version")).group_by(
        Definition.process_id).subquery()
    return list(session.scalars(
        select(Definition)
        .join(newest, (Definition.process_id == newest.c.process_id) & (Definition.version == newest.c.version))
        .order_by(Definition.process_id)
    ))


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


class InstanceRun:
    """One state change of one instance: load, act on the workflow, `advance`, `save`, commit, `finish`. The
    stepping core (engine/runtime/stepping.py) advances the workflow; the SQL projection
    (engine/runtime/projection.py) writes what it did in the caller's transaction."""

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
        self.stepper = Stepper(model, live.workflow if live is not None else None, ctx.clock.now(),
                               ctx.settings.calendar, ctx.settings.role_for_lane,
                               live.timer_dues if live is not None else None,
                               live.completed_steps if live is not None else None, by_engine)
        self.projection = SqlProjection(ctx, session, instance, actor, self.stepper)
        self.stepper.projection = self.projection

    @property
    def model(self) -> ProcessModel:
        return self.stepper.model

    @property
    def workflow(self) -> BpmnWorkflow:
        return self.stepper.workflow

    @property
    def now(self) -> datetime:
        return self.stepper.now

    @property
    def actor(self) -> str:
        return self.projection.actor

    @property
    def after_commit(self) -> list[Callable[[], None]]:
        return self.projection.after_commit

    @property
    def completed_steps(self) -> set[str]:
        return self.stepper.completed_steps

    @property
    def fired_timer_tasks(self) -> set[str]:
        return self.stepper.fired_timer_tasks

    @property
    def finished_tasks(self) -> set[str]:
        return self.stepper.finished_tasks

    @classmethod
    def load(
        cls, ctx: EngineContext, session: Session, instance_id: int, actor: str, by_engine: bool = False,
        claimed_timer: str | None = None,
    ) -> InstanceRun:
        """`claimed_timer`: the task of a timer row the caller has marked fired, to fire now."""
        # The stored state is read only when the live workflow is not in memory (it is most of the row).
        instance = session.get(Instance, instance_id, options=[defer(Instance.state)])
        if instance is None:
            raise NotFound("There is no item %(id)s.", id=instance_id)
        return cls.resume(ctx, session, instance, actor, by_engine, claimed_timer=claimed_timer)

    @classmethod
    def resume(
        cls, ctx: EngineContext, session: Session, instance: Instance, actor: str, by_engine: bool = False,
        open_items: list[WorkItem] | None = None, claimed_timer: str | None = None,
    ) -> InstanceRun:
        """A change of an instance already read in this transaction (and its open items, when read with it)."""
        instance_id = instance.id
        if instance.status != "running":
            if instance.status == "cancelled":
                raise SopflowError("Item %(id)s was cancelled; nothing can change it.", id=instance_id)
            raise SopflowError("Item %(id)s is finished; nothing can change it.", id=instance_id)
        model = process_model(ctx, session, instance.definition_id)
        live = ctx.workflows.take(instance.id, instance.revision)
        if live is None:
            workflow = load_workflow(instance.state, model.spec, model.subprocess_specs)
            _, _, waiting = scan(workflow)
            live = LiveWorkflow(workflow, {task_id: timer_due(task) for task_id, task in waiting.items()},
                                completed_steps(workflow))
        execution = cls(ctx, session, instance, model, actor, live, by_engine)
        if open_items is not None:
            execution.projection.knows_open_items(open_items)
        if claimed_timer is not None:  # it fires with the workflow's timer; its row needs no settling
            execution.stepper.fired_timer_tasks.add(claimed_timer)
            execution.projection.claimed_timers.add(claimed_timer)
        execution.honour_overdue_timers()
        return execution

    @classmethod
    def start(
        cls, ctx: EngineContext, session: Session, definition: Definition, actor: str, parent_id: int | None = None
    ) -> InstanceRun:
        now = ctx.clock.now()
        values: dict[str, Any] = dict.fromkeys(_NEW_INSTANCE_COLUMNS) | {
            "definition_id": definition.id, "process_id": definition.process_id, "parent_id": parent_id,
            "status": "running", "started_by": actor, "last_actor": actor, "started_at": now, "updated_at": now,
            "state": "", "last_event_hash": GENESIS, "revision": 1}
        # Written by Core (no unit of work), then held by the session as if loaded.
        instance = held_as_loaded(session, Instance(id=session.connection().execute(_INSERT_INSTANCE, values)
                                                    .scalar_one(), **values))
        execution = cls(ctx, session, instance, process_model(ctx, session, definition.id), actor)
        execution.projection.knows_open_items([])  # a new instance has none to read
        return execution

    def event(self, type: str, task_id: str | None = None, **payload: Any) -> None:
        self.projection.event(type, task_id, **payload)

    def honour_overdue_timers(self) -> None:
        self.stepper.honour_overdue_timers()

    def advance(self) -> None:
        self.stepper.advance()

    def close_item(self, item: WorkItem, status: str, by: str | None = None) -> None:
        self.projection.close_item(item, status, by)

    def announce(self, timer: Timer) -> None:
        """Tell the scheduler about this timer's due time once the change is committed."""
        self.projection.new_timers.append(timer)

    def save(self) -> None:
        """Write the workflow and the columns lists read; the update checks the revision."""
        if self.instance.status == "running":
            self.stepper.report_completion()
        self.projection.write_columns(dump_workflow(self.workflow))

    def put_back(self) -> None:
        """A change that ends before acting (its transaction rolled back) returns the live workflow it took, when
        nothing has moved it, so the next change need not read it again."""
        if not self.stepper.advanced:
            live = LiveWorkflow(self.workflow, self.stepper.timer_dues, self.completed_steps)
            self.ctx.workflows.put(self.instance.id, self.instance.revision, live)

    def finish(self) -> None:
        """After commit: keep the live workflow, tell the scheduler about new due times, run side effects."""
        if self.instance.status == "running":
            live = LiveWorkflow(self.workflow, self.stepper.timer_dues, self.completed_steps)
            self.ctx.workflows.put(self.instance.id, self.instance.revision, live)
        for timer in self.projection.new_timers:
            if timer.status == "pending":
                self.ctx.announce_timer(timer.id, timer.due_at)
        for action in self.after_commit:
            action()

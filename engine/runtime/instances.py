"""Instances and their tasks: start, list, claim, release, complete, cancel, read."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, defer, undefer
from sqlalchemy.orm.exc import StaleDataError

from engine.audit.events import instance_history
from engine.context import EngineContext
from engine.diagrams.diagram import StepSpec
from engine.diagrams.forms import FieldError, ItemRules, validate_submission
from engine.errors import InvalidInput, InvalidTaskData, NotAllowed, NotFound, SopflowError, TaskConflict
from engine.people.offices import active_office_names
from engine.people.policy import Ability, Person
from engine.people.users import SYSTEM_ACTOR, get_actor
from engine.runtime.execution import (
    InstanceRun,
    begin_instance,
    latest_definition,
    newest_definitions,
    process_model,
)
from engine.runtime.incident_records import close_with_instance
from engine.runtime.spiff import load_workflow
from engine.runtime.stepping import enter_step_data
from engine.store import OPEN_STATUSES, Event, Instance, WorkItem

T = TypeVar("T")


def _conflict_safe(operation: Callable[[], T]) -> T:
    """Turn a lost optimistic-lock race into a TaskConflict; the transaction has been rolled back."""
    try:
        return operation()
    except StaleDataError as error:
        raise TaskConflict("the task or instance was changed by someone else meanwhile; reload and retry") from error


def _person(session: Session, actor: str | Person) -> Person | None:
    """The acting person as the policy reads them (None for the system actor), or the person a request has
    already read, taken as it is."""
    if not isinstance(actor, str):
        return actor
    if actor == SYSTEM_ACTOR:
        return None
    try:
        return get_actor(session, actor)
    except NotFound as error:
        raise NotAllowed("Unknown user %(user)s.", user=actor) from error


def _check_lane(ctx: EngineContext, user: Person | None, lane: str | None, opd: str | None) -> None:
    """The system actor may do anything; a person only what the policy allows."""
    if user is not None:
        ctx.policy.check_work(user, lane, opd)


def start_instance(ctx: EngineContext, process_id: str, actor: str = SYSTEM_ACTOR) -> Instance:
    """Start the newest version of a process. The actor needs the role of the start event's lane."""

    def run() -> InstanceRun:
        with ctx.db.session() as session:
            definition = latest_definition(session, process_id)
            model = process_model(ctx, session, definition.id)
            if model.engine_started:
                raise NotAllowed("%(name)s is started by the engine only, never by hand.", name=model.name)
            _check_lane(ctx, _person(session, actor), model.start_lane, None)
            return begin_instance(ctx, session, definition, actor, trigger="manual")

    execution = run()
    execution.finish()
    return execution.instance


@dataclass(frozen=True)
class Startable:
    process_id: str
    name: str
    version: int
    deployed_at: datetime


def startable_processes(ctx: EngineContext, person: Person) -> list[Startable]:
    """The deployed processes `person` may start by hand, newest versions: neither started by the engine nor by
    their own calendar (those have their own controls), and the person has the role of the start lane."""
    with ctx.db.session() as session:
        models = [(definition, process_model(ctx, session, definition.id))
                  for definition in newest_definitions(session)]
    return [Startable(model.process_id, model.name, definition.version, definition.deployed_at)
            for definition, model in models if model.start_cycle is None and not model.engine_started
            and ctx.policy.may_work(person, ctx.policy.lane_roles.get(model.start_lane or ""), None)]


def _open_item(session: Session, task_id: str) -> WorkItem:
    return _still_open(session.get(WorkItem, task_id), task_id)


def _still_open(item: WorkItem | None, task_id: str) -> WorkItem:
    if item is None:
        raise NotFound("There is no task %(id)s.", id=task_id)
    if item.status not in OPEN_STATUSES:
        if item.status == "completed" and item.finished_by:
            raise TaskConflict("Task %(name)s was already completed by %(user)s.", name=item.name,
                               user=item.finished_by)
        raise TaskConflict("Task %(name)s is closed: the item has moved on or was cancelled.", name=item.name)
    return item


def _claim_or_release(ctx: EngineContext, task_id: str, actor: str, claim: bool) -> WorkItem:
    def run() -> tuple[WorkItem, InstanceRun]:
        with ctx.db.session() as session:
            item = _open_item(session, task_id)
            _check_lane(ctx, _person(session, actor), item.lane, item.opd)
            if claim and item.claimed_by is not None:
                raise TaskConflict("Task %(name)s is already claimed by %(user)s.", name=item.name,
                                   user=item.claimed_by)
            if not claim and item.claimed_by != actor:
                raise NotAllowed("Task %(name)s is not claimed by %(user)s.", name=item.name, user=actor)
            execution = InstanceRun.load(ctx, session, item.instance_id, actor)
            item.status = "claimed" if claim else "ready"
            item.claimed_by = actor if claim else None
            item.claimed_at = execution.now if claim else None
            execution.event("task_claimed" if claim else "task_released", task_id, name=item.name)
            execution.save()
            return item, execution

    item, execution = _conflict_safe(run)
    execution.finish()
    return item


def claim_task(ctx: EngineContext, task_id: str, actor: str) -> WorkItem:
    return _claim_or_release(ctx, task_id, actor, claim=True)


def release_task(ctx: EngineContext, task_id: str, actor: str) -> WorkItem:
    return _claim_or_release(ctx, task_id, actor, claim=False)


URL_CHECK_KEY = "pemeriksaan_tautan"


def check_address(ctx: EngineContext, url: str) -> dict[str, Any]:
    """Request `url` through the engine's checker (engine.runtime.outbound unless injected): status, time taken,
    when."""
    if ctx.url_checker is None:
        raise SopflowError("This installation has no address checker.")
    return {**ctx.url_checker(url), "checked_at": ctx.clock.now().isoformat()}


def _address_problem(result: dict[str, Any]) -> FieldError | None:
    """Why the checked address cannot confirm publication, or None."""
    if result["error"]:
        return FieldError(result["error"])
    if not result["ok"]:
        return FieldError("The website answered HTTP %(status)s, not a page that can be read.",
                          {"status": result["status"]})
    return None


class _AddressToCheck(Exception):
    """Raised inside the completion's transaction (which then rolls back, having written nothing) when the step
    asks the server to request an address: the request may take seconds, so it is made outside any transaction
    and the completion runs again with its answer."""

    def __init__(self, step: StepSpec, address: str, must_pass: bool) -> None:
        super().__init__(address)
        self.step, self.address, self.must_pass = step, address, must_pass


def _address_to_check(step: StepSpec, cleaned: dict[str, Any], task_data: dict[str, Any]) -> _AddressToCheck | None:
    """For a step with `periksa_tautan` whose form is valid: the address to request. When the diagram's
    `periksa_tautan.wajib_lolos` holds, the address must answer 2xx on the PPID website and equal the earlier
    address (`periksa_tautan.sama_dengan`) or the form says why it differs (`periksa_tautan.alasan_beda`)."""
    address = cleaned.get(step.url_check_field) if step.url_check_field is not None else None
    if not isinstance(address, str):
        return None
    must_pass = step.url_check_must_pass(cleaned)
    if must_pass and step.url_same_as and step.url_differs_reason:
        earlier = task_data.get(step.url_same_as)
        if earlier and earlier != address and not cleaned.get(step.url_differs_reason):
            raise InvalidTaskData("The address differs from the one uploaded earlier; say why.", {
                step.url_differs_reason: FieldError(
                    "is required because the address differs from the uploaded one (%(earlier)s)",
                    {"earlier": earlier})})
    return _AddressToCheck(step, address, must_pass)


def _observe(ctx: EngineContext, check: _AddressToCheck) -> dict[str, Any]:
    """Request the address (outside any transaction); what the server saw, or why the step cannot complete."""
    step = check.step
    result = check_address(ctx, check.address)
    problem = _address_problem(result) if check.must_pass else None
    if problem is not None and step.url_check_when is None:
        raise InvalidTaskData("The address is not accessible to the public, so step %(step)s cannot be completed.",
                              {step.url_check_field or "": problem}, step=step.step or "-")
    if problem is not None:
        question, other = _way_back(step)
        raise InvalidTaskData(
            "The address is not accessible to the public, so step %(step)s cannot be completed. Correct the "
            "address, or answer \"%(question)s\" with \"%(other)s\" and give the reason to send the item back.",
            {step.url_check_field or "": problem}, step=step.step or "-", question=question, other=other)
    return {URL_CHECK_KEY: result}


def _way_back(step: StepSpec) -> tuple[str, str]:
    """The question whose other answer sends the item back, and that answer, for the refusal message."""
    name, value = step.url_check_when or ("", "")
    asked = next((f for f in step.fields if f.name == name), None)
    others = [choice for choice in (asked.choices if asked else ()) if choice != value]
    return (asked.label if asked else name), (asked.label_of(others[0]) if asked and others else "-")


# The task, its instance's other open tasks, and the instance (without its state: most of the row, read only
# when the workflow is not in memory), in one statement.
_TASK_AND_INSTANCE = (
    select(WorkItem, Instance).join(Instance, Instance.id == WorkItem.instance_id)
    .where(WorkItem.instance_id == select(WorkItem.instance_id).where(WorkItem.id == bindparam("task_id"))
           .scalar_subquery(),
           or_(WorkItem.id == bindparam("task_id"), WorkItem.status.in_(OPEN_STATUSES)))
    .options(defer(Instance.state))
)


def complete_task(ctx: EngineContext, task_id: str, data: dict[str, Any], actor: str | Person) -> WorkItem:
    """Complete a user task with the data its step requires. Exactly one of two racing completions wins. `actor`
    is a username, or the person a request has already read (then not read again)."""
    username = actor if isinstance(actor, str) else actor.username

    def run(observed: dict[str, Any] | None) -> tuple[WorkItem, InstanceRun]:
        with ctx.db.session() as session:
            found = session.execute(_TASK_AND_INSTANCE, {"task_id": task_id}).tuples().all()
            item = _still_open(next((row for row, _ in found if row.id == task_id), None), task_id)
            _check_lane(ctx, _person(session, actor), item.lane, item.opd)
            if item.claimed_by not in (None, username):
                raise NotAllowed("Task %(name)s is claimed by %(user)s.", name=item.name, user=item.claimed_by)
            execution = InstanceRun.resume(ctx, session, found[0][1], username,
                                           open_items=[row for row, _ in found if row.status in OPEN_STATUSES])
            step = execution.model.steps[item.spec_id]
            today = execution.now.astimezone(ctx.settings.calendar.timezone).date()
            cleaned = validate_submission(step.fields, data, ItemRules(partial(active_office_names, session), today))
            task = execution.workflow.get_task_from_id(UUID(task_id))
            if task is None or task.state != TaskState.READY:
                raise TaskConflict("Task %(name)s is no longer ready.", name=item.name)
            if observed is None:
                check = _address_to_check(step, cleaned, task.data)
                if check is not None:
                    execution.put_back()
                    raise check
            cleaned.update(observed or {})
            # A new round never carries an earlier round's value forward; the event says what was cleared so
            # that a replay clears the same.
            cleared = sorted(f.name for f in step.fields if f.name in task.data and f.name not in cleaned)
            enter_step_data(task, cleaned, cleared)
            task.run()
            execution.completed_steps.add(item.spec_id)
            execution.finished_tasks.add(task_id)
            execution.close_item(item, "completed", username)
            took = (execution.now - item.ready_at).total_seconds()
            execution.event(
                "task_completed",
                task_id,
                name=item.name,
                step=item.step,
                lane=item.lane,
                item=item.item_label,
                data=cleaned,
                cleared=cleared,
                duration_seconds=round(took, 3),
                within_time_standard=item.due_at is None or execution.now <= item.due_at,
            )
            execution.advance()
            execution.save()
            return item, execution

    try:
        item, execution = _conflict_safe(lambda: run(None))
    except _AddressToCheck as check:
        observed = _observe(ctx, check)
        item, execution = _conflict_safe(lambda: run(observed))
    execution.finish()
    return item


def cancel_instance(ctx: EngineContext, instance_id: int, actor: str, reason: str) -> Instance:
    """Cancel a running instance: its open tasks are withdrawn and its timers dropped."""

    def run() -> InstanceRun:
        with ctx.db.session() as session:
            user = _person(session, actor)
            if user is not None:
                ctx.policy.require(user, Ability.SUPERVISE)
            if not reason.strip():
                raise InvalidInput("A cancellation needs a reason.", field="reason")
            execution = InstanceRun.load(ctx, session, instance_id, actor)
            execution.workflow.cancel()
            execution.instance.status = "cancelled"
            execution.instance.finished_at = execution.now
            execution.advance()
            execution.event("instance_cancelled", reason=reason.strip())
            close_with_instance(session, execution.instance, actor, execution.now)
            execution.save()
            return execution

    execution = _conflict_safe(run)
    execution.finish()
    return execution.instance


@dataclass(frozen=True)
class TaskDetail:
    item: WorkItem
    step: StepSpec
    data: dict[str, Any]


def get_task(ctx: EngineContext, task_id: str) -> TaskDetail:
    """One task with what its step requires and the data it carries (e.g. the verifier's reasons): an open task's
    from its row, a finished one's from its log; only a row written before migration 0015 loads the workflow."""
    with ctx.db.session() as session:
        item = session.get(WorkItem, task_id, options=[undefer(WorkItem.data)])
        if item is None:
            raise NotFound("There is no task %(id)s.", id=task_id)
        instance = session.get(Instance, item.instance_id, options=[defer(Instance.state)])
        assert instance is not None
        step = process_model(ctx, session, instance.definition_id).steps[item.spec_id]
        if item.status not in OPEN_STATUSES:
            completed = session.scalars(select(Event.payload).where(
                Event.instance_id == item.instance_id, Event.task_id == task_id, Event.type == "task_completed")
                .order_by(Event.id.desc()).limit(1)).first()
            return TaskDetail(item, step, dict((completed or {}).get("data") or {}))
        if item.data is not None:
            return TaskDetail(item, step, json.loads(item.data))
        model = process_model(ctx, session, instance.definition_id)
        workflow = load_workflow(instance.state, model.spec, model.subprocess_specs)
        task = workflow.get_task_from_id(UUID(task_id))
        return TaskDetail(item, step, dict(task.data) if task is not None else {})


@dataclass(frozen=True)
class InstanceState:
    instance: Instance
    open_tasks: list[WorkItem]
    history: list[Event]


def get_instance(ctx: EngineContext, instance_id: int) -> InstanceState:
    with ctx.db.session() as session:
        instance = session.get(Instance, instance_id, options=[defer(Instance.state)])  # its history says it all
        if instance is None:
            raise NotFound("There is no item %(id)s.", id=instance_id)
        open_tasks = list(
            session.scalars(
                select(WorkItem)
                .where(WorkItem.instance_id == instance_id, WorkItem.status.in_(OPEN_STATUSES))
                .order_by(WorkItem.due_at)
            )
        )
        return InstanceState(instance, open_tasks, instance_history(session, instance_id))

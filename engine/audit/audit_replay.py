"""Deterministic replay: re-execute an instance from its event log on the definition version it ran on, and
confirm that the result equals the stored state, or name the first divergence.

The log's inputs are applied in order at the moments they happened (start data, task completions with their
data, the moments timers were fired, a cancellation); service results are taken from the log, as handlers
may read the database or send mail. Everything the engine derives (ready tasks, gateway decisions, fired
timers, withdrawals, completion) must come out of the replay exactly as logged. The replay reuses
`InstanceRun`'s stepping (advance, gateway and timer recording, work items) and never writes: its session
has no database.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit.events import instance_history
from engine.audit.replay_inputs import calendar_of, cross_migration
from engine.audit.replay_run import INCIDENT_FAILURES, Divergence, Produced, ReplayRun
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.diagrams.diagram import ProcessModel
from engine.diagrams.versions import get_version
from engine.errors import NotFound
from engine.runtime.execution import process_model
from engine.runtime.spiff import load_workflow
from engine.runtime.stepping import enter_step_data
from engine.store import OPEN_STATUSES, Event, Instance, WorkItem

DERIVED = frozenset(
    {"task_ready", "task_withdrawn", "gateway_decision", "timer_fired", "instance_completed", "service_completed",
     *INCIDENT_FAILURES}
)
INPUTS = frozenset({"instance_started", "task_completed", "task_claimed", "task_released", "instance_cancelled",
                    "incident_retried"})
COMPARED = {
    "task_ready": ("spec", "step", "lane", "opd", "item", "due_at", "time_standard", "returned"),
    "task_withdrawn": ("name",),
    "gateway_decision": ("gateway", "flow", "target"),
    "timer_fired": ("timer", "due_at", "late_by_seconds"),
    "service_completed": ("spec", "operation", "params"),
    "instance_completed": (),
    "incident_opened": ("element", "message"),
    "incident_failed_again": ("element", "message"),
}


@dataclass
class ReplayResult:
    instance_id: int
    events: int
    inputs: int
    divergence: Divergence | None = None  # the first; `str()` gives it in English, the web layer translates it
    checked: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return self.divergence is None


def _event(event: Event) -> dict[str, object]:
    """How a divergence names an event: its number, its kind (shown by its label) and its step's name."""
    name = event.payload.get("name") or event.payload.get("gateway_name") or event.payload.get("timer_name") or ""
    return {"event": event.id, "kind": event.type, "name": f": {name}" if name else ""}


def _service_elements(model: ProcessModel) -> set[str]:
    return {spec.bpmn_id for process in (model.spec, *model.subprocess_specs.values())
            for spec in process.task_specs.values() if isinstance(spec, ServiceTask)}


class _Replayer:
    """Walks the log once: inputs are applied, each derived event is matched with the next one the replay
    produced (task ids of the log are mapped to the replay's as tasks become ready)."""

    def __init__(self, ctx: EngineContext, instance: Instance, model: ProcessModel, log: list[Event],
                 version_model: Callable[[int], ProcessModel]) -> None:
        self.log = log
        self.version_model = version_model
        self.clock = ManualClock(log[0].occurred_at)
        calendar = calendar_of(log, ctx.settings.calendar)
        self.ctx = replace(ctx, clock=self.clock, settings=replace(ctx.settings, calendar=calendar))
        self.run = ReplayRun(
            self.ctx, Instance(id=instance.id, process_id=instance.process_id, status="running", title=None),
            model, log[0].actor, deque(e for e in log if e.type == "service_completed" or (
                e.type in INCIDENT_FAILURES and e.payload.get("element") in _service_elements(model))),
        )
        self.mapping: dict[str, str] = {}  # logged task id -> replay task id
        self.cancelled = False
        self.inputs = 0

    def at(self, event: Event) -> None:
        """An engine call at the event's moment by its actor: overdue timers fire first, as on load."""
        self.clock.set(event.occurred_at)
        self.run.now, self.run.actor = event.occurred_at, event.actor
        self.run.honour_overdue_timers()

    def replay(self) -> None:
        for index, event in enumerate(self.log):
            if event.type == "instance_started":
                self.start(event)
            elif event.type in ("task_completed", "task_claimed", "task_released"):
                self.expect_nothing_pending(event)
                self.at(event)
                self.expect_nothing_pending(event, timer_first=True)
                self.apply(event)
            elif event.type == "instance_cancelled":
                if not self.cancelled:
                    self.expect_nothing_pending(event)
                    self.cancel(event)
                self.expect_nothing_pending(event)
            elif event.type == "instance_migrated":
                self.expect_nothing_pending(event)
                self.migrate(event)
            elif event.type in INCIDENT_FAILURES | {"incident_retried"} and event.payload.get("timer") is not None:
                continue  # a timer whose firing failed: rolled back, nothing of it to re-execute
            elif event.type == "incident_retried":
                self.expect_nothing_pending(event)
                self.at(event)
                self.retry(event)
            elif event.type in DERIVED:
                if not self.run.produced:
                    self.call_behind(index, event)
                if not self.run.produced:
                    raise Divergence("The log records event %(event)s (%(kind)s%(name)s), which the replay does "
                                     "not produce.", event.id, **_event(event))
                self.match(event, self.run.produced.popleft())
        self.expect_nothing_pending(None)

    def start(self, event: Event) -> None:
        self.inputs += 1
        self.clock.set(event.occurred_at)
        self.run.now, self.run.actor = event.occurred_at, event.actor
        data = event.payload.get("data") or {}
        if data:
            first = self.run.workflow.get_next_task(state=TaskState.READY)
            assert first is not None
            first.data.update(data)
        self.run.advance()
        self.run.save()

    def call_behind(self, index: int, event: Event) -> None:
        """A derived event with nothing produced yet: a scheduler firing timers, or a cancellation (whose
        withdrawals are logged before the cancellation itself)."""
        if event.type == "timer_fired":
            self.inputs += 1
            self.at(event)
            self.run.save()
            return
        following = next((e for e in self.log[index:] if e.type in INPUTS), None)
        if event.type == "task_withdrawn" and following is not None and following.type == "instance_cancelled":
            self.cancel(following)

    def migrate(self, event: Event) -> None:
        """As the migration did: at its moment, without firing overdue timers first."""
        self.inputs += 1
        self.clock.set(event.occurred_at)
        self.run.now, self.run.actor = event.occurred_at, event.actor
        model = self.version_model(int(event.payload["to_version"]))
        reasons = cross_migration(self.run, self.run.open, model, event.payload, self.mapping)
        if reasons:
            raise Divergence("The replay cannot follow event %(event)s (%(kind)s%(name)s): %(reasons)s.", event.id,
                             reasons="; ".join(reasons), **_event(event))
        self.run.advance()
        self.run.save()

    def cancel(self, event: Event) -> None:
        self.inputs += 1
        self.at(event)
        self.run.workflow.cancel()
        self.run.instance.status = "cancelled"
        self.run.advance()
        self.cancelled = True

    def retry(self, event: Event) -> None:
        self.inputs += 1
        replay_id = self.mapping.get(event.task_id or "")
        task = self.run.workflow.get_task_from_id(UUID(replay_id)) if replay_id is not None else None
        if task is None or task.state != TaskState.ERROR:
            raise Divergence("Event %(event)s (%(kind)s%(name)s) retries a task that has not failed in the replay.",
                             event.id, **_event(event))
        self.run.failed_tasks.discard(str(task.id))
        task._set_state(TaskState.READY)
        self.run.advance()
        self.run.save()

    def task(self, event: Event) -> SpiffTask:
        replay_id = self.mapping.get(event.task_id or "")
        if replay_id is None:
            raise Divergence("Event %(event)s (%(kind)s%(name)s) acts on a task that was never ready in the "
                             "replay.", event.id, **_event(event))
        task = self.run.workflow.get_task_from_id(UUID(replay_id))
        if task is None or replay_id not in self.run.open:
            raise Divergence("Event %(event)s (%(kind)s%(name)s) acts on a task that is no longer open in the "
                             "replay.", event.id, **_event(event))
        return task

    def apply(self, event: Event) -> None:
        self.inputs += 1
        task = self.task(event)
        if event.type != "task_completed":
            return
        if task.state != TaskState.READY:
            raise Divergence("Event %(event)s (%(kind)s%(name)s): the task is %(state)s in the replay.", event.id,
                             state=TaskState.get_name(task.state), **_event(event))
        enter_step_data(task, event.payload.get("data") or {}, event.payload.get("cleared") or [])
        task.run()
        item = self.run.open.pop(str(task.id))
        item.status = "completed"
        self.run.completed_steps.add(item.spec_id)
        self.check_timing(event, item)
        self.run.advance()
        self.run.save()

    def check_timing(self, event: Event, item: WorkItem) -> None:
        took = round((event.occurred_at - item.ready_at).total_seconds(), 3)
        on_time = item.due_at is None or event.occurred_at <= item.due_at
        logged = event.payload
        if "duration_seconds" in logged and logged["duration_seconds"] != took:
            raise Divergence("Event %(event)s (%(kind)s%(name)s): the log says it took %(logged)s seconds, the "
                             "replay %(replayed)s.", event.id, logged=logged["duration_seconds"], replayed=took,
                             **_event(event))
        if "within_time_standard" in logged and logged["within_time_standard"] != on_time:
            raise Divergence("Event %(event)s (%(kind)s%(name)s): within the time standard is %(logged_on_time)s in "
                             "the log but %(replayed_on_time)s in the replay.", event.id,
                             logged_on_time=logged["within_time_standard"], replayed_on_time=on_time, **_event(event))

    def match(self, event: Event, produced: Produced) -> None:
        if produced.type != event.type:
            produced_name = produced.payload.get("name")
            raise Divergence("The log records event %(event)s (%(kind)s%(name)s) where the replay produces "
                             "%(produced)s%(produced_name)s.", event.id, produced=produced.type,
                             produced_name=f": {produced_name}" if produced_name else "", **_event(event))
        if produced.at != event.occurred_at:
            raise Divergence("Event %(event)s (%(kind)s%(name)s) is logged at %(logged_at)s but happens at "
                             "%(replayed_at)s in the replay.", event.id, logged_at=event.occurred_at,
                             replayed_at=produced.at, **_event(event))
        for key in COMPARED[event.type]:
            if key in event.payload and event.payload[key] != produced.payload.get(key):
                raise Divergence("Event %(event)s (%(kind)s%(name)s): %(key)s is %(logged)s in the log but "
                                 "%(replayed)s in the replay.", event.id, key=key, logged=event.payload[key],
                                 replayed=produced.payload.get(key), **_event(event))
        if event.type in {"task_ready", *INCIDENT_FAILURES} and event.task_id and produced.task_id:
            self.mapping[event.task_id] = produced.task_id
        elif event.type == "task_withdrawn" and self.mapping.get(event.task_id or "") != produced.task_id:
            raise Divergence("Event %(event)s (%(kind)s%(name)s): the replay withdraws a different task.",
                             event.id, **_event(event))

    def expect_nothing_pending(self, event: Event | None, timer_first: bool = False) -> None:
        """`timer_first`: what the replay produced came from a timer it fired before the event's action."""
        if not self.run.produced:
            return
        extra = self.run.produced[0]
        name = extra.payload.get("name") or extra.payload.get("timer_name") or extra.payload.get("gateway") or ""
        produced = {"produced": extra.type, "produced_name": f": {name}" if name else ""}
        if event is None:
            raise Divergence("After the last event the replay produces %(produced)s%(produced_name)s, which the "
                             "log does not record.", None, **produced)
        if timer_first:
            raise Divergence("Before event %(event)s (%(kind)s%(name)s) the replay fires a timer the log does not "
                             "record, and produces %(produced)s%(produced_name)s.", event.id, **produced,
                             **_event(event))
        raise Divergence("Before event %(event)s (%(kind)s%(name)s) the replay produces %(produced)s"
                         "%(produced_name)s, which the log does not record.", event.id, **produced, **_event(event))

    def compare_state(self, session: Session, instance: Instance, model: ProcessModel) -> list[str]:
        """The replay's end state against the stored one: status, open tasks, every user task's data."""
        run = self.run
        if run.instance.status != instance.status:
            raise Divergence("The item is %(status)s but the replay ends %(replayed_status)s.",
                             status=instance.status, replayed_status=run.instance.status)
        reverse = {replay_id: logged_id for logged_id, replay_id in self.mapping.items()}
        stored_open = set(session.scalars(select(WorkItem.id).where(
            WorkItem.instance_id == instance.id, WorkItem.status.in_(OPEN_STATUSES))))
        replay_open = {reverse.get(task_id, task_id) for task_id in run.open}
        if stored_open != replay_open:
            raise Divergence("The open tasks differ: %(stored)s stored, %(replayed)s in the replay.",
                             stored=", ".join(sorted(stored_open)) or "-",
                             replayed=", ".join(sorted(replay_open)) or "-")
        checked = ["status", "open tasks"]
        if not instance.state:
            return checked
        stored = load_workflow(instance.state, model.spec, model.subprocess_specs)
        for stored_task in stored.get_tasks(manual=True):
            replay_id = self.mapping.get(str(stored_task.id))
            if replay_id is None:
                continue
            replayed = run.workflow.get_task_from_id(UUID(replay_id))
            name = stored_task.task_spec.bpmn_name or stored_task.task_spec.bpmn_id
            if replayed is None or replayed.state != stored_task.state:
                raise Divergence("Task %(task)s is %(state)s in the stored state but %(replayed_state)s in the "
                                 "replay.", task=name, state=TaskState.get_name(stored_task.state),
                                 replayed_state=TaskState.get_name(replayed.state) if replayed is not None
                                 else "MISSING")
            if replayed.data != stored_task.data:
                keys = sorted(k for k in {*replayed.data, *stored_task.data}
                              if replayed.data.get(k) != stored_task.data.get(k))
                raise Divergence("Task %(task)s has different data in the stored state and in the replay: "
                                 "%(fields)s.", task=name, fields=", ".join(keys))
        if stored.data != run.workflow.data:
            raise Divergence("The workflow's data differs between the stored state and the replay.")
        return [*checked, "task states and data", "workflow data"]


def replay_instance(ctx: EngineContext, instance_id: int) -> ReplayResult:
    """Re-execute one instance from its log; `equal` is False with the first divergence named."""
    with ctx.db.session() as session:
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound("There is no item %(id)s.", id=instance_id)
        log = instance_history(session, instance_id)
        started_on = log[0].payload.get("definition_id") if log else None
        model = process_model(ctx, session, int(started_on or instance.definition_id))
        result = ReplayResult(instance_id, len(log), 0)
        if not log or log[0].type != "instance_started":
            result.divergence = Divergence("The log does not begin with the item's start.",
                                           log[0].id if log else None)
            return result
        replayer = _Replayer(ctx, instance, model, log, lambda version: process_model(
            ctx, session, get_version(session, instance.process_id, version).id))
        try:
            replayer.replay()
            result.checked = ["every derived event", *replayer.compare_state(session, instance, replayer.run.model)]
        except Divergence as divergence:
            result.divergence = divergence
        except Exception as error:  # a workflow error during the replay is itself a divergence
            cause = error.__cause__ or error.__context__
            result.divergence = cause if isinstance(cause, Divergence) else Divergence(
                "The replay fails: %(error)s.", error=f"{type(error).__name__}: {error}")
        result.inputs = replayer.inputs
        return result

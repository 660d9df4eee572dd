"""Moving a running instance to a newer version of its process.

Running instances stay on the version they started on. A process owner may migrate one to a newer version
when every step it is waiting at still exists there: the workflow is re-aligned on the new specs with
SpiffWorkflow's diff utilities, its waiting user tasks keep their ids and data, and their boundary timers are
re-created at the new time standard counted from when the task became ready. A dry run gives exactly the
report the migration would record, without changing anything. A replay crosses a migration with `realign`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.context import EngineContext, LiveWorkflow
from engine.diagrams.diagram import ProcessModel
from engine.diagrams.drafts import check_modeler
from engine.diagrams.versions import get_version
from engine.errors import NotFound, SopflowError, TaskConflict
from engine.runtime.execution import InstanceRun, process_model
from engine.runtime.reminders import move_reminder
from engine.runtime.spiff import CLOCKED_TIMERS, SERIALIZER, SopflowScriptEngine, iso_duration, load_workflow
from engine.runtime.stepping import completed_steps, timer_owner
from engine.store import OPEN_STATUSES, Definition, Instance, Timer, WorkItem


@dataclass(frozen=True)
class TaskMove:
    """An open task as it is before and will be after the migration."""

    task_id: str
    spec_id: str
    name: str
    lane: str | None
    new_lane: str | None
    time_standard: str | None
    new_time_standard: str | None
    due_at: datetime | None
    new_due_at: datetime | None
    claim_released: bool


@dataclass
class MigrationReport:
    instance_id: int
    process_id: str
    from_version: int
    to_version: int
    dry_run: bool
    reasons: list[str] = field(default_factory=list)
    tasks: list[TaskMove] = field(default_factory=list)
    applied: bool = False

    @property
    def possible(self) -> bool:
        return not self.reasons

    def payload(self) -> dict[str, Any]:
        return {
            "from_version": self.from_version,
            "to_version": self.to_version,
            "tasks": [
                {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(task).items()}
                for task in self.tasks
            ],
        }


class MigrationRefused(SopflowError):
    def __init__(self, report: MigrationReport) -> None:
        self.report = report
        super().__init__("Item %(id)s cannot be moved to version %(version)s: %(reasons)s", id=report.instance_id,
                         version=report.to_version, reasons="; ".join(report.reasons))


def _all_workflows(workflow: BpmnWorkflow) -> list[Any]:
    return [workflow, *workflow.subprocesses.values()]


@dataclass
class _Plan:
    report: MigrationReport
    workflow: BpmnWorkflow | None = None
    timer_dues: dict[str, datetime] = field(default_factory=dict)
    timer_names: dict[str, str] = field(default_factory=dict)
    model: ProcessModel | None = None
    target: Definition | None = None


def realign(workflow: BpmnWorkflow, new_model: ProcessModel, to_version: int) -> list[str]:
    """Re-align a workflow on the specs of another version, in place; the reasons it cannot be (then the
    workflow must be thrown away)."""
    reasons: list[str] = []
    new_specs = {new_model.spec.name: new_model.spec, **new_model.subprocess_specs}

    def spec_exists(task: SpiffTask) -> bool:
        return task.task_spec.name in new_specs.get(task.workflow.spec.name, new_model.spec).task_specs

    waiting = [t for wf in _all_workflows(workflow)
               for t in wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR,
                                     skip_subprocesses=True)]
    for task in waiting:
        if task.task_spec.bpmn_id is not None and not spec_exists(task):
            name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
            reasons.append(f"langkah yang sedang berjalan {name!r} ({task.task_spec.bpmn_id}) tidak ada di "
                           f"versi {to_version}")
    for sp in workflow.subprocesses.values():
        if sp.spec.name not in new_specs:
            reasons.append(f"sub-proses {sp.spec.name!r} tidak ada di versi {to_version}")
    if reasons:
        return reasons
    top_diff, sp_diffs = diff_workflow(SERIALIZER.registry, workflow, new_model.spec, new_model.subprocess_specs)
    migrate_workflow(top_diff, workflow, new_model.spec)
    workflow.subprocess_specs = dict(new_model.subprocess_specs)
    for sp_id, sp_diff in sp_diffs.items():
        sp = workflow.subprocesses[sp_id]
        migrate_workflow(sp_diff, sp, new_specs[sp.spec.name])
    orphans = sorted({
        t.task_spec.bpmn_name or t.task_spec.name
        for wf in _all_workflows(workflow) for t in wf.tasks.values()
        if wf.spec.task_specs.get(t.task_spec.name) is not t.task_spec
    })
    if orphans:
        reasons.append(f"riwayat instance memuat langkah yang tidak ada lagi di versi {to_version}: "
                             + ", ".join(orphans))
    return reasons


def _plan(ctx: EngineContext, session: Session, instance: Instance, to_version: int, dry_run: bool) -> _Plan:
    current = session.get(Definition, instance.definition_id)
    assert current is not None
    report = MigrationReport(instance.id, instance.process_id, current.version, to_version, dry_run)
    plan = _Plan(report)
    if instance.status != "running":
        report.reasons.append(f"instance berstatus {instance.status}; hanya instance yang berjalan dapat dipindahkan")
        return plan
    target = get_version(session, instance.process_id, to_version)
    if target.version <= current.version:
        report.reasons.append(f"versi tujuan harus lebih baru dari versi {current.version} yang dipakai instance ini")
        return plan
    old_model, new_model = process_model(ctx, session, current.id), process_model(ctx, session, target.id)
    workflow = load_workflow(instance.state, old_model.spec, old_model.subprocess_specs)
    workflow.script_engine = SopflowScriptEngine(ctx.clock, ctx.settings.calendar, None)
    report.reasons.extend(realign(workflow, new_model, to_version))
    if report.reasons:
        return plan

    items = {
        item.id: item
        for item in session.scalars(
            select(WorkItem).where(WorkItem.instance_id == instance.id, WorkItem.status.in_(OPEN_STATUSES))
        )
    }
    timer_dues: dict[str, datetime] = {}
    item_dues: dict[str, datetime] = {}
    for wf in _all_workflows(workflow):
        for timer in wf.get_tasks(state=TaskState.WAITING, skip_subprocesses=True):
            if not isinstance(getattr(timer.task_spec, "event_definition", None), CLOCKED_TIMERS):
                continue
            due = datetime.fromisoformat(timer._get_internal_data("event_value"))
            owner = timer_owner(timer)
            item = items.get(str(owner.id)) if owner is not None else None
            if item is not None and owner is not None and owner.state == TaskState.READY:
                expression = str(workflow.script_engine.evaluate(timer, timer.task_spec.event_definition.expression))
                due = ctx.settings.calendar.deadline(item.ready_at, iso_duration(expression, item.ready_at))
                timer._set_internal_data(event_value=due.isoformat())
                item_dues[item.id] = min(due, item_dues.get(item.id, due))
            timer_dues[str(timer.id)] = due
            plan.timer_names[str(timer.id)] = timer.task_spec.bpmn_name or timer.task_spec.bpmn_id

    for item in items.values():
        step = new_model.steps.get(item.spec_id)
        if step is None:  # guarded above: a waiting user task's step exists in the new version
            continue
        report.tasks.append(TaskMove(
            task_id=item.id, spec_id=item.spec_id, name=step.name, lane=item.lane, new_lane=step.lane,
            time_standard=item.time_standard, new_time_standard=step.time_standard, due_at=item.due_at,
            new_due_at=item_dues.get(item.id), claim_released=item.claimed_by is not None and item.lane != step.lane,
        ))
    plan.workflow, plan.timer_dues, plan.model, plan.target = workflow, timer_dues, new_model, target
    return plan


def migrate_instance(
    ctx: EngineContext, instance_id: int, to_version: int, actor: str, dry_run: bool = True
) -> MigrationReport:
    """Move a running instance to a newer version of its process. With dry_run, only the report; otherwise
    the migration is applied and recorded as an `instance_migrated` event, or MigrationRefused is raised."""
    try:
        return _migrate(ctx, instance_id, to_version, actor, dry_run)
    except StaleDataError as error:
        raise TaskConflict("Item %(id)s changed while it was being moved; reload and try again.",
                           id=instance_id) from error


def _migrate(ctx: EngineContext, instance_id: int, to_version: int, actor: str, dry_run: bool) -> MigrationReport:
    with ctx.db.session() as session:
        check_modeler(ctx, session, actor)
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound("There is no item %(id)s.", id=instance_id)
        plan = _plan(ctx, session, instance, to_version, dry_run)
        report = plan.report
        if dry_run:
            session.rollback()
            return report
        if report.reasons:
            raise MigrationRefused(report)
        assert plan.workflow is not None and plan.model is not None and plan.target is not None
        ctx.workflows.take(instance.id, instance.revision)
        live = LiveWorkflow(plan.workflow, dict(plan.timer_dues), completed_steps(plan.workflow))
        execution = InstanceRun(ctx, session, instance, plan.model, actor, live)
        _apply(ctx, session, execution, plan)
        report.applied = True
    execution.finish()
    for timer_id, due in _moved_timers(ctx, instance_id, plan.timer_dues):
        ctx.announce_timer(timer_id, due)
    return report


def _apply(ctx: EngineContext, session: Session, execution: InstanceRun, plan: _Plan) -> None:
    assert plan.target is not None and plan.model is not None
    instance, report = execution.instance, plan.report
    instance.definition_id = plan.target.id
    for task_id, due in plan.timer_dues.items():
        row = session.scalars(select(Timer).where(Timer.spiff_task_id == task_id, Timer.status == "pending")).first()
        if row is not None:
            row.due_at, row.name = due, plan.timer_names.get(task_id, row.name)
    moves = {move.task_id: move for move in report.tasks}
    for item in session.scalars(select(WorkItem).where(WorkItem.id.in_(list(moves)))):
        step, move = plan.model.steps[item.spec_id], moves[item.id]
        item.name, item.step, item.lane = step.name, step.step, step.lane
        item.role = ctx.settings.role_for_lane(step.lane)
        item.time_standard, item.due_at = step.time_standard, move.new_due_at
        if move.claim_released:
            item.status, item.claimed_by, item.claimed_at = "ready", None, None
        reminder = move_reminder(ctx, session, item)
        if reminder is not None:
            execution.announce(reminder)
    execution.event("instance_migrated", **report.payload())
    execution.advance()
    execution.save()


def _moved_timers(ctx: EngineContext, instance_id: int, dues: dict[str, datetime]) -> list[tuple[int, datetime]]:
    if not dues:
        return []
    with ctx.db.session() as session:
        rows = session.execute(
            select(Timer.id, Timer.due_at).where(Timer.instance_id == instance_id, Timer.status == "pending",
                                                 Timer.spiff_task_id.in_(list(dues)))
        )
        return [(row.id, row.due_at) for row in rows]

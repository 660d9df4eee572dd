"""What the supervisor role (config `supervisor_role`, PPID Utama) may do beyond its own lane: give an open
task to a named person of the task's lane, take back someone's claim, and start a periodic process by hand
when its timer did not run this month."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.errors import NotAllowed, SopflowError, TaskConflict
from engine.people.policy import Ability, Person
from engine.people.users import SYSTEM_ACTOR
from engine.runtime.execution import InstanceRun, begin_instance, latest_definition
from engine.runtime.instances import _check_lane, _conflict_safe, _open_item, _person
from engine.runtime.notices import lane_members, notify
from engine.runtime.outbox import deliver_after_commit
from engine.runtime.periods import period_of, record_start, started_in
from engine.store import Instance, WorkItem

ALREADY_STARTED = "%(name)s of %(period)s has already been started; a month has one."


def _supervisor(ctx: EngineContext, session: Session, actor: str) -> Person | None:
    user = _person(session, actor)
    if user is not None and not ctx.policy.may(user, Ability.SUPERVISE):
        role = ctx.policy.supervisor_role
        lane = next((lane for lane, lane_role in ctx.policy.lane_roles.items() if lane_role == role), role)
        raise NotAllowed("Only %(lane)s may do this.", lane=lane)
    return user


def assignable(ctx: EngineContext, task_id: str) -> list[str]:
    """The people a task may be given to: active members of its lane (of its office, when confined)."""
    with ctx.db.session() as session:
        return sorted(lane_members(session, ctx.policy, _open_item(session, task_id)))


def _label(item: WorkItem) -> str:
    return f"langkah {item.step or '-'} {item.name}" + (f" ({item.item_label})" if item.item_label else "")


def _hand_over(ctx: EngineContext, session: Session, item: WorkItem, actor: str, to: str | None, told: str,
               event: str, subject: str, body: str, **payload: object) -> InstanceRun:
    """Claim `item` for `to` (None: back to its lane's queue), record `event`, and tell `told` in the app
    (and by mail after the commit, if they opted in)."""
    execution = InstanceRun.load(ctx, session, item.instance_id, actor)
    item.status, item.claimed_by = ("claimed", to) if to else ("ready", None)
    item.claimed_at = execution.now if to else None
    execution.event(event, item.id, name=item.name, **payload)
    mail = notify(session, [told], item, f"{subject}: {_label(item)}", body, execution.now)
    execution.after_commit.append(deliver_after_commit(ctx, mail))
    execution.save()
    return execution


def assign_task(ctx: EngineContext, task_id: str, assignee: str, actor: str) -> WorkItem:
    """Give an open task to `assignee` (claimed for them), whoever held it before; they are told."""

    def run() -> tuple[WorkItem, InstanceRun]:
        with ctx.db.session() as session:
            _supervisor(ctx, session, actor)
            item = _open_item(session, task_id)
            person = _person(session, assignee)
            if person is None:
                raise NotAllowed("%(user)s cannot be given tasks.", user=assignee)
            _check_lane(ctx, person, item.lane, item.opd)
            if item.claimed_by == assignee:
                raise TaskConflict("Task %(name)s is already claimed by %(user)s.", name=item.name, user=assignee)
            previous = item.claimed_by
            return item, _hand_over(ctx, session, item, actor, assignee, assignee, "task_assigned",
                                    "Ditugaskan kepada Anda", f"{actor} menugaskan tugas ini kepada Anda.",
                                    assignee=assignee, previous=previous)

    item, execution = _conflict_safe(run)
    execution.finish()
    return item


def take_back(ctx: EngineContext, task_id: str, actor: str) -> WorkItem:
    """Return a claimed task to its lane's queue; the person who held it is told."""

    def run() -> tuple[WorkItem, InstanceRun]:
        with ctx.db.session() as session:
            _supervisor(ctx, session, actor)
            item = _open_item(session, task_id)
            holder = item.claimed_by
            if holder is None:
                raise TaskConflict("Task %(name)s is not claimed by anyone.", name=item.name)
            return item, _hand_over(ctx, session, item, actor, None, holder, "claim_taken_back",
                                    "Ditarik kembali dari Anda",
                                    f"{actor} menarik kembali tugas ini ke antrean lajurnya.", previous=holder)

    item, execution = _conflict_safe(run)
    execution.finish()
    return item


def start_period_by_hand(ctx: EngineContext, process_id: str, actor: str) -> Instance:
    """This month's instance of a process its timer starts monthly, when the timer did not; at most one per
    month, whoever starts it (the timer then skips the month)."""

    def run() -> InstanceRun:
        with ctx.db.session() as session:
            user = _supervisor(ctx, session, actor)
            if process_id not in ctx.settings.schedules:
                raise SopflowError("Process %(process)s is not started monthly.", process=process_id)
            now = ctx.clock.now()
            period = period_of(ctx, now)
            definition = latest_definition(session, process_id)
            if started_in(session, process_id, period) is not None:
                raise TaskConflict(ALREADY_STARTED, name=definition.name, period=period)
            execution = begin_instance(ctx, session, definition, actor if user is not None else SYSTEM_ACTOR,
                                       trigger="manual", period=period)
            record_start(session, process_id, period, execution.instance.id, actor, execution.now)
            return execution

    try:
        execution = run()
    except IntegrityError as error:
        raise TaskConflict(ALREADY_STARTED, name=process_id, period=period_of(ctx, ctx.clock.now())) from error
    execution.finish()
    return execution.instance


@dataclass(frozen=True)
class Periodic:
    """A process its timer starts monthly, and whether this month's instance exists."""

    process_id: str
    name: str
    period: str
    started: bool


def periodic_processes(ctx: EngineContext) -> list[Periodic]:
    now = ctx.clock.now()
    period = period_of(ctx, now)
    with ctx.db.session() as session:
        return [Periodic(process_id, latest_definition(session, process_id).name, period,
                         started_in(session, process_id, period) is not None)
                for process_id in sorted(ctx.settings.schedules)]

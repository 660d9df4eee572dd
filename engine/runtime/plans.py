"""A plan's items start in batches. The plan's own step starts the first batch; a background worker starts the
rest, each batch in its own transaction with its events, so a big plan never holds SQLite's one writer for long
and never keeps every item's workflow in memory. The queue lives in the database (plan_runs, plan_items): after
a crash the remaining items start at the next run, and a batch is claimed by moving `started` first, so no item
starts twice."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.audit.events import append_event
from engine.context import EngineContext
from engine.people.users import get_user
from engine.runtime.execution import InstanceRun, begin_instance, latest_definition
from engine.store import Definition, Instance, PlanItem, PlanRun

log = logging.getLogger(__name__)

ITEMS_STARTED = "plan_items_started"
# Between two batches the worker lets the database go this long: a writer waiting for SQLite's lock retries
# every 100 ms at most, so it gets its turn instead of finding the next batch holding the lock again.
BREATHER_SECONDS = 0.1
_ITEMS = cast(Table, PlanItem.__table__)
_SET_INSTANCE = (
    update(_ITEMS)
    .where(_ITEMS.c.plan_id == bindparam("the_plan"), _ITEMS.c.position == bindparam("at"))
    .values(instance_id=bindparam("started_instance"))
)


@dataclass(frozen=True)
class Progress:
    started: int
    total: int

    @property
    def done(self) -> bool:
        return self.started >= self.total


def queue_plan(ctx: EngineContext, session: Session, plan: Instance, definition: Definition, actor: str,
               entries: Sequence[dict[str, Any]], shared: dict[str, Any]) -> list[InstanceRun]:
    """Record a plan's items in the caller's transaction and start its first batch there; the caller runs each
    returned instance's `finish` after commit and wakes the worker when items remain."""
    now = ctx.clock.now()
    first = min(len(entries), ctx.settings.plan_batch_size)
    values = {"plan_id": plan.id, "definition_id": definition.id, "actor": actor, "shared": shared,
              "total": len(entries), "started": first, "created_at": now,
              "finished_at": now if first == len(entries) else None}
    connection = session.connection()  # Core: the rows need no unit of work
    connection.execute(insert(PlanRun), values)
    if entries:
        connection.execute(insert(PlanItem), [{"plan_id": plan.id, "position": position, "item": entry}
                                              for position, entry in enumerate(entries)])
    return _start_items(ctx, session, PlanRun(**values), plan, definition, list(enumerate(entries[:first])),
                        plan_saved_by_caller=True)


def queue_children(ctx: EngineContext, session: Session, plan: Instance, process_id: str, actor: str,
                   entries: Sequence[dict[str, Any]], shared: dict[str, Any],
                   after_commit: list[Callable[[], None]]) -> None:
    """What a plan's service task asks: the newest version of `process_id` once per entry; the started children
    finish, and the worker wakes for the rest, once the caller's transaction is committed."""
    children = queue_plan(ctx, session, plan, latest_definition(session, process_id), actor, entries, shared)
    after_commit.extend(child.finish for child in children)
    if len(children) < len(entries) and ctx.plan_worker is not None:
        after_commit.append(ctx.plan_worker.wake)


def start_batch(ctx: EngineContext, plan_id: int) -> int:
    """Start the plan's next batch in one transaction; how many started (0 when none remain, or another worker
    claimed this batch first)."""
    with ctx.db.session() as session:
        run = session.get(PlanRun, plan_id)
        if run is None or run.finished_at is not None:
            return 0
        first, last = run.started, min(run.started + ctx.settings.plan_batch_size, run.total)
        claimed = session.execute(
            update(PlanRun)
            .where(PlanRun.plan_id == plan_id, PlanRun.started == first)
            .values(started=last, finished_at=ctx.clock.now() if last == run.total else None)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            return 0
        rows = session.execute(
            select(PlanItem.position, PlanItem.item)
            .where(PlanItem.plan_id == plan_id, PlanItem.position >= first, PlanItem.position < last)
            .order_by(PlanItem.position)
        ).tuples().all()
        plan, definition = session.get(Instance, plan_id), session.get(Definition, run.definition_id)
        assert plan is not None and definition is not None
        children = _start_items(ctx, session, run, plan, definition, list(rows))
    for child in children:
        child.finish()
    return len(children)


def _start_items(ctx: EngineContext, session: Session, run: PlanRun, plan: Instance, definition: Definition,
                 rows: list[tuple[int, dict[str, Any]]], plan_saved_by_caller: bool = False) -> list[InstanceRun]:
    """One instance per row, each with its item and the plan's shared parameters, and one event on the plan
    (`plan_saved_by_caller`: the change running the plan's own workflow writes its row, not a flush)."""
    children = [begin_instance(ctx, session, definition, run.actor, data={"item": item, **run.shared},
                               parent_id=plan.id, trigger="plan") for _, item in rows]
    if not children:
        return children
    session.execute(_SET_INSTANCE, [{"the_plan": plan.id, "at": position, "started_instance": child.instance.id}
                                    for (position, _), child in zip(rows, children, strict=True)])
    append_event(session, process_id=plan.process_id, type=ITEMS_STARTED, actor=run.actor, at=ctx.clock.now(),
                 instance=plan, payload={"first": rows[0][0] + 1, "last": rows[-1][0] + 1, "total": run.total,
                                         "instances": [child.instance.id for child in children]},
                 instance_written_by_caller=plan_saved_by_caller)
    return children


def start_queued(ctx: EngineContext, pause: float = 0.0) -> int:
    """Start every queued item of every plan, a batch per transaction, `pause` seconds between batches; how many
    started."""
    started = 0
    while True:
        with ctx.db.session() as session:
            plan_id = session.scalar(select(PlanRun.plan_id).where(PlanRun.finished_at.is_(None))
                                     .order_by(PlanRun.plan_id).limit(1))
        if plan_id is None:
            return started
        try:
            started += start_batch(ctx, plan_id)
        except StaleDataError:
            continue  # the plan changed meanwhile (a comment): its batch was rolled back; claim it again
        time.sleep(pause)


def progress(ctx: EngineContext, plan_id: int, viewer: str) -> Progress | None:
    """How many of the plan's items have started, or None for an instance that is no plan; for whoever may see
    the plan."""
    with ctx.db.session() as session:
        ctx.policy.viewable_instance(session, get_user(session, viewer), plan_id)
        row = session.execute(select(PlanRun.started, PlanRun.total).where(PlanRun.plan_id == plan_id)).first()
    return Progress(row.started, row.total) if row is not None else None


class PlanWorker:
    """This process's background thread for queued plan items: woken after a plan commits (and when a server
    or scheduler starts, for what a crash left), it starts batches until none remain, then ends."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wanted = False

    def wake(self) -> None:
        with self._lock:
            self._wanted = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sopflow-plans", daemon=True)
                self._thread.start()

    def wait(self, timeout: float) -> bool:
        """Whether the worker is idle within `timeout` seconds."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._thread = None
                    return
                self._wanted = False
            try:
                start_queued(self.ctx, BREATHER_SECONDS)
            except Exception:
                log.exception("queued plan items could not be started; they are tried again at the next wake")

"""What the faster paths must keep: a token checked in one statement and refused at once when revoked (also by
another process), and a completion's state, work items and events written together or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from engine.audit import audit_chain
from engine.clock import ManualClock
from engine.config import Settings
from engine.context import EngineContext
from engine.errors import NotAllowed
from engine.people import tokens
from engine.runtime.timers import fire_due_batch
from engine.store import Event, EventChainHead, Instance, Notification, Timer, WorkItem
from tests.engine.flow import ONE_ITEM_FLOW, STEP_2, complete, reach_step, start_publication


@contextmanager
def statements(ctx: EngineContext) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(ctx.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", record)


@contextmanager
def counting_flushes() -> Iterator[list[int]]:
    """The unit-of-work flushes the block runs (one entry each)."""
    flushes: list[int] = []

    def counted(*_: object) -> None:
        flushes.append(1)

    event.listen(Session, "after_flush", counted)
    try:
        yield flushes
    finally:
        event.remove(Session, "after_flush", counted)


@contextmanager
def failing(ctx: EngineContext, prefix: str) -> Iterator[None]:
    """The database refuses the first statement starting with `prefix` (a lost disk, a constraint)."""

    def refuse(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith(prefix):
            raise RuntimeError(f"injected failure at {prefix}")

    event.listen(ctx.db.engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", refuse)


def test_a_token_its_user_and_roles_are_one_statement(ctx: EngineContext) -> None:
    token = tokens.create_token(ctx, "plid.utama", "ci")
    tokens.user_for_token(ctx, token)  # records the first use
    with statements(ctx) as seen:
        user = tokens.user_for_token(ctx, token)
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("SELECT")
    assert user.username == "plid.utama" and user.roles == frozenset({"plid_utama"})


def test_a_token_revoked_by_another_process_is_refused_at_once(ctx: EngineContext, settings: Settings) -> None:
    token = tokens.create_token(ctx, "plid.utama", "ci")
    for _ in range(3):
        assert tokens.user_for_token(ctx, token).username == "plid.utama"
    other = EngineContext.create(settings, clock=ctx.clock)
    try:
        assert tokens.revoke_tokens(other, "plid.utama", label="ci") == 1
    finally:
        other.db.dispose()
    with pytest.raises(NotAllowed, match="revoked"):
        tokens.user_for_token(ctx, token)


def _stored(ctx: EngineContext, instance_id: int, task_id: str) -> tuple[int, str, str, int, str]:
    with ctx.db.session() as session:
        instance = session.get(Instance, instance_id)
        item = session.get(WorkItem, task_id)
        head = session.get(EventChainHead, 1)
        events = len(session.scalars(select(Event.id)).all())
        assert instance is not None and item is not None and head is not None
        return instance.revision, instance.state, item.status, events, head.hash


@pytest.mark.parametrize("where", ["INSERT INTO EVENTS", "UPDATE INSTANCES", "INSERT INTO WORK_ITEMS"])
def test_a_completion_failing_anywhere_leaves_neither_state_nor_events(ctx: EngineContext, where: str) -> None:
    instance_id, task = reach_step(ctx, 2)
    before = _stored(ctx, instance_id, task.id)
    with failing(ctx, where), pytest.raises(RuntimeError, match="injected"):
        complete(ctx, task, STEP_2)
    assert _stored(ctx, instance_id, task.id) == before
    complete(ctx, task, STEP_2)  # the workflow kept in memory was not advanced by the failed attempt
    revision, _, status, events, _ = _stored(ctx, instance_id, task.id)
    assert (revision, status) == (before[0] + 1, "completed") and events > before[3]
    with ctx.db.session() as session:
        completed = session.scalars(select(Event).where(Event.instance_id == instance_id,
                                                        Event.type == "task_completed")).all()
    assert [e.task_id for e in completed] == [task.id]
    assert audit_chain.verify_all(ctx).intact


def test_a_completion_writes_events_in_one_statement_and_all_rows_without_the_unit_of_work(ctx: EngineContext) -> None:
    instance_id, task = reach_step(ctx, 2)
    with counting_flushes() as flushes, statements(ctx) as seen:
        complete(ctx, task, STEP_2)
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO EVENTS")]
    assert len(inserts) == 1
    assert flushes == []  # every row of a completion is written by a Core statement
    with ctx.db.session() as session:
        head = session.get(EventChainHead, 1)
        newest = session.scalars(select(Event).order_by(Event.id.desc()).limit(1)).one()
    assert head is not None and (head.last_event_id, head.hash) == (newest.id, newest.global_hash)


def test_a_change_with_a_service_task_moves_the_chain_head_once(ctx: EngineContext) -> None:
    """Step 1's plan service starts the item inside a savepoint; its events join the chain with the rest of the
    transaction's, not again when the savepoint ends."""
    _, step_1 = reach_step(ctx, 1)
    with counting_flushes() as flushes, statements(ctx) as seen:
        complete(ctx, step_1, ONE_ITEM_FLOW[0][1])
    heads = [s for s in seen if s.lstrip().upper().startswith("UPDATE EVENT_CHAIN_HEAD")]
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO EVENTS")]
    assert len(heads) == 2 and len(inserts) == 1  # locked, then moved; one insert for every event
    # The plan's row and its new item's, each written once by its change's own update; the plan run, its
    # items and the new instance by Core statements: no flush, not even when the handler's savepoint ends.
    assert len([s for s in seen if s.lstrip().upper().startswith("UPDATE INSTANCES")]) == 2 and flushes == []
    with ctx.db.session() as session:
        types = session.scalars(select(Event.type).order_by(Event.id)).all()
    assert "service_completed" in types and types.count("instance_started") == 2
    assert audit_chain.verify_all(ctx).intact


def test_a_breach_writes_its_instance_and_its_timer_once_each(ctx: EngineContext, clock: ManualClock) -> None:
    """The breach handler runs in a savepoint: the instance row is written once, by the change's own update, the
    timer row once, by its claim, the instance is read once with its open items (the task's among them), and the
    process's name not at all."""
    _, task = reach_step(ctx, 2)
    assert task.due_at is not None
    with ctx.db.session() as session:  # the reminder is another firing
        session.execute(update(Timer).where(Timer.kind == "reminder").values(status="cancelled"))
    clock.set(task.due_at + timedelta(minutes=1))
    with counting_flushes() as flushes, statements(ctx) as seen:
        assert fire_due_batch(ctx, "burst").taken == 1
    assert flushes == []  # the claim, the breach's marks, notices and mail are Core statements
    written = [s.split()[1].lower() for s in seen if s.lstrip().upper().startswith("UPDATE")]
    reads = [" ".join(s.split()) for s in seen if s.lstrip().upper().startswith("SELECT")]
    item_reads = [s for s in reads if "work_items" in s]
    assert written.count("instances") == 1 and written.count("timers") == 1 and written.count("work_items") == 1
    assert len(item_reads) == 1 and "FROM instances LEFT OUTER JOIN work_items" in item_reads[0]
    assert not [s for s in seen if "FROM definitions" in s]  # the process's name comes from its parsed diagram
    with ctx.db.session() as session:
        assert session.scalar(select(Timer.status).where(Timer.instance_id == task.instance_id,
                                                         Timer.kind == "event")) == "fired"
        breached, revision = session.execute(select(WorkItem.breached_at, WorkItem.revision)
                                             .where(WorkItem.id == task.id)).one()
        stored_hash = session.scalar(select(Instance.last_event_hash).where(Instance.id == task.instance_id))
        newest = session.scalars(select(Event.hash).where(Event.instance_id == task.instance_id)
                                 .order_by(Event.id.desc()).limit(1)).one()
    assert breached == clock.now() and revision == task.revision + 1 and stored_hash == newest
    assert audit_chain.verify_all(ctx).intact


def test_a_change_writes_only_the_instance_columns_it_changed(ctx: EngineContext, clock: ManualClock) -> None:
    """A column written unchanged still rewrites its index's page: a completion sets what moved, and the row
    then holds exactly what a full write would have left."""
    instance_id, step_2 = reach_step(ctx, 2)
    clock.advance(timedelta(minutes=5))
    with statements(ctx) as seen:
        complete(ctx, step_2, STEP_2)
    [written] = [s for s in seen if s.lstrip().upper().startswith("UPDATE INSTANCES")]
    assigned = {part.split("=")[0].strip() for part in written.split(" SET ")[1].split(" WHERE ")[0].split(",")}
    assert {"state", "last_event_hash", "current_task", "due_at", "updated_at", "revision"} <= assigned
    assert not assigned & {"process_id", "definition_id", "parent_id", "status", "opd", "started_by", "title"}
    with ctx.db.session() as session:
        instance = session.get(Instance, instance_id)
        newest = session.scalars(select(Event.hash).where(Event.instance_id == instance_id)
                                 .order_by(Event.id.desc()).limit(1)).one()
        step_3 = session.scalars(select(WorkItem).where(WorkItem.instance_id == instance_id,
                                                        WorkItem.status == "ready")).one()
    assert instance is not None and instance.status == "running" and instance.title == step_2.item_label
    assert instance.updated_at == clock.now()
    assert (instance.current_task, instance.due_at, instance.last_event_hash) == (step_3.name, step_3.due_at, newest)


def test_a_start_writes_its_instance_without_the_unit_of_work(ctx: EngineContext) -> None:
    with counting_flushes() as flushes:
        instance = start_publication(ctx)
    assert flushes == []
    with ctx.db.session() as session:
        stored = session.get(Instance, instance.id)
        [task] = session.scalars(select(WorkItem).where(WorkItem.instance_id == instance.id)).all()
    assert stored is not None and (stored.status, stored.revision, stored.current_task) == ("running", 2, task.name)
    assert stored.state and stored.started_by == stored.last_actor == "ppid.utama"
    assert audit_chain.verify_all(ctx).intact


@pytest.mark.parametrize("where", ["INSERT INTO WORK_ITEMS", "UPDATE INSTANCES", "INSERT INTO EVENTS"])
def test_a_start_failing_anywhere_leaves_no_instance_and_the_next_start_works(ctx: EngineContext, where: str) -> None:
    with ctx.db.session() as session:
        events = session.scalars(select(Event.id)).all()
    with failing(ctx, where), pytest.raises(RuntimeError, match="injected"):
        start_publication(ctx)
    with ctx.db.session() as session:
        assert session.scalars(select(Instance.id)).all() == [] and session.scalars(select(Event.id)).all() == events
    instance = start_publication(ctx)
    with ctx.db.session() as session:
        assert session.scalars(select(Instance.id)).all() == [instance.id]
        assert session.scalars(select(WorkItem.status).where(WorkItem.instance_id == instance.id)).all() == ["ready"]
    assert audit_chain.verify_all(ctx).intact


def test_a_batch_of_breaches_reads_the_supervisors_once_and_tells_them_of_each(ctx: EngineContext,
                                                                              clock: ManualClock) -> None:
    tasks = [reach_step(ctx, 2)[1] for _ in range(3)]
    with ctx.db.session() as session:  # the reminders are other firings
        session.execute(update(Timer).where(Timer.kind == "reminder").values(status="cancelled"))
    clock.set(max(task.due_at for task in tasks if task.due_at is not None) + timedelta(minutes=1))
    with statements(ctx) as seen:
        assert fire_due_batch(ctx, "burst").taken == 3
    holders = [s for s in seen if "FROM users JOIN user_roles" in " ".join(s.split())]
    assert len(holders) == 1
    with ctx.db.session() as session:
        told = session.scalars(select(Notification.task_id).where(Notification.username == "ppid.utama",
                                                                  Notification.subject.startswith("Pelanggaran")))
        assert sorted(told) == sorted(task.id for task in tasks)

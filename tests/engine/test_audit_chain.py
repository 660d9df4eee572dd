"""Tamper-evident history: verify finds an edited, a deleted or a truncated row and names the first one."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from engine.audit.audit_chain import verify_all
from engine.context import EngineContext
from engine.runtime import instances
from engine.store import Event
from tests.engine.flow import start_with_plan


def _drop_append_only(ctx: EngineContext) -> None:
    """What an attacker with database access does first."""
    with ctx.db.engine.begin() as connection:
        if ctx.db.engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER events_no_change ON events"))
        else:
            connection.execute(text("DROP TRIGGER events_no_update"))
            connection.execute(text("DROP TRIGGER events_no_delete"))


def _tamper(ctx: EngineContext, statement: str, **params: object) -> None:
    _drop_append_only(ctx)
    with ctx.db.engine.begin() as connection:
        connection.execute(text(statement), params)


def _events(ctx: EngineContext) -> list[Event]:
    with ctx.db.session() as session:
        return list(session.query(Event).order_by(Event.id))


def test_an_untouched_log_verifies_and_every_event_is_on_the_global_chain(ctx: EngineContext) -> None:
    start_with_plan(ctx)
    start_with_plan(ctx)
    report = verify_all(ctx)
    events = _events(ctx)
    assert report.intact, [str(b) for b in report.breaks]
    assert report.events == len(events) > 10
    assert report.instances >= 2 and report.deployment_chains >= 2
    assert [e.global_prev_hash for e in events[1:]] == [e.global_hash for e in events[:-1]]
    assert report.head_hash == events[-1].global_hash


def test_a_changed_payload_is_named_as_a_content_break_of_its_instance(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx)
    start_with_plan(ctx)
    completed = next(e for e in instances.get_instance(ctx, plan.id).history if e.type == "task_completed")
    _tamper(ctx, "UPDATE events SET actor = 'pemalsu' WHERE id = :id", id=completed.id)
    report = verify_all(ctx)
    first = report.first_break
    assert first is not None
    assert (first.chain, first.event_id, first.instance_id, first.problem) == (
        f"instance {plan.id}", completed.id, plan.id, "content")
    assert "changed" in str(first)


def test_a_rewritten_row_with_a_recomputed_hash_breaks_the_next_link(ctx: EngineContext) -> None:
    from engine.audit.events import content_digest

    plan = start_with_plan(ctx)
    history = instances.get_instance(ctx, plan.id).history
    target = history[1]
    target.actor = "pemalsu"
    forged = content_digest(target.prev_hash, target)
    _tamper(ctx, "UPDATE events SET actor = 'pemalsu', hash = :h WHERE id = :id", h=forged, id=target.id)
    report = verify_all(ctx)
    problems = {(b.chain, b.event_id, b.problem) for b in report.breaks}
    assert (f"instance {plan.id}", history[2].id, "link") in problems
    assert ("global", target.id, "content") in problems
    assert report.first_break is not None and report.first_break.event_id == target.id


def test_a_deleted_event_is_reported_missing_on_the_global_chain(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx)
    start_with_plan(ctx)
    history = instances.get_instance(ctx, plan.id).history
    _tamper(ctx, "DELETE FROM events WHERE id = :id", id=history[1].id)
    report = verify_all(ctx)
    assert report.first_break is not None
    assert (report.first_break.chain, report.first_break.event_id, report.first_break.problem) == (
        f"instance {plan.id}", history[2].id, "missing")
    [on_global] = [b for b in report.breaks if b.chain == "global"]
    assert (on_global.event_id, on_global.problem) == (history[2].id, "missing")
    assert f"after event {history[0].id}" in on_global.detail


def test_deleting_the_newest_events_is_seen_against_the_chain_head_and_the_instance(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx)
    last = _events(ctx)[-1]
    assert last.instance_id is not None
    _tamper(ctx, "DELETE FROM events WHERE id = :id", id=last.id)
    report = verify_all(ctx)
    kinds = {(b.chain, b.problem) for b in report.breaks}
    assert ("global", "missing") in kinds
    assert (f"instance {last.instance_id}", "missing") in kinds
    assert plan.id is not None


@pytest.mark.parametrize("count", [3])
def test_events_of_one_transaction_join_the_global_chain_in_id_order(ctx: EngineContext, count: int) -> None:
    for _ in range(count):
        start_with_plan(ctx)
    ids = [e.id for e in _events(ctx)]
    assert ids == sorted(ids)
    assert verify_all(ctx).intact


def test_concurrent_writers_keep_one_unforked_global_chain(ctx: EngineContext) -> None:
    import threading

    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(3):
                start_with_plan(ctx)
        except BaseException as error:  # reported below; a thread's exception would otherwise vanish
            errors.append(error)

    writers = [threading.Thread(target=write) for _ in range(3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
    assert errors == []
    events = _events(ctx)
    assert len({e.global_prev_hash for e in events}) == len(events)  # no two events follow the same one
    report = verify_all(ctx)
    assert report.intact, [str(b) for b in report.breaks]
    assert report.instances >= 9 * 3  # nine plans, each with two items

"""History is append-only and chained; the schema comes from the migrations alone."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from engine.audit.events import verify_chain
from engine.context import EngineContext
from engine.database import Base
from engine.runtime import instances
from tests.engine.flow import start_with_plan


def test_migrations_build_exactly_the_models_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


@pytest.mark.parametrize("statement", ["UPDATE events SET actor = 'forger'", "DELETE FROM events"])
def test_events_cannot_be_changed_or_deleted(ctx: EngineContext, statement: str) -> None:
    start_with_plan(ctx)
    with pytest.raises(DBAPIError, match="append-only"), ctx.db.engine.begin() as connection:
        connection.execute(text(statement))


def test_every_instance_history_is_an_intact_chain_and_edits_are_detected(ctx: EngineContext) -> None:
    instance = start_with_plan(ctx)
    history = instances.get_instance(ctx, instance.id).history
    assert [e.type for e in history] == [
        "instance_started", "task_ready", "task_completed", "plan_items_started", "service_completed",
        "instance_completed"]
    assert verify_chain(history) is None
    history[2].payload = {**history[2].payload, "data": {"arahan_kerja": "diubah"}}
    assert verify_chain(history) == history[2].id


def test_each_event_is_written_with_its_state_change(ctx: EngineContext) -> None:
    instance = start_with_plan(ctx)
    state = instances.get_instance(ctx, instance.id)
    ready_events = {e.task_id for e in state.history if e.type == "task_ready"}
    assert {t.id for t in state.open_tasks} <= ready_events
    assert state.instance.last_event_hash == state.history[-1].hash

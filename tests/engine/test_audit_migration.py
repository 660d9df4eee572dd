"""Migration 0004 links the events already stored into the global chain and keeps them append-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import JSON, column, create_engine, insert, table, text
from sqlalchemy.exc import DBAPIError

from engine.audit.audit_chain import verify_all
from engine.audit.events import GENESIS, content_hash
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.database import UTCDateTime
from engine.schema import alembic_config
from tests.conftest import Mailbox, make_settings


def test_upgrade_links_existing_events_in_id_order_and_keeps_them_append_only(
        empty_url: str, smtp_server: tuple[int, Mailbox]) -> None:
    command.upgrade(alembic_config(empty_url), "0003")
    engine = create_engine(empty_url)
    at = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
    prev = GENESIS
    events = table("events", column("process_id"), column("type"), column("occurred_at", UTCDateTime()),
                   column("actor"), column("payload", JSON()), column("prev_hash"), column("hash"))
    with engine.begin() as connection:
        for n in range(3):
            payload = {"version": n + 1}
            digest = content_hash(prev, None, "ppid_lama", "definition_deployed", at, "setup", None, payload)
            connection.execute(insert(events).values(process_id="ppid_lama", type="definition_deployed",
                                                     occurred_at=at, actor="setup", payload=payload,
                                                     prev_hash=prev, hash=digest))
            prev = digest
    engine.dispose()
    command.upgrade(alembic_config(empty_url), "head")
    ctx = EngineContext.create(make_settings(empty_url, smtp_server[0]), clock=ManualClock(at))
    report = verify_all(ctx)
    assert report.intact, [str(b) for b in report.breaks]
    assert (report.events, report.deployment_chains) == (3, 1)
    with ctx.db.engine.connect() as connection:
        head = connection.execute(text("SELECT hash, last_event_id FROM event_chain_head")).one()
        last = connection.execute(text("SELECT id, global_hash FROM events ORDER BY id DESC")).first()
    assert last is not None and (head.hash, head.last_event_id) == (last.global_hash, last.id)
    with pytest.raises(DBAPIError, match="append-only"), ctx.db.engine.begin() as connection:
        connection.execute(text("UPDATE events SET actor = 'pemalsu'"))
    ctx.db.dispose()

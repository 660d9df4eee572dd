"""Verifying the hash chains: every instance's, every process's deployment chain and the global chain.

An edited row no longer matches its own hash; a deleted row leaves the next event linking to a hash that
is not there. Deleting the newest events is seen against the chain head row and `instances.last_event_hash`.
Someone able to rewrite every later row and the head is not detected here; an anchor written outside the
database by `sopflow audit anchor` detects it (engine/audit/audit_anchor.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, Text, select, type_coerce
from sqlalchemy.orm import Session

from engine.audit.events import GENESIS, content_hash, global_digest
from engine.context import EngineContext
from engine.store import Event, EventChainHead, Instance

BATCH = 5000


@dataclass(frozen=True)
class ChainBreak:
    """The first broken link of one chain."""

    chain: str  # "instance 12", "deployments of ppid_publikasi", "global"
    event_id: int | None
    instance_id: int | None
    problem: str  # "content", "link", "missing", "head"
    detail: str

    def __str__(self) -> str:
        where = f"event {self.event_id}" if self.event_id is not None else "chain end"
        return f"{self.chain}: {where}: {self.problem}: {self.detail}"


@dataclass
class VerifyReport:
    events: int = 0
    instances: int = 0
    deployment_chains: int = 0
    head_hash: str = GENESIS
    breaks: list[ChainBreak] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> ChainBreak | None:
        """The break with the lowest event id: where tampering began."""
        return min(self.breaks, key=lambda b: (b.event_id is None, b.event_id or 0), default=None)


# The columns verify reads, in this order.
ID, INSTANCE, PROCESS, TYPE, AT, ACTOR, TASK, PAYLOAD, PREV, HASH, GLOBAL_PREV, GLOBAL = range(12)


def _event_rows(session: Session) -> Iterator[tuple[Any, ...]]:
    """Every event in id order, read in batches without the ORM. On SQLite the time and the payload are
    converted here: the generic converters are most of the cost of a verify."""
    table = Event.__table__
    sqlite = session.get_bind().dialect.name == "sqlite"
    occurred = type_coerce(table.c.occurred_at, String) if sqlite else table.c.occurred_at
    payload = type_coerce(table.c.payload, Text) if sqlite else table.c.payload
    statement = select(table.c.id, table.c.instance_id, table.c.process_id, table.c.type, occurred, table.c.actor,
                       table.c.task_id, payload, table.c.prev_hash, table.c.hash, table.c.global_prev_hash,
                       table.c.global_hash).order_by(table.c.id).execution_options(yield_per=BATCH)
    result = session.connection().execute(statement)
    if not sqlite:
        yield from (tuple(values) for values in result)
        return
    for values in result:
        row = list(values)
        row[AT] = datetime.fromisoformat(row[AT]).replace(tzinfo=UTC)
        row[PAYLOAD] = json.loads(row[PAYLOAD])
        yield tuple(row)


def _stream_name(instance_id: int | None, process_id: str) -> str:
    return f"instance {instance_id}" if instance_id is not None else f"deployments of {process_id}"


def verify_all(ctx: EngineContext) -> VerifyReport:
    """Walk every event once in id order, checking its content hash, its stream link and its global link."""
    report = VerifyReport()
    stream_heads: dict[tuple[int | None, str], str] = {}
    broken_streams: set[tuple[int | None, str]] = set()
    global_head, global_broken = GENESIS, False
    previous_id: int | None = None
    with ctx.db.session() as session:
        for row in _event_rows(session):
            report.events += 1
            instance_id = row[INSTANCE]
            key = (instance_id, "" if instance_id is not None else row[PROCESS])
            global_problem = _global_problem(row, global_head, previous_id)
            if key not in broken_streams:
                problem = _stream_problem(row, stream_heads.get(key, GENESIS))
                if problem is not None and problem[0] == "link" and global_problem and global_problem[0] == "missing":
                    problem = "missing", f"the {row[TYPE]} event follows a deleted event of this chain"
                if problem is not None:
                    broken_streams.add(key)
                    report.breaks.append(
                        ChainBreak(_stream_name(instance_id, row[PROCESS]), row[ID], instance_id, *problem)
                    )
            stream_heads[key] = row[HASH]
            if not global_broken and global_problem is not None:
                global_broken = True
                report.breaks.append(ChainBreak("global", row[ID], instance_id, *global_problem))
            global_head, previous_id = row[GLOBAL], row[ID]
        _check_ends(session, report, stream_heads, broken_streams, global_head, previous_id, global_broken)
    report.deployment_chains = sum(1 for instance_id, _ in stream_heads if instance_id is None)
    report.head_hash = global_head
    return report


def _stream_problem(row: tuple[Any, ...], expected_prev: str) -> tuple[str, str] | None:
    prev = row[PREV]
    if content_hash(prev, *row[INSTANCE:PREV]) != row[HASH]:
        return "content", f"the {row[TYPE]} event's content does not match its hash: the row was changed"
    if prev != expected_prev:
        return "link", (
            f"the {row[TYPE]} event links to {prev[:12]}… but the previous event of this chain is "
            f"{expected_prev[:12]}…: an event before it was deleted or rewritten"
        )
    return None


def _global_problem(row: tuple[Any, ...], global_head: str, previous_id: int | None) -> tuple[str, str] | None:
    if global_digest(row[GLOBAL_PREV], row[HASH]) != row[GLOBAL]:
        return "content", "the event's global hash does not match its content: the row was changed"
    if row[GLOBAL_PREV] != global_head:
        gap = previous_id is not None and row[ID] != previous_id + 1
        if gap or previous_id is None:
            after = f"after event {previous_id}" if previous_id is not None else "at the start"
            return "missing", f"the global chain links to an event that is not there: rows {after} were deleted"
        return "link", f"the global chain does not continue from event {previous_id}: that row was rewritten"
    return None


def _check_ends(
    session: Session,
    report: VerifyReport,
    stream_heads: dict[tuple[int | None, str], str],
    broken_streams: set[tuple[int | None, str]],
    global_head: str,
    last_id: int | None,
    global_broken: bool,
) -> None:
    """The newest event of each chain must be the one its owner remembers."""
    for instance_id, last_hash in session.execute(select(Instance.id, Instance.last_event_hash)):
        report.instances += 1
        key = (instance_id, "")
        if key in broken_streams:
            continue
        if stream_heads.get(key, GENESIS) != last_hash:
            report.breaks.append(ChainBreak(
                f"instance {instance_id}", None, instance_id, "missing",
                "the instance's newest event is not in the log: its latest events were deleted",
            ))
    head = session.get(EventChainHead, 1)
    if head is not None and not global_broken and (head.hash != global_head or head.last_event_id != last_id):
        report.breaks.append(ChainBreak(
            "global", None, None, "missing",
            f"the chain head names event {head.last_event_id} but the log ends at event {last_id}: "
            "the newest events were deleted",
        ))

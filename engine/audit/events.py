"""The append-only history. Each event's hash covers its content and the previous event's hash in the
same stream (one stream per instance; one per process for deployments), so any edit breaks the chain.

A second, global chain links every event to the one before it in id order (`global_hash`), so deleting any
row is detected too. Events join the global chain when their transaction commits: the chain head row is
locked only then, after the transaction's own rows, so writers never wait on each other in opposite orders.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value

from engine.store import Event, EventChainHead, Instance

GENESIS = "0" * 64
_PENDING = "sopflow_pending_events"


def content_hash(prev_hash: str, instance_id: int | None, process_id: str, type: str, at: datetime, actor: str,
                 task_id: str | None, payload: dict[str, Any]) -> str:
    """The hash of an event's content and its link to the previous event of its stream."""
    body = json.dumps(
        {
            "prev": prev_hash,
            "instance": instance_id,
            "process": process_id,
            "type": type,
            "at": at.isoformat(),
            "actor": actor,
            "task": task_id,
            "payload": payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _digest(prev_hash: str, event: Any) -> str:
    return content_hash(prev_hash, event.instance_id, event.process_id, event.type, event.occurred_at, event.actor,
                        event.task_id, event.payload)


def global_digest(prev: str, event_hash: str) -> str:
    """The global chain's link: the previous global hash and this event's own (content) hash."""
    return hashlib.sha256(f"{prev}:{event_hash}".encode("ascii")).hexdigest()


def content_digest(prev_hash: str, event: Any) -> str:
    """The hash an event (a model or a row with the same columns) must have for its content and link."""
    return _digest(prev_hash, event)


def _json_safe(payload: dict[str, Any]) -> dict[str, Any]:
    """Round-trip through JSON so the stored payload is exactly what was hashed."""
    result: dict[str, Any] = json.loads(json.dumps(payload, default=str))
    return result


@dataclass
class PendingEvent:
    """An event recorded in a transaction, written (with its global link) when the transaction commits; a plain
    object, not an ORM one: the insert needs no identity map."""

    instance_id: int | None
    process_id: str
    type: str
    occurred_at: datetime
    actor: str
    task_id: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str = ""
    global_prev_hash: str = ""
    global_hash: str = ""


def append_event(
    session: Session,
    *,
    process_id: str,
    type: str,
    actor: str,
    at: datetime,
    instance: Instance | None = None,
    task_id: str | None = None,
    payload: dict[str, Any] | None = None,
    instance_written_by_caller: bool = False,
) -> PendingEvent:
    """Record an event in the session's transaction; it is written, and joins the global chain, when the
    transaction commits. The instance's new last hash is left to the next flush, unless the caller writes the
    instance's columns itself before the commit (`instance_written_by_caller`: a change of its workflow), so that
    a savepoint's flush does not write the instance row as well."""
    pending: list[PendingEvent] = session.info.setdefault(_PENDING, [])
    if instance is not None:
        if instance.id is None:
            session.flush()
        prev_hash = instance.last_event_hash
    else:
        unwritten = [e for e in pending if e.instance_id is None and e.process_id == process_id]
        if unwritten:
            prev_hash = unwritten[-1].hash
        else:
            last = session.scalars(
                select(Event.hash)
                .where(Event.instance_id.is_(None), Event.process_id == process_id)
                .order_by(Event.id.desc())
                .limit(1)
            ).first()
            prev_hash = last or GENESIS
    event = PendingEvent(
        instance_id=instance.id if instance is not None else None,
        process_id=process_id,
        type=type,
        occurred_at=at.astimezone(UTC),
        actor=actor,
        task_id=task_id,
        payload=_json_safe(payload or {}),
        prev_hash=prev_hash,
    )
    event.hash = _digest(prev_hash, event)
    if instance_written_by_caller:
        assert instance is not None
        set_committed_value(instance, "last_event_hash", event.hash)
    elif instance is not None:
        instance.last_event_hash = event.hash
    pending.append(event)
    return event


# Built once: these run in every writing transaction.
_LOCK_HEAD = (
    update(EventChainHead).where(EventChainHead.id == 1).values(hash=EventChainHead.hash).returning(EventChainHead.hash)
)
# The newest id is this transaction's last event: every writer of events holds the head's lock meanwhile.
_MOVE_HEAD = (
    update(EventChainHead).where(EventChainHead.id == 1)
    .values(hash=bindparam("head"), last_event_id=select(func.max(Event.id)).scalar_subquery())
)


_COLUMNS = tuple(c.key for c in Event.__table__.columns if c.key != "id")
_INSERT_EVENTS = insert(Event)


@orm_event.listens_for(Session, "before_commit")
def _write_pending_events(session: Session) -> None:
    """Lock the chain head (last, after the transaction's own rows), link the events, write them in one
    statement (Core: an event needs no identity map)."""
    if session.in_nested_transaction():
        return  # a savepoint (a service handler's) ends: its events are written with the transaction's
    pending: list[PendingEvent] = session.info.pop(_PENDING, [])
    if not pending:
        return
    session.flush()
    connection = session.connection()
    head_row = connection.execute(_LOCK_HEAD).first()
    head = head_row[0] if head_row is not None else GENESIS
    for event in pending:
        event.global_prev_hash = head
        event.global_hash = head = global_digest(head, event.hash)
    connection.execute(_INSERT_EVENTS, [{key: getattr(e, key) for key in _COLUMNS} for e in pending])
    if head_row is None:
        connection.execute(insert(EventChainHead).values(id=1, hash=head,
                                                         last_event_id=select(func.max(Event.id)).scalar_subquery()))
    else:
        connection.execute(_MOVE_HEAD, {"head": head})


@orm_event.listens_for(Session, "after_transaction_end")
def _forget_pending_events(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def instance_history(session: Session, instance_id: int) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.id)))


def verify_chain(events: list[Event]) -> int | None:
    """The id of the first event whose hash or link does not match, or None when the chain is intact."""
    prev_hash = GENESIS
    for event in events:
        if event.prev_hash != prev_hash or _digest(prev_hash, event) != event.hash:
            return event.id
        prev_hash = event.hash
    return None

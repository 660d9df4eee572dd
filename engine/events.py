"""The append-only history. Each event's hash covers its content and the previous event's hash in the
same stream (one stream per instance; one per process for deployments), so any edit breaks the chain."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store import Event, Instance

GENESIS = "0" * 64


def _digest(prev_hash: str, event: Event) -> str:
    body = json.dumps(
        {
            "prev": prev_hash,
            "instance": event.instance_id,
            "process": event.process_id,
            "type": event.type,
            "at": event.occurred_at.isoformat(),
            "actor": event.actor,
            "task": event.task_id,
            "payload": event.payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _json_safe(payload: dict[str, Any]) -> dict[str, Any]:
    """Round-trip through JSON so the stored payload is exactly what was hashed."""
    result: dict[str, Any] = json.loads(json.dumps(payload, default=str))
    return result


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
) -> Event:
    """Add an event to the session; it commits with the state change that caused it."""
    if instance is not None:
        if instance.id is None:
            session.flush()
        prev_hash = instance.last_event_hash
    else:
        last = session.scalars(
            select(Event.hash)
            .where(Event.instance_id.is_(None), Event.process_id == process_id)
            .order_by(Event.id.desc())
            .limit(1)
        ).first()
        prev_hash = last or GENESIS
    event = Event(
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
    if instance is not None:
        instance.last_event_hash = event.hash
    session.add(event)
    return event


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

"""Events as CSV or JSON, for one instance or a date range: the softcopy of the history, with its hashes so
that a copy can be checked against the chain later."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from engine.audit.csv_safe import SafeWriter
from engine.context import EngineContext
from engine.errors import NotFound, SopflowError
from engine.store import Event, Instance

COLUMNS = ("id", "instance_id", "process_id", "type", "occurred_at", "actor", "task_id", "payload", "prev_hash",
           "hash", "global_prev_hash", "global_hash")
MAX_DAYS = 366


@dataclass(frozen=True)
class EventQuery:
    """One instance, or the local dates `start`..`end` inclusive (both given), never both."""

    instance_id: int | None = None
    start: date | None = None
    end: date | None = None


def parse_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise SopflowError("%(what)s must be a date as YYYY-MM-DD, not %(text)r.", what=what, text=text) from error


def _check(query: EventQuery) -> None:
    if query.instance_id is not None:
        if query.start is not None or query.end is not None:
            raise SopflowError("give either an instance or a date range, not both")
        return
    if query.start is None or query.end is None:
        raise SopflowError("give an instance, or both the first and the last date")
    if query.end < query.start:
        raise SopflowError("the last date is before the first date")
    if (query.end - query.start).days >= MAX_DAYS:
        raise SopflowError("A date range may span at most %(days)d days.", days=MAX_DAYS)


def select_events(ctx: EngineContext, query: EventQuery) -> list[Event]:
    """The events the query names, in log order."""
    _check(query)
    statement = select(Event).order_by(Event.id)
    if query.instance_id is not None:
        statement = statement.where(Event.instance_id == query.instance_id)
    else:
        assert query.start is not None and query.end is not None
        zone = ctx.settings.calendar.timezone
        begin = datetime.combine(query.start, time(), zone)
        finish = datetime.combine(query.end + timedelta(days=1), time(), zone)
        statement = statement.where(Event.occurred_at >= begin, Event.occurred_at < finish)
    with ctx.db.session() as session:
        if query.instance_id is not None and session.get(Instance, query.instance_id) is None:
            raise NotFound("There is no item %(id)s.", id=query.instance_id)
        return list(session.scalars(statement))


def event_record(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "instance_id": event.instance_id,
        "process_id": event.process_id,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor,
        "task_id": event.task_id,
        "payload": event.payload,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "global_prev_hash": event.global_prev_hash,
        "global_hash": event.global_hash,
    }


def events_json(events: list[Event]) -> str:
    return json.dumps([event_record(e) for e in events], ensure_ascii=False, indent=1)


def events_csv(events: list[Event]) -> str:
    """One row per event; the payload column holds its JSON."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(COLUMNS)
    for event in events:
        record = event_record(event)
        record["payload"] = json.dumps(event.payload, ensure_ascii=False, sort_keys=True)
        writer.writerow(["" if record[c] is None else record[c] for c in COLUMNS])
    return buffer.getvalue()


def export_events(ctx: EngineContext, query: EventQuery, fmt: str) -> str:
    if fmt not in ("csv", "json"):
        raise SopflowError("The export format must be csv or json, not %(format)r.", format=fmt)
    events = select_events(ctx, query)
    return events_csv(events) if fmt == "csv" else events_json(events)

"""The time-standard report: per step, lane, OPD or month, how long tasks took against their standard, how
many breached, and how often an item went back (a flow its diagram marks `putaran_ulang`). Read from the
work-item columns and the gateway decisions in the log; no workflow is deserialized."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.errors import SopflowError
from engine.runtime.execution import latest_definition, process_model
from engine.runtime.instances import URL_CHECK_KEY
from engine.runtime.spiff import iso_duration
from engine.store import Definition, Event, Instance, WorkItem

GROUPINGS = ("step", "lane", "opd", "month")
MAX_DAYS = 731


@dataclass
class ReportRow:
    key: str
    label: str
    tasks: int = 0
    completed: int = 0
    on_time: int = 0
    breaches: int = 0
    loops: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    standard_seconds: float | None = None

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.completed if self.completed else None

    @property
    def breach_rate(self) -> float:
        return self.breaches / self.tasks if self.tasks else 0.0


@dataclass(frozen=True)
class AddressCheck:
    """The server's own request of a published address when a step completed (step 6's check)."""

    instance_id: int
    item: str | None
    url: str
    status: int | None
    ok: bool
    elapsed_ms: float | None
    checked_at: datetime


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    by: str
    rows: list[ReportRow]
    address_checks: list[AddressCheck] = field(default_factory=list)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def check_period(start: date, end: date) -> None:
    if end < start:
        raise SopflowError("the last date is before the first date")
    if (end - start).days >= MAX_DAYS:
        raise SopflowError("A report may span at most %(days)d days.", days=MAX_DAYS)


def _bounds(zone: ZoneInfo, start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time(), zone), datetime.combine(end + timedelta(days=1), time(), zone)


def _grouping(by: str, zone: ZoneInfo) -> Callable[[WorkItem], tuple[str, str]]:
    if by == "step":
        return lambda item: (item.step or item.spec_id, f"{item.step or '-'}. {item.name}")
    if by == "lane":
        return lambda item: (item.lane or "", item.lane or "-")
    if by == "opd":
        return lambda item: (item.opd or "", item.opd or "-")
    if by == "month":
        def month(item: WorkItem) -> tuple[str, str]:
            key = item.ready_at.astimezone(zone).strftime("%Y-%m")
            return key, key
        return month
    raise SopflowError("A report is grouped by one of %(choices)s, not %(by)r.", choices=", ".join(GROUPINGS), by=by)


def _sort_key(key: str) -> tuple[int, float, str]:
    try:
        return 0, float(key), key
    except ValueError:
        return 1, 0.0, key


def loop_flows(ctx: EngineContext, session: Session) -> dict[int, frozenset[tuple[str, str]]]:
    """Per definition, the flows its diagram marks as going back to an earlier step (putaran_ulang)."""
    return {definition_id: process_model(ctx, session, definition_id).loop_flows
            for definition_id in session.scalars(select(Definition.id))}


def is_loop(decision: dict[str, Any], flows: frozenset[tuple[str, str]]) -> bool:
    """Whether a gateway_decision event took a flow back to an earlier step."""
    return (decision.get("gateway"), decision.get("target")) in flows


def _loop_items(ctx: EngineContext, session: Session, begin: datetime, finish: datetime) -> list[str]:
    """For every decision in the period that sent an item back, the task whose completion led to it."""
    flows = loop_flows(ctx, session)
    rows = session.execute(
        select(Event.instance_id, Event.type, Event.task_id, Event.payload, Instance.definition_id)
        .join(Instance, Instance.id == Event.instance_id)
        .where(Event.type.in_(("task_completed", "gateway_decision")), Event.occurred_at >= begin,
               Event.occurred_at < finish)
        .order_by(Event.id)
    )
    last_completed: dict[int | None, str] = {}
    found: list[str] = []
    for instance_id, type_, task_id, payload, definition_id in rows:
        if type_ == "task_completed":
            last_completed[instance_id] = task_id
        elif is_loop(payload, flows.get(definition_id, frozenset())) and instance_id in last_completed:
            found.append(last_completed[instance_id])
    return found


def _address_checks(session: Session, begin: datetime, finish: datetime) -> list[AddressCheck]:
    rows = session.execute(
        select(Event.instance_id, Event.payload, Event.occurred_at)
        .where(Event.type == "task_completed", Event.occurred_at >= begin, Event.occurred_at < finish)
        .order_by(Event.id))
    found = []
    for instance_id, payload, occurred_at in rows:
        check = (payload.get("data") or {}).get(URL_CHECK_KEY)
        if isinstance(check, dict):
            found.append(AddressCheck(instance_id, payload.get("item"), str(check.get("url")), check.get("status"),
                                      bool(check.get("ok")), check.get("elapsed_ms"), occurred_at))
    return found


def time_standard_report(ctx: EngineContext, start: date, end: date, by: str = "step") -> Report:
    """Tasks that became ready between the local dates `start` and `end` (inclusive), grouped `by`."""
    check_period(start, end)
    zone = ctx.settings.calendar.timezone
    group = _grouping(by, zone)
    begin, finish = _bounds(zone, start, end)
    with ctx.db.session() as session:
        items = list(session.scalars(select(WorkItem).where(WorkItem.ready_at >= begin, WorkItem.ready_at < finish)))
        looped = _loop_items(ctx, session, begin, finish)
        loop_items = {item.id: item for item in session.scalars(select(WorkItem).where(WorkItem.id.in_(looped)))}
        checks = _address_checks(session, begin, finish)
    rows: dict[str, ReportRow] = {}
    durations: dict[str, list[float]] = defaultdict(list)
    standards: dict[str, set[str | None]] = defaultdict(set)
    for item in items:
        key, label = group(item)
        row = rows.setdefault(key, ReportRow(key, label))
        row.tasks += 1
        standards[key].add(item.time_standard)
        if item.breached_at is not None:
            row.breaches += 1
        if item.status == "completed" and item.finished_at is not None:
            row.completed += 1
            durations[key].append((item.finished_at - item.ready_at).total_seconds())
            if item.due_at is None or item.finished_at <= item.due_at:
                row.on_time += 1
    for task_id in looped:
        looped_item = loop_items.get(task_id)
        if looped_item is not None:
            key, label = group(looped_item)
            rows.setdefault(key, ReportRow(key, label)).loops += 1
    for key, row in rows.items():
        row.median_seconds = statistics.median(durations[key]) if durations[key] else None
        row.p90_seconds = percentile(durations[key], 0.9)
        [standard] = standards[key] if len(standards[key]) == 1 else [None]
        if standard:
            row.standard_seconds = iso_duration(standard, begin).total_seconds()
    ordered = sorted(rows.values(), key=lambda r: _sort_key(r.key))
    return Report(start, end, by, ordered, checks)


def breach_rates(ctx: EngineContext, start: date, end: date) -> dict[str, dict[str, Any]]:
    """Per diagram element (user task spec): tasks, breaches and the breach rate in the period."""
    check_period(start, end)
    begin, finish = _bounds(ctx.settings.calendar.timezone, start, end)
    with ctx.db.session() as session:
        rows = session.execute(
            select(WorkItem.process_id, WorkItem.spec_id, WorkItem.breached_at)
            .where(WorkItem.ready_at >= begin, WorkItem.ready_at < finish)
        ).all()
    rates: dict[str, dict[str, Any]] = {}
    for process_id, spec_id, breached_at in rows:
        entry = rates.setdefault(spec_id, {"process_id": process_id, "tasks": 0, "breaches": 0})
        entry["tasks"] += 1
        entry["breaches"] += breached_at is not None
    for entry in rates.values():
        entry["rate"] = entry["breaches"] / entry["tasks"]
    return rates


@dataclass(frozen=True)
class HeatDiagram:
    """The newest diagram of a process with its steps marked by breach rate (classes heat-0 .. heat-4)."""

    process_id: str
    xml: str
    marks: dict[str, str]


def breach_heat(ctx: EngineContext, start: date, end: date) -> list[HeatDiagram]:
    """One diagram per process that had tasks in the period."""
    rates = breach_rates(ctx, start, end)
    diagrams = []
    with ctx.db.session() as session:
        for process_id in sorted({entry["process_id"] for entry in rates.values()}):
            marks = {spec: heat_class(e["rate"]) for spec, e in rates.items() if e["process_id"] == process_id}
            diagrams.append(HeatDiagram(process_id, latest_definition(session, process_id).bpmn_xml, marks))
    return diagrams


def heat_class(rate: float) -> str:
    """A breach rate as one of five colour classes for the diagram."""
    return f"heat-{min(4, math.ceil(rate * 4))}"

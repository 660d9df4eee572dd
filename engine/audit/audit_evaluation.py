"""The monthly evaluation report (Laporan evaluasi, step 7's output) for one calendar month: what was
published, which periodic (berkala) items are due for an update, how fast urgent (serta-merta) items went out,
breaches, loops back to an earlier step, and the answers of the monitoring form that reviewed the month.

Steps and flows are found by their diagram properties, never by number or name: the monitoring step carries
`penanda` = `evaluasi_bulanan`, a loop is a flow marked `putaran_ulang`, an item's DIP class is its step's
`kelas_dip`. An item counts as published (tayang) only where a step whose address the server checks
(`periksa_tautan`) completed with the check required (`periksa_tautan.wajib_lolos`) and passed.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit.audit_reports import is_loop, loop_flows
from engine.audit.csv_safe import SafeWriter
from engine.context import EngineContext
from engine.diagrams.diagram_properties import MONTHLY_EVALUATION
from engine.errors import SopflowError
from engine.runtime.execution import process_model
from engine.runtime.instances import URL_CHECK_KEY
from engine.store import Definition, Event, Instance, WorkItem

BERKALA_MONTHS = 6


@dataclass(frozen=True)
class Publication:
    instance_id: int
    title: str | None
    opd: str | None
    dip_class: str | None
    published_at: datetime
    link: str | None
    started_at: datetime

    @property
    def lead_seconds(self) -> float:
        """From the plan's item being started to its publication being confirmed."""
        return (self.published_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class Breach:
    instance_id: int
    step: str | None
    name: str
    opd: str | None
    item: str | None
    due_at: datetime | None
    breached_at: datetime


@dataclass(frozen=True)
class MonitoringAnswer:
    instance_id: int
    actor: str
    completed_at: datetime
    answers: dict[str, Any]


@dataclass(frozen=True)
class Evaluation:
    year: int
    month: int
    published: list[Publication]
    berkala_due: list[Publication]
    serta_merta: list[Publication]
    breaches: list[Breach]
    loops: int
    loops_by_opd: dict[str, int]
    monitoring: list[MonitoringAnswer]

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def parse_month(text: str) -> tuple[int, int]:
    """'2026-11' as (2026, 11); a specific message otherwise."""
    try:
        year, month = (int(part) for part in text.split("-"))
        date(year, month, 1)
    except ValueError as error:
        raise SopflowError("The month must be given as YYYY-MM, not %(text)r.", text=text) from error
    return year, month


def published_items(ctx: EngineContext, session: Session, where: list[Any]) -> list[Publication]:
    """Completed publish steps matching `where` whose address check passed (tayang), with the item's DIP class
    (the step's `kelas_dip` property, read when it became ready) and public link."""
    checked = {(definition_id, spec_id): step
               for definition_id in session.scalars(select(Definition.id))
               for spec_id, step in process_model(ctx, session, definition_id).steps.items()
               if step.url_check_field}
    rows = session.execute(
        select(WorkItem, Instance.definition_id).join(Instance, Instance.id == WorkItem.instance_id)
        .where(WorkItem.spec_id.in_({spec_id for _, spec_id in checked}), WorkItem.status == "completed", *where)
        .order_by(WorkItem.finished_at)).all()
    candidates = [(item, checked[(definition_id, item.spec_id)]) for item, definition_id in rows
                  if (definition_id, item.spec_id) in checked]
    ids = {item.instance_id for item, _ in candidates}
    instances = {i.id: i for i in session.scalars(select(Instance).where(Instance.id.in_(ids)))}
    answers: dict[str, dict[str, Any]] = {
        task_id: payload.get("data") or {} for task_id, payload in session.execute(
            select(Event.task_id, Event.payload)
            .where(Event.instance_id.in_(ids), Event.type == "task_completed").order_by(Event.id))
    }
    result = []
    for item, step in candidates:
        data = answers.get(item.id, {})
        if not (step.url_check_must_pass(data) and (data.get(URL_CHECK_KEY) or {}).get("ok")):
            continue
        instance = instances[item.instance_id]
        assert item.finished_at is not None
        result.append(Publication(item.instance_id, instance.title or item.item_label, instance.opd or item.opd,
                                  item.dip_class, item.finished_at, data.get(step.url_check_field or ""),
                                  instance.started_at))
    return result


def monthly_evaluation(ctx: EngineContext, year: int, month: int) -> Evaluation:
    zone = ctx.settings.calendar.timezone
    begin = datetime.combine(date(year, month, 1), time(), zone)
    finish = datetime.combine(date(*_shift(year, month, 1), 1), time(), zone)
    review_end = datetime.combine(date(*_shift(year, month, 2), 1), time(), zone)
    cutoff = datetime.combine(date(*_shift(year, month, 1 - BERKALA_MONTHS), 1), time(), zone)

    with ctx.db.session() as session:
        published = published_items(ctx, session, [WorkItem.finished_at >= begin, WorkItem.finished_at < finish])
        until_end = published_items(ctx, session, [WorkItem.finished_at < finish])
    latest: dict[tuple[str | None, str | None], Publication] = {}
    for publication in until_end:
        latest[(publication.title, publication.opd)] = publication
    berkala_due = [p for p in latest.values() if p.dip_class == "berkala" and p.published_at < cutoff]
    with ctx.db.session() as session:
        breaches = [
            Breach(i.instance_id, i.step, i.name, i.opd, i.item_label, i.due_at, i.breached_at)
            for i in session.scalars(
                select(WorkItem).where(WorkItem.breached_at >= begin, WorkItem.breached_at < finish)
                .order_by(WorkItem.breached_at))
            if i.breached_at is not None
        ]
        decisions = session.execute(
            select(Event.payload, Instance.opd, Instance.definition_id).join(Instance, Instance.id == Event.instance_id)
            .where(Event.type == "gateway_decision", Event.occurred_at >= begin, Event.occurred_at < finish)
        ).all()
        flows = loop_flows(ctx, session)
        monitoring = {(model.process_id, spec_id) for model in (process_model(ctx, session, definition_id)
                                                                 for definition_id in flows)
                      for spec_id in model.steps_marked(MONTHLY_EVALUATION)}
        monitors = [row for row in session.execute(
            select(WorkItem.instance_id, WorkItem.finished_by, WorkItem.finished_at, Event.payload,
                   WorkItem.process_id, WorkItem.spec_id)
            .join(Instance, Instance.id == WorkItem.instance_id)
            .join(Event, (Event.task_id == WorkItem.id) & (Event.type == "task_completed"))
            .where(WorkItem.spec_id.in_({spec_id for _, spec_id in monitoring}), WorkItem.status == "completed",
                   Instance.started_at >= finish, Instance.started_at < review_end)
            .order_by(WorkItem.finished_at)
        ) if (row.process_id, row.spec_id) in monitoring]
    loops_by_opd = Counter(opd or "-" for payload, opd, definition_id in decisions
                           if is_loop(payload, flows.get(definition_id, frozenset())))
    return Evaluation(
        year, month, published, sorted(berkala_due, key=lambda p: p.published_at),
        [p for p in published if p.dip_class == "serta_merta"], breaches, sum(loops_by_opd.values()),
        dict(sorted(loops_by_opd.items())),
        [MonitoringAnswer(row.instance_id, row.finished_by or "", row.finished_at, dict(row.payload.get("data") or {}))
         for row in monitors],
    )


def evaluation_csv(evaluation: Evaluation, zone: Any) -> str:
    """The report as one CSV with a section column, for spreadsheets."""
    buffer = io.StringIO()
    out = SafeWriter(buffer)
    out.writerow(["section", "instance", "title", "opd", "class", "time", "value", "detail"])

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    for p in evaluation.published:
        out.writerow(["published", p.instance_id, p.title, p.opd, p.dip_class, local(p.published_at), p.link, ""])
    for p in evaluation.berkala_due:
        out.writerow(["berkala_due", p.instance_id, p.title, p.opd, p.dip_class, local(p.published_at), "", ""])
    for p in evaluation.serta_merta:
        out.writerow(["serta_merta", p.instance_id, p.title, p.opd, p.dip_class, local(p.published_at),
                      round(p.lead_seconds), "seconds from start to publication"])
    for b in evaluation.breaches:
        out.writerow(["breach", b.instance_id, b.item, b.opd, "", local(b.breached_at), b.step, b.name])
    for opd, count in evaluation.loops_by_opd.items():
        out.writerow(["sent_back", "", "", opd, "", "", count, ""])
    for answer in evaluation.monitoring:
        for key, value in answer.answers.items():
            out.writerow(["monitoring", answer.instance_id, "", "", "", local(answer.completed_at), value, key])
    return buffer.getvalue()

"""The visual replay: for each event of an instance, what its diagram showed at that moment (done, active,
overdue elements) and what happened (who, which data, which attachments). Computed from the log alone; the
page only draws the frames."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from sqlalchemy import select

from engine.context import EngineContext
from engine.diagrams.diagram import ProcessModel
from engine.runtime.case_file import CaseValue, step_values
from engine.runtime.instance_log import read_instance_log
from engine.runtime.instances import URL_CHECK_KEY
from engine.store import Attachment, Event


@dataclass
class _Open:
    spec: str
    due_at: datetime | None
    breached: bool = False


@dataclass(frozen=True)
class ReplayView:
    instance_id: int
    process_id: str
    process_name: str
    version: int
    title: str | None
    status: str
    bpmn_xml: str
    frames: list[dict[str, Any]]
    values: list[tuple[CaseValue, ...]]  # what each frame's event recorded, worded for a person, by frame


# What an event says besides its form data: payload key, its label (an English msgid, translated for display) and
# how its value reads ("moment": a time, "seconds": a duration, "bytes": a size). An automatic step's handler
# code is left out: the frame's title names the step.
DETAILS = (("item", "Item", "text"), ("opd", "OPD", "text"), ("lane", "Lane", "text"), ("flow", "Flow", "text"),
           ("target_name", "Goes to", "text"), ("due_at", "Deadline", "moment"),
           ("late_by_seconds", "Late by", "seconds"), ("reason", "Reason", "longtext"),
           ("filename", "File name", "text"), ("size", "Size", "bytes"),
           ("sha256", "SHA-256", "text"), ("body", "Comment", "longtext"), ("from_version", "From version", "text"),
           ("to_version", "To version", "text"))


def _attachment(row: Attachment) -> dict[str, Any]:
    return {"id": row.id, "filename": row.filename, "size": row.size, "sha256": row.sha256,
            "uploaded_by": row.uploaded_by, "uploaded_at": row.uploaded_at.isoformat()}


class _Marks:
    """The diagram's state as the log unfolds."""

    def __init__(self, start_ids: list[str], steps: dict[str, str]) -> None:
        self.start_ids = start_ids
        self.steps = steps  # user task spec -> its name
        self.done: dict[str, None] = {}
        self.open: dict[str, _Open] = {}

    def apply(self, event: Event) -> None:
        payload, task_id = event.payload, event.task_id or ""
        if event.type == "instance_started":
            self.done.update(dict.fromkeys(self.start_ids))
        elif event.type == "task_ready":
            due = payload.get("due_at")
            self.open[task_id] = _Open(str(payload.get("spec")), datetime.fromisoformat(due) if due else None)
        elif event.type == "task_completed" and task_id in self.open:
            self.done[self.open.pop(task_id).spec] = None
        elif event.type == "task_withdrawn":
            self.open.pop(task_id, None)
        elif event.type == "gateway_decision":
            self.done[str(payload.get("gateway"))] = None
            target = str(payload.get("target"))
            if target not in self.steps:
                self.done[target] = None
        elif event.type == "timer_fired":
            self.done[str(payload.get("timer"))] = None
        elif event.type == "service_completed" and payload.get("spec"):
            self.done[str(payload["spec"])] = None
        elif event.type == "time_standard_breached" and task_id in self.open:
            self.open[task_id].breached = True

    def marks(self, at: datetime) -> dict[str, str]:
        result = dict.fromkeys(self.done, "done")
        for item in self.open.values():
            late = item.breached or (item.due_at is not None and item.due_at <= at)
            if result.get(item.spec) != "overdue":
                result[item.spec] = "overdue" if late else "active"
        return result

    def overdue(self, at: datetime) -> list[str]:
        """The names of the steps open past their due time."""
        late = {o.spec for o in self.open.values() if o.breached or (o.due_at is not None and o.due_at <= at)}
        return sorted(self.steps.get(spec, spec) for spec in late)


def _frame_values(model: ProcessModel, event: Event, spec: str | None) -> tuple[CaseValue, ...]:
    payload = event.payload
    data = payload.get("data")
    values = step_values(model, spec, data) if isinstance(data, dict) and data else ()
    check = data.get(URL_CHECK_KEY) if isinstance(data, dict) else None
    if isinstance(check, dict):
        values += (CaseValue(URL_CHECK_KEY, "Address check", "url_check", check, str(check.get("url") or "")),)
    for key, label, kind in DETAILS:
        value = payload.get(key)
        if value is None or value == "":
            continue
        if kind == "moment":
            value = datetime.fromisoformat(str(value))
        values += (CaseValue(key, label, kind, value, str(value)),)
    return values


def replay_frames(ctx: EngineContext, instance_id: int) -> ReplayView:
    """One frame per event (and, for a running instance, one for now), oldest first."""
    with ctx.db.session() as session:
        instance, definition, model, log, names = read_instance_log(ctx, session, instance_id)
        attachments: dict[str, list[dict[str, Any]]] = {}
        for row in session.scalars(select(Attachment).where(Attachment.instance_id == instance_id)
                                   .order_by(Attachment.uploaded_at)):
            attachments.setdefault(row.task_id or "", []).append(_attachment(row))
    start_ids = [s.bpmn_id for s in model.spec.task_specs.values() if isinstance(s, StartEvent) and s.bpmn_id]
    state = _Marks(start_ids, {spec: step.name for spec, step in model.steps.items()})
    frames: list[dict[str, Any]] = []
    values: list[tuple[CaseValue, ...]] = []
    spec_of: dict[str, str] = {}  # task id -> its step's element, from the event that made it ready
    for event in log:
        state.apply(event)
        if event.type == "task_ready" and event.task_id:
            spec_of[event.task_id] = str(event.payload.get("spec"))
        values.append(_frame_values(model, event, spec_of.get(event.task_id or "")))
        frames.append({
            "index": len(frames),
            "event_id": event.id,
            "type": event.type,
            "at": event.occurred_at.isoformat(),
            "actor": event.actor,
            "actor_name": names.get(event.actor, event.actor),
            "task_id": event.task_id,
            "payload": event.payload,
            "attachments": attachments.get(event.task_id or "", []) if event.type == "task_completed" else [],
            "marks": state.marks(event.occurred_at),
            "overdue": state.overdue(event.occurred_at),
        })
    now = ctx.clock.now()
    if instance.status == "running" and log and now > log[-1].occurred_at:
        frames.append({
            "index": len(frames), "event_id": None, "type": "now", "at": now.isoformat(), "actor": "",
            "actor_name": "", "task_id": None, "payload": {}, "attachments": [],
            "marks": state.marks(now), "overdue": state.overdue(now),
        })
        values.append(())
    return ReplayView(instance.id, instance.process_id, model.name, definition.version, instance.title,
                      instance.status, definition.bpmn_xml, frames, values)

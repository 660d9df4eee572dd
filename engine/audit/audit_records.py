"""The record of one instance (softcopy and hardcopy): the SOP's identity, every step with its actor, times,
duration against the standard, the validation result and the approval initials, and the chain's state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.audit.events import verify_chain
from engine.context import EngineContext
from engine.diagrams.sop_document import build_sop_document
from engine.runtime.instance_log import read_instance_log
from engine.runtime.instances import URL_CHECK_KEY
from engine.runtime.spiff import iso_duration
from engine.store import Instance


@dataclass
class StepLine:
    task_id: str
    step: str | None
    name: str
    lane: str | None
    opd: str | None
    ready_at: datetime
    due_at: datetime | None
    time_standard: str | None
    standard_seconds: float | None
    status: str = "open"
    actor: str | None = None
    actor_name: str | None = None
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    within_standard: bool | None = None
    breached_at: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # field name -> the form's label, from the diagram
    choice_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # field name -> code -> label
    date_fields: frozenset[str] = frozenset()  # field names whose value is an ISO date, shown as a date

    def shown(self, key: str, value: Any) -> Any:
        """A choice as its label ("Belum sesuai"), not its code."""
        return self.choice_labels.get(key, {}).get(value, value) if isinstance(value, str) else value

    @property
    def answers(self) -> dict[str, Any]:
        """What the step's form recorded, field by field in the diagram's order (verdicts, reasons, checklists,
        initials): every step alike, whatever its number."""
        return {name: self.data[name] for name in self.labels if name in self.data}

    @property
    def url_check(self) -> dict[str, Any]:
        """The server's own request of the public address (step 6): url, status, ok, elapsed_ms, checked_at."""
        check = self.data.get(URL_CHECK_KEY)
        if not isinstance(check, dict):
            return {}
        when = check.get("checked_at")
        return {**check, "checked_at": datetime.fromisoformat(when) if isinstance(when, str) else None}


@dataclass(frozen=True)
class InstanceRecord:
    identity: tuple[tuple[str, str], ...]
    instance_id: int
    process_id: str
    process_name: str
    version: int
    title: str | None
    opd: str | None
    status: str
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    steps: list[StepLine]
    decisions: list[dict[str, Any]]
    children: list[tuple[int, str | None, str]]
    events: int
    last_hash: str
    chain_intact: bool
    cancel_reason: str | None


def instance_record(ctx: EngineContext, instance_id: int) -> InstanceRecord:
    with ctx.db.session() as session:
        instance, definition, model, log, names = read_instance_log(ctx, session, instance_id)
        children = [(c.id, c.title, c.status) for c in session.scalars(
            select(Instance).where(Instance.parent_id == instance_id).order_by(Instance.id))]
    steps: dict[str, StepLine] = {}
    decisions: list[dict[str, Any]] = []
    cancel_reason = None
    for event in log:
        payload, task_id = event.payload, event.task_id or ""
        if event.type == "task_ready":
            standard = payload.get("time_standard")
            due = payload.get("due_at")
            spec = model.steps.get(str(payload.get("spec")))
            steps[task_id] = StepLine(
                task_id, payload.get("step"), str(payload.get("name")), payload.get("lane"), payload.get("opd"),
                event.occurred_at, datetime.fromisoformat(due) if due else None, standard,
                iso_duration(standard, event.occurred_at).total_seconds() if standard else None,
                labels={f.name: f.label for f in spec.fields} if spec is not None else {},
                choice_labels={f.name: {code: f.label_of(code) for code in f.choices}
                               for f in (spec.fields if spec is not None else ()) if f.choices},
                date_fields=frozenset(f.name for f in (spec.fields if spec is not None else ()) if f.kind == "date"),
            )
        elif event.type == "task_completed" and task_id in steps:
            line = steps[task_id]
            line.status, line.actor, line.actor_name = "completed", event.actor, names.get(event.actor, event.actor)
            line.finished_at = event.occurred_at
            line.duration_seconds = payload.get("duration_seconds")
            line.within_standard = payload.get("within_time_standard")
            line.data = dict(payload.get("data") or {})
        elif event.type == "task_withdrawn" and task_id in steps:
            steps[task_id].status = "withdrawn"
        elif event.type == "time_standard_breached" and task_id in steps:
            steps[task_id].breached_at = event.occurred_at
        elif event.type == "gateway_decision":
            decisions.append({"at": event.occurred_at, "gateway": payload.get("gateway_name"),
                              "flow": payload.get("flow")})
        elif event.type == "instance_cancelled":
            cancel_reason = payload.get("reason")
    return InstanceRecord(
        tuple(build_sop_document(ctx).identity), instance.id, instance.process_id, model.name, definition.version,
        instance.title,
        instance.opd, instance.status, instance.started_by, instance.started_at, instance.finished_at,
        list(steps.values()), decisions, children, len(log), instance.last_event_hash,
        verify_chain(log) is None and (not log or log[-1].hash == instance.last_event_hash), cancel_reason,
    )

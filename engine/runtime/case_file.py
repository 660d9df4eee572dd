"""The case file (berkas) of an instance: what its earlier steps recorded, read from the event log.

Per round (a round ends when a decision sends the item back), every completed step with who, when, and each
submitted value labelled by the step's form in the diagram. An item started from a plan also shows the plan's
step with this item's own row only, never the other offices' rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.diagrams.diagram import ProcessModel
from engine.diagrams.forms import ITEM_DATE_KEYS, ITEM_KEYS, FormField, humanise
from engine.people.records import User
from engine.people.users import get_user
from engine.runtime.execution import process_model
from engine.runtime.instance_view import WITHOUT_STATE
from engine.store import Attachment, Event, Instance, WorkItem

# A plan row's keys that no form field of the item's diagram names: English msgids, translated for display.
ITEM_KEY_LABELS = {"judul": "Title", "ringkasan": "Summary", "kelas_dip": "DIP class", "opd": "Responsible OPD",
                   "tanggal_target": "Target date"}


@dataclass(frozen=True)
class CaseValue:
    name: str
    label: str
    kind: str
    value: Any
    text: str  # what a person reads: a choice's label, else the value as text
    rows: tuple[tuple[CaseValue, ...], ...] = ()  # the rows of an `items` value


@dataclass(frozen=True)
class CaseEntry:
    """One completed step."""

    task_id: str | None
    step: str | None
    name: str
    actor: str
    actor_name: str
    at: datetime
    values: tuple[CaseValue, ...]
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class CaseRound:
    number: int
    entries: tuple[CaseEntry, ...]
    returned_by: str | None = None  # the flow that sent the item back, e.g. "Belum sesuai"
    decision: str | None = None  # the question it answered, e.g. "Hasil verifikasi?"
    reasons: tuple[CaseValue, ...] = ()  # what the deciding step had to write for that answer (its "required if")

    @property
    def decided_at(self) -> CaseEntry | None:
        return self.entries[-1] if self.entries else None


@dataclass(frozen=True)
class CaseFile:
    plan: CaseEntry | None  # the plan's step, with this item's row only
    rounds: tuple[CaseRound, ...]
    open_attachments: tuple[Attachment, ...] = ()  # files of steps still open (removed ones included)

    @property
    def current(self) -> CaseRound | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def earlier(self) -> tuple[CaseRound, ...]:
        return self.rounds[:-1]

    @property
    def returned(self) -> CaseRound | None:
        """The round that just sent the item back, while the step it went back to is still open."""
        if len(self.rounds) < 2 or self.rounds[-1].entries or not self.rounds[-2].returned_by:
            return None
        return self.rounds[-2]

    @property
    def empty(self) -> bool:
        return self.plan is None and not any(r.entries for r in self.rounds) and not self.open_attachments


def _text(form_field: FormField | None, value: Any) -> str:
    if form_field is not None and form_field.kind == "choice" and isinstance(value, str):
        return form_field.label_of(value)
    if isinstance(value, bool | list | dict):
        return ""
    return "" if value is None else str(value)


def _item_row(row: dict[str, Any], labels: dict[str, FormField]) -> tuple[CaseValue, ...]:
    values = []
    for key in ITEM_KEYS:
        if key in row:
            known = labels.get(key)
            label = known.label if known is not None else ITEM_KEY_LABELS[key]
            kind = known.kind if known else ("date" if key in ITEM_DATE_KEYS else "text")
            text = _text(known, row[key]) if known or key != "kelas_dip" else humanise(str(row[key]))
            values.append(CaseValue(key, label, kind, row[key], text))
    return tuple(values)


def _values(fields: tuple[FormField, ...], data: dict[str, Any], labels: dict[str, FormField]) -> tuple[CaseValue, ...]:
    values = []
    for form_field in fields:
        if form_field.name not in data:
            continue
        value = data[form_field.name]
        if isinstance(value, dict):  # one plan row, as an item's start data holds it
            value = [value]
        rows: tuple[tuple[CaseValue, ...], ...] = ()
        if form_field.kind == "items" and isinstance(value, list):
            rows = tuple(_item_row(row, labels) for row in value if isinstance(row, dict))
        values.append(CaseValue(form_field.name, form_field.label, form_field.kind, value, _text(form_field, value),
                                rows))
    return tuple(values)


def _fields_of(model: ProcessModel, spec_id: str | None, data: dict[str, Any]) -> tuple[FormField, ...]:
    """The step's form; a step the diagram no longer has (an older version) gets its keys humanised."""
    step = model.steps.get(spec_id or "")
    if step is not None:
        return step.fields
    return tuple(FormField(key, "items" if isinstance(value, dict | list) else "text", humanise(key), False)
                 for key, value in data.items())


def step_values(model: ProcessModel, spec_id: str | None, data: dict[str, Any]) -> tuple[CaseValue, ...]:
    """What a step (or an instance's start) recorded, named and worded as the diagram's forms name it."""
    labels = {f.name: f for step in model.steps.values() for f in step.fields}
    return _values(_fields_of(model, spec_id, data), data, labels)


class _Reader:
    def __init__(self, ctx: EngineContext, session: Session, instance: Instance) -> None:
        self.ctx, self.session, self.instance = ctx, session, instance
        self.model = process_model(ctx, session, instance.definition_id)
        self.labels = {f.name: f for step in self.model.steps.values() for f in step.fields}
        self.names: dict[str, str] = dict(session.execute(select(User.username, User.display_name)).tuples().all())
        self.specs: dict[str, str] = dict(session.execute(
            select(WorkItem.id, WorkItem.spec_id).where(WorkItem.instance_id == instance.id)).tuples().all())

    def entry(self, event: Event, model: ProcessModel, values: tuple[CaseValue, ...] | None = None,
              attachments: tuple[Attachment, ...] = ()) -> CaseEntry:
        payload = event.payload
        data = payload.get("data") or {}
        spec = self.specs.get(event.task_id or "")
        if values is None:
            values = _values(_fields_of(model, spec, data), data, self.labels)
        return CaseEntry(event.task_id, payload.get("step"), str(payload.get("name") or ""), event.actor,
                         self.names.get(event.actor, event.actor), event.occurred_at, values, attachments)

    def plan_entry(self, started: Event) -> CaseEntry | None:
        """The parent's step that started this item, its `items` values cut down to this item's row."""
        parent = None
        if self.instance.parent_id is not None:  # a plan's state may be large and is not read here
            parent = self.session.get(Instance, self.instance.parent_id, options=[WITHOUT_STATE])
        own_row = (started.payload.get("data") or {}).get("item")
        if parent is None or not isinstance(own_row, dict):
            return None
        completed = self.session.scalars(
            select(Event).where(Event.instance_id == parent.id, Event.type == "task_completed", Event.id < started.id)
            .order_by(Event.id.desc()).limit(1)
        ).first()
        if completed is None:
            return None
        model = process_model(self.ctx, self.session, parent.definition_id)
        spec = self.session.scalar(select(WorkItem.spec_id).where(WorkItem.id == completed.task_id))
        data = completed.payload.get("data") or {}
        fields = _fields_of(model, spec, data)
        own = {f.name: [own_row] for f in fields if f.kind == "items"}
        values = _values(fields, {**data, **own}, self.labels)
        return self.entry(completed, model, values)


def _reasons(entry: CaseEntry, labels: dict[str, FormField]) -> tuple[CaseValue, ...]:
    """The values the step had to give because of its answer: fields required only if that answer was chosen."""
    answers = {value.name: value.value for value in entry.values}
    return tuple(value for value in entry.values if (form_field := labels.get(value.name)) is not None
                 and form_field.required_if is not None
                 and answers.get(form_field.required_if[0]) == form_field.required_if[1])


def build_case_file(ctx: EngineContext, session: Session, instance: Instance) -> CaseFile:
    reader = _Reader(ctx, session, instance)
    events = list(session.scalars(select(Event).where(Event.instance_id == instance.id).order_by(Event.id)))
    files = list(session.scalars(
        select(Attachment).where(Attachment.instance_id == instance.id).order_by(Attachment.uploaded_at)))
    completed_tasks = {e.task_id for e in events if e.type == "task_completed"}
    plan = None
    rounds: list[CaseRound] = []
    entries: list[CaseEntry] = []
    done: set[str | None] = set()  # the steps completed in this round: one ready again starts the next round
    decision: dict[str, Any] = {}
    for event in events:
        if event.type == "instance_started" and instance.parent_id is not None:
            plan = reader.plan_entry(event)
        elif event.type == "gateway_decision":
            decision = event.payload
        elif event.type == "task_ready" and event.payload.get("spec") in done:
            reasons = _reasons(entries[-1], reader.labels) if entries else ()
            rounds.append(CaseRound(len(rounds) + 1, tuple(entries), decision.get("flow"),
                                    decision.get("gateway_name"), reasons))
            entries, done = [], set()
        elif event.type == "task_completed":
            mine = tuple(a for a in files if a.task_id == event.task_id)
            entries.append(reader.entry(event, reader.model, attachments=mine))
            done.add(reader.specs.get(event.task_id or ""))
    rounds.append(CaseRound(len(rounds) + 1, tuple(entries)))
    return CaseFile(
        plan,
        tuple(rounds),
        tuple(a for a in files if a.task_id not in completed_tasks),
    )


def case_file(ctx: EngineContext, instance_id: int, viewer: str) -> CaseFile:
    """The case file, for whoever may see the instance."""
    with ctx.db.session() as session:
        instance = ctx.policy.viewable_instance(session, get_user(session, viewer), instance_id)
        return build_case_file(ctx, session, instance)


def as_dict(case: CaseFile, translate: Callable[[str], str]) -> dict[str, Any]:
    """The case file as JSON: raw values and what a person reads, labels through `translate`."""

    def value(item: CaseValue) -> dict[str, Any]:
        result = {"name": item.name, "label": translate(item.label), "kind": item.kind, "value": item.value,
                  "text": item.text}
        if item.rows:
            result["rows"] = [[value(cell) for cell in row] for row in item.rows]
        return result

    def attachment(file: Attachment) -> dict[str, Any]:
        return {"id": file.id, "filename": file.filename, "size": file.size, "uploaded_by": file.uploaded_by,
                "uploaded_at": file.uploaded_at.isoformat(), "removed_by": file.removed_by,
                "removed_at": file.removed_at.isoformat() if file.removed_at else None,
                "removal_reason": file.removal_reason}

    def entry(item: CaseEntry) -> dict[str, Any]:
        return {"task_id": item.task_id, "step": item.step, "name": item.name, "actor": item.actor,
                "actor_name": item.actor_name, "at": item.at.isoformat(),
                "values": [value(v) for v in item.values], "attachments": [attachment(a) for a in item.attachments]}

    return {
        "plan": entry(case.plan) if case.plan is not None else None,
        "rounds": [{"number": r.number, "returned_by": r.returned_by, "entries": [entry(e) for e in r.entries]}
                   for r in case.rounds],
        "open_attachments": [attachment(a) for a in case.open_attachments],
    }

"""Versions of a process: the list and the difference between two (moving an instance: engine/diagrams/migration.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.diagrams.diagram_xml import BPMN_NS, NS, executable_processes, lanes_of, properties_of
from engine.diagrams.validation import screen
from engine.errors import NotFound
from engine.runtime.execution import newest_definitions
from engine.store import Definition, Draft, Instance


@dataclass(frozen=True)
class VersionInfo:
    id: int
    process_id: str
    name: str
    version: int
    deployed_by: str
    deployed_at: datetime
    note: str | None
    content_hash: str
    running: int


def is_deployed(ctx: EngineContext, process_id: str) -> bool:
    with ctx.db.session() as session:
        return session.scalar(select(Definition.id).where(Definition.process_id == process_id).limit(1)) is not None


def list_versions(ctx: EngineContext, process_id: str) -> list[VersionInfo]:
    """Every deployed version, newest first, with how many instances still run on it."""
    with ctx.db.session() as session:
        running = dict(
            session.execute(
                select(Instance.definition_id, func.count())
                .where(Instance.process_id == process_id, Instance.status == "running")
                .group_by(Instance.definition_id)
            ).tuples().all()
        )
        rows = session.scalars(
            select(Definition).where(Definition.process_id == process_id).order_by(Definition.version.desc())
        ).all()
        if not rows:
            raise NotFound("Process %(process)r is not deployed.", process=process_id)
        return [
            VersionInfo(d.id, d.process_id, d.name, d.version, d.deployed_by, d.deployed_at, d.note, d.content_hash,
                        int(running.get(d.id, 0)))
            for d in rows
        ]


def get_version(session: Session, process_id: str, version: int) -> Definition:
    definition = session.scalars(
        select(Definition).where(Definition.process_id == process_id, Definition.version == version)
    ).first()
    if definition is None:
        raise NotFound("Process %(process)r has no version %(version)s.", process=process_id, version=version)
    return definition


@dataclass(frozen=True)
class ProcessSummary:
    process_id: str
    name: str
    version: int
    deployed_by: str
    deployed_at: datetime
    has_draft: bool
    running: int


def list_processes(ctx: EngineContext) -> list[ProcessSummary]:
    """Every deployed process with its newest version, whether a draft waits, and how many instances run; then
    the new processes that have only a draft (version 0)."""
    with ctx.db.session() as session:
        rows = newest_definitions(session)
        drafts = {draft.process_id: draft for draft in session.scalars(select(Draft).order_by(Draft.process_id))}
        running = dict(
            session.execute(
                select(Instance.process_id, func.count()).where(Instance.status == "running").group_by(
                    Instance.process_id)
            ).tuples().all()
        )
        deployed = [
            ProcessSummary(d.process_id, d.name, d.version, d.deployed_by, d.deployed_at, d.process_id in drafts,
                           int(running.get(d.process_id, 0)))
            for d in rows
        ]
        known = {d.process_id for d in rows}
        new = [ProcessSummary(draft.process_id, _draft_name(draft.bpmn_xml, draft.process_id), 0, draft.saved_by,
                              draft.saved_at, True, 0) for draft in drafts.values() if draft.process_id not in known]
        return deployed + new


def _draft_name(xml: str, process_id: str) -> str:
    root, _problems = screen(xml.encode("utf-8"))
    processes = root.iterfind("bpmn:process", NS) if root is not None else iter(())
    process = next((p for p in processes if p.get("id") == process_id), None)
    return str(process.get("name") or process_id) if process is not None else process_id


def process_names(ctx: EngineContext) -> dict[str, str]:
    """Each deployed process's name (its newest version's), without counting its instances; a new process that
    has only its draft is named by the draft."""
    with ctx.db.session() as session:
        rows = session.execute(select(Definition.process_id, Definition.name).order_by(Definition.version))
        names = dict(rows.tuples().all())
        for draft in session.scalars(select(Draft).where(Draft.process_id.not_in(names))):
            names[draft.process_id] = _draft_name(draft.bpmn_xml, draft.process_id)
        return names


@dataclass(frozen=True)
class RunningInstance:
    id: int
    title: str | None
    version: int
    current_task: str | None
    started_at: datetime


def running_instances(ctx: EngineContext, process_id: str, limit: int = 200) -> list[RunningInstance]:
    """Running instances of a process with the version each runs on, oldest first (from indexed columns)."""
    with ctx.db.session() as session:
        rows = session.execute(
            select(Instance.id, Instance.title, Definition.version, Instance.current_task, Instance.started_at)
            .join(Definition, Definition.id == Instance.definition_id)
            .where(Instance.process_id == process_id, Instance.status == "running")
            .order_by(Instance.id)
            .limit(limit)
        ).tuples().all()
        return [RunningInstance(*row) for row in rows]


# Difference between two versions


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    kind: str
    name: str
    changes: tuple[tuple[str, str | None, str | None], ...] = ()


@dataclass(frozen=True)
class TimeStandardChange:
    element_id: str
    name: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class VersionDiff:
    process_id: str
    old_version: int
    new_version: int
    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)
    time_standards: list[TimeStandardChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _text(node: etree._Element | None) -> str | None:
    return (node.text or "").strip() or None if node is not None else None


def describe_elements(xml: str) -> dict[str, dict[str, str | None]]:
    """The executable process's elements (flow nodes, flows, lanes) as comparable attributes; layout ignored."""
    root, _ = screen(xml.encode("utf-8"))
    if root is None:
        return {}
    processes = executable_processes(root)
    if not processes:
        return {}
    lanes = lanes_of(root)
    result: dict[str, dict[str, str | None]] = {}
    for node in processes[0].iter():
        if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN_NS:
            continue
        kind, node_id = etree.QName(node).localname, node.get("id")
        if node_id is None or kind in ("process", "laneSet", "extensionElements") or kind.endswith("Definition"):
            continue
        attributes: dict[str, str | None] = {"jenis": kind, "nama": node.get("name")}
        if kind == "lane":
            refs = node.findall(f"{{{BPMN_NS}}}flowNodeRef")
            attributes["elemen"] = ", ".join(sorted((ref.text or "").strip() for ref in refs))
        elif kind == "sequenceFlow":
            attributes.update(dari=node.get("sourceRef"), ke=node.get("targetRef"),
                              kondisi=_text(node.find(f"{{{BPMN_NS}}}conditionExpression")))
        else:
            attributes["lane"] = lanes.get(node_id, (None, None))[1]
            for key, value in sorted(properties_of(node).items()):
                attributes[key] = value
            if node.get("attachedToRef"):
                attributes["melekat_pada"] = node.get("attachedToRef")
            if node.get("default"):
                attributes["default"] = node.get("default")
            timer = node.find(f"{{{BPMN_NS}}}timerEventDefinition")
            if timer is not None and len(timer):
                attributes["timer"] = _text(timer[0])
            operator = node.find(f"{{{BPMN_NS}}}extensionElements/{{{NS['spiffworkflow']}}}serviceTaskOperator")
            if operator is not None:
                attributes["handler"] = operator.get("id")
        result[node_id] = attributes
    return result


def diff_definitions(old: Definition, new: Definition) -> VersionDiff:
    before, after = describe_elements(old.bpmn_xml), describe_elements(new.bpmn_xml)
    result = VersionDiff(old.process_id, old.version, new.version)

    def entry(element_id: str, attributes: dict[str, str | None], changes: tuple[Any, ...] = ()) -> ElementChange:
        return ElementChange(element_id, attributes.get("jenis") or "", attributes.get("nama") or element_id, changes)

    for element_id in sorted(after.keys() - before.keys()):
        result.added.append(entry(element_id, after[element_id]))
    for element_id in sorted(before.keys() - after.keys()):
        result.removed.append(entry(element_id, before[element_id]))
    for element_id in sorted(before.keys() & after.keys()):
        old_attrs, new_attrs = before[element_id], after[element_id]
        changes = tuple(
            (key, old_attrs.get(key), new_attrs.get(key))
            for key in sorted(old_attrs.keys() | new_attrs.keys())
            if old_attrs.get(key) != new_attrs.get(key)
        )
        if changes:
            result.changed.append(entry(element_id, new_attrs, changes))
        if old_attrs["jenis"] == "userTask" and old_attrs.get("standar_waktu") != new_attrs.get("standar_waktu"):
            result.time_standards.append(TimeStandardChange(element_id, new_attrs.get("nama") or element_id,
                                                            old_attrs.get("standar_waktu"),
                                                            new_attrs.get("standar_waktu")))
    return result


def diff_versions(ctx: EngineContext, process_id: str, old_version: int, new_version: int) -> VersionDiff:
    with ctx.db.session() as session:
        return diff_definitions(get_version(session, process_id, old_version),
                                get_version(session, process_id, new_version))

"""Deploying diagrams as versioned definitions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from engine.audit.events import append_event
from engine.context import EngineContext
from engine.diagrams.validation import validate_diagram
from engine.errors import InvalidDiagram
from engine.people.users import SYSTEM_ACTOR
from engine.runtime.timers import schedule_start_timer
from engine.store import Definition


@dataclass(frozen=True)
class Deployment:
    definition: Definition
    created: bool


def deploy(
    ctx: EngineContext,
    xml: bytes,
    actor: str = SYSTEM_ACTOR,
    filename: str = "diagram.bpmn",
    note: str | None = None,
    expected_process_id: str | None = None,
) -> Deployment:
    """Validate (every rule, see engine.diagrams.validation) and store a new version; refused when any problem exists.
    Identical content to the newest version is a no-op."""
    model = validate_diagram(xml, ctx.settings, set(ctx.handlers), filename, expected_process_id).raise_if_problems()
    note = (note or "").strip()[:1000] or None
    content_hash = hashlib.sha256(xml).hexdigest()
    now = ctx.clock.now()
    with ctx.db.session() as session:
        newest = session.scalars(
            select(Definition)
            .where(Definition.process_id == model.process_id)
            .order_by(Definition.version.desc())
            .limit(1)
            .with_for_update()
        ).first()
        if newest is not None and newest.content_hash == content_hash:
            return Deployment(newest, created=False)
        version = (newest.version if newest is not None else 0) + 1
        definition = Definition(
            process_id=model.process_id,
            name=model.name,
            version=version,
            content_hash=content_hash,
            bpmn_xml=xml.decode("utf-8"),
            deployed_by=actor,
            deployed_at=now,
            note=note,
        )
        session.add(definition)
        session.flush()
        append_event(
            session,
            process_id=model.process_id,
            type="definition_deployed",
            actor=actor,
            at=now,
            payload={"version": version, "content_hash": content_hash, "file": filename, "name": model.name,
                     "note": note},
        )
        new_timer = None
        if model.start_cycle is not None:
            new_timer = schedule_start_timer(ctx, session, model.process_id, now)
    ctx.models[definition.id] = model
    if new_timer is not None:
        ctx.announce_timer(new_timer.id, new_timer.due_at)
    return Deployment(definition, created=True)


def deploy_file(ctx: EngineContext, path: Path, actor: str = SYSTEM_ACTOR, note: str | None = None) -> Deployment:
    try:
        xml = path.read_bytes()
    except OSError as error:
        raise InvalidDiagram("Cannot read %(path)s: %(reason)s.", path=path, reason=error.strerror) from error
    return deploy(ctx, xml, actor, path.name, note)


def deploy_directory(ctx: EngineContext, directory: Path, actor: str = SYSTEM_ACTOR) -> list[Deployment]:
    return [deploy_file(ctx, path, actor) for path in sorted(directory.glob("*.bpmn"))]

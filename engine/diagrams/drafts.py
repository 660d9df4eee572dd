"""A process owner's draft: one per process, saved over, validated on demand, deployed as a new version.

A draft may break rules (it is unfinished work) but must be well-formed, safe XML of a reasonable size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit.events import append_event
from engine.context import EngineContext
from engine.diagrams.definitions import Deployment, deploy
from engine.diagrams.diagram_xml import BPMN_NS, Problem
from engine.diagrams.validation import DiagramProblems, screen
from engine.errors import InvalidDiagram, NotAllowed, NotFound, TaskConflict
from engine.people.policy import Ability
from engine.people.records import User
from engine.people.users import SYSTEM_ACTOR, get_user
from engine.runtime.execution import latest_definition
from engine.store import Definition, Draft


@dataclass(frozen=True)
class Diagram:
    """What the modeler opens: the draft if there is one, else the newest deployed version."""

    process_id: str
    xml: str
    version: int
    is_draft: bool
    saved_by: str
    saved_at: datetime


def check_modeler(ctx: EngineContext, session: Session, actor: str) -> User | None:
    """Only process owners and administrators change diagrams (the system actor is the CLI's administrator)."""
    if actor == SYSTEM_ACTOR:
        return None
    try:
        user = get_user(session, actor)
    except NotFound as error:
        raise NotAllowed("Unknown user %(user)s.", user=actor) from error
    if not ctx.policy.may(user, Ability.MODEL):
        raise NotAllowed("Only a process owner or an administrator may change diagrams.")
    return user


def _latest(session: Session, process_id: str, new_allowed: bool) -> Definition | None:
    """The newest deployed version; None for a process never deployed when a new one is allowed here (it has
    its draft, or one is being created), NotFound otherwise."""
    try:
        return latest_definition(session, process_id)
    except NotFound:
        if not new_allowed:
            raise
        return None


def open_diagram(ctx: EngineContext, process_id: str) -> Diagram:
    """`version` 0: a new process, never deployed."""
    with ctx.db.session() as session:
        draft = session.scalars(select(Draft).where(Draft.process_id == process_id)).first()
        definition = _latest(session, process_id, draft is not None)
        if draft is not None:
            return Diagram(process_id, draft.bpmn_xml, definition.version if definition else 0, True,
                           draft.saved_by, draft.saved_at)
        assert definition is not None
        return Diagram(process_id, definition.bpmn_xml, definition.version, False, definition.deployed_by,
                       definition.deployed_at)


def get_draft(ctx: EngineContext, process_id: str) -> Draft | None:
    with ctx.db.session() as session:
        return session.scalars(select(Draft).where(Draft.process_id == process_id)).first()


def _screened(ctx: EngineContext, xml: bytes) -> None:
    root, problems = screen(xml, ctx.settings.diagram_max_bytes)
    if root is None:
        raise DiagramProblems(problems)
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise DiagramProblems([Problem(None, "process", "dokumen bukan diagram BPMN 2.0 (bpmn:definitions)")])


def save_draft(ctx: EngineContext, process_id: str, xml: bytes, actor: str) -> Draft:
    """Store the draft of a process (deployed, or new with its draft), replacing the previous one."""
    _screened(ctx, xml)
    now = ctx.clock.now()
    with ctx.db.session() as session:
        check_modeler(ctx, session, actor)
        draft = session.scalars(select(Draft).where(Draft.process_id == process_id).with_for_update()).first()
        definition = _latest(session, process_id, draft is not None)
        return _store(session, draft, process_id, xml, actor, now, definition, "draft_saved")


def create_draft(ctx: EngineContext, process_id: str, xml: bytes, actor: str, source: str) -> Draft:
    """A draft made outside the modeler (`source`, e.g. the SOP table): of a new process, or the next version
    of a deployed one; refused while another draft of that process waits, so nobody's unfinished work is lost."""
    _screened(ctx, xml)
    now = ctx.clock.now()
    with ctx.db.session() as session:
        check_modeler(ctx, session, actor)
        waiting = session.scalars(select(Draft).where(Draft.process_id == process_id)).first()
        if waiting is not None:
            raise TaskConflict("A draft of %(process)s saved by %(user)s is waiting: open it in the modeler, or "
                               "discard it there first.", process=process_id, user=waiting.saved_by)
        definition = _latest(session, process_id, new_allowed=True)
        return _store(session, None, process_id, xml, actor, now, definition, "draft_created", source=source)


def _store(session: Session, draft: Draft | None, process_id: str, xml: bytes, actor: str, now: datetime,
           definition: Definition | None, event: str, **payload: str) -> Draft:
    if draft is None:
        draft = Draft(process_id=process_id, bpmn_xml="", saved_by=actor, saved_at=now)
        session.add(draft)
    draft.bpmn_xml = xml.decode("utf-8")
    draft.base_version = definition.version if definition else None
    draft.saved_by, draft.saved_at = actor, now
    append_event(session, process_id=process_id, type=event, actor=actor, at=now,
                 payload={"base_version": draft.base_version, "bytes": len(xml), **payload})
    session.flush()
    return draft


def discard_draft(ctx: EngineContext, process_id: str, actor: str) -> bool:
    """Drop the draft; False when there was none."""
    with ctx.db.session() as session:
        check_modeler(ctx, session, actor)
        draft = session.scalars(select(Draft).where(Draft.process_id == process_id)).first()
        if draft is None:
            return False
        session.delete(draft)
        append_event(session, process_id=process_id, type="draft_discarded", actor=actor, at=ctx.clock.now(),
                     payload={"base_version": draft.base_version})
        return True


def deploy_diagram(ctx: EngineContext, process_id: str, xml: bytes, actor: str, note: str | None = None) -> Deployment:
    """Deploy a diagram of `process_id` from the modeler as a new version, refused when any rule is broken;
    the process's draft is dropped once deployed."""
    if not (note or "").strip():
        raise InvalidDiagram("A version note is required: what changed and why.")
    with ctx.db.session() as session:
        check_modeler(ctx, session, actor)
        _latest(session, process_id,
                session.scalars(select(Draft).where(Draft.process_id == process_id)).first() is not None)
    deployment = deploy(ctx, xml, actor, f"{process_id}.bpmn", note=note, expected_process_id=process_id)
    if deployment.created:
        with ctx.db.session() as session:
            draft = session.scalars(select(Draft).where(Draft.process_id == process_id)).first()
            if draft is not None:
                session.delete(draft)
                append_event(session, process_id=process_id, type="draft_deployed", actor=actor, at=ctx.clock.now(),
                             payload={"version": deployment.definition.version})
    return deployment

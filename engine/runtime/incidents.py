"""Incidents as people handle them (Camunda Cockpit's model): the list, and a retry that runs the failed step
again, after the handler or the diagram (deploy a fixed version and migrate the instance) was fixed."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.errors import NotAllowed, NotFound, TaskConflict
from engine.people.policy import Ability
from engine.people.users import SYSTEM_ACTOR, get_user
from engine.runtime.execution import InstanceRun
from engine.runtime.incident_records import resolve
from engine.runtime.timers import fire_timer
from engine.store import Incident, Instance


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    instance_title: str | None
    instance_status: str | None


def check_incident_handler(ctx: EngineContext, session: Session, actor: str) -> None:
    if actor == SYSTEM_ACTOR:
        return
    try:
        user = get_user(session, actor)
    except NotFound as error:
        raise NotAllowed("Unknown user %(user)s.", user=actor) from error
    if not ctx.policy.may(user, Ability.MODEL):
        raise NotAllowed("Only a process owner or an administrator may handle incidents.")


def list_incidents(
    ctx: EngineContext, status: str | None = "open", instance_id: int | None = None, limit: int = 200
) -> list[IncidentRow]:
    """Newest first, with the title of the instance each concerns."""
    statement = select(Incident, Instance.title, Instance.status).outerjoin(Instance,
                                                                          Instance.id == Incident.instance_id)
    if status is not None:
        statement = statement.where(Incident.status == status)
    if instance_id is not None:
        statement = statement.where(Incident.instance_id == instance_id)
    with ctx.db.session() as session:
        rows = session.execute(statement.order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(limit))
        return [IncidentRow(incident, title, instance_status) for incident, title, instance_status in rows]


def get_incident(ctx: EngineContext, incident_id: int) -> Incident:
    with ctx.db.session() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound("No incident %(id)s.", id=incident_id)
        return incident


def retry_incident(ctx: EngineContext, incident_id: int, actor: str) -> Incident:
    """Run the failed step again. Success resolves the incident (event `incident_resolved`) and the instance
    goes on; another failure keeps it open with the new message and one more attempt."""
    with ctx.db.session() as session:
        check_incident_handler(ctx, session, actor)
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound("No incident %(id)s.", id=incident_id)
        if incident.status != "open":
            raise TaskConflict("Incident %(id)s is already resolved.", id=incident_id)
        timer_id = incident.timer_id
    if timer_id is not None:
        fire_timer(ctx, timer_id, actor, retry=True)
    else:
        _retry_task(ctx, incident_id, actor)
    return get_incident(ctx, incident_id)


def _retry_task(ctx: EngineContext, incident_id: int, actor: str) -> None:
    with ctx.db.session() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.instance_id is not None and incident.task_id is not None
        execution = InstanceRun.load(ctx, session, incident.instance_id, actor, by_engine=True)
        task = execution.workflow.get_task_from_id(UUID(incident.task_id))
        if task is not None and task.state == TaskState.ERROR:
            execution.event("incident_retried", incident.task_id, incident=incident.id, element=incident.element_id)
            task._set_state(TaskState.READY)
            execution.advance()
        if task is None or task.state != TaskState.ERROR:
            resolve(session, incident, execution.instance, actor, execution.now)
        execution.save()
    execution.finish()

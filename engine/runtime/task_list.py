"""The open-task list, read from the work-item columns alone: what the inbox, the API and `sopflow tasks` show.
Kept apart from engine.runtime.instances so that listing tasks needs no workflow library."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from engine.context import EngineContext
from engine.store import OPEN_STATUSES, Instance, WorkItem


@dataclass(frozen=True)
class TaskFilter:
    lane: str | None = None
    role: str | None = None
    opd: str | None = None
    instance_id: int | None = None
    plan_id: int | None = None
    overdue: bool = False
    claimed_by: str | None = None
    limit: int = 200


def list_tasks(ctx: EngineContext, query: TaskFilter | None = None) -> list[WorkItem]:
    """Open tasks from indexed columns only, earliest deadline first."""
    query = query or TaskFilter()
    statement = select(WorkItem).where(WorkItem.status.in_(OPEN_STATUSES))
    if query.lane is not None:
        statement = statement.where(WorkItem.lane == query.lane)
    if query.role is not None:
        statement = statement.where(WorkItem.role == query.role)
    if query.opd is not None:
        statement = statement.where(WorkItem.opd == query.opd)
    if query.instance_id is not None:
        statement = statement.where(WorkItem.instance_id == query.instance_id)
    if query.plan_id is not None:
        in_plan = select(Instance.id).where(or_(Instance.id == query.plan_id, Instance.parent_id == query.plan_id))
        statement = statement.where(WorkItem.instance_id.in_(in_plan))
    if query.claimed_by is not None:
        statement = statement.where(WorkItem.claimed_by == query.claimed_by)
    if query.overdue:
        statement = statement.where(WorkItem.due_at <= ctx.clock.now())
    statement = statement.order_by(WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.ready_at).limit(query.limit)
    with ctx.db.session() as session:
        return list(session.scalars(statement))

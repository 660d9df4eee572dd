"""The open-task list, read from the work-item columns alone: what the inbox, the API and `sopflow tasks` show.
Kept apart from engine.runtime.instances so that listing tasks needs no workflow library."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, bindparam, or_, select

from engine.context import EngineContext
from engine.store import OPEN_STATUSES, Instance, WorkItem


def is_open() -> ColumnElement[bool]:
    """`status IN ('ready', 'claimed')` written as literals, so that SQLite may use the partial index of open rows
    (`ix_work_items_open_role_due`): it cannot prove a bound parameter matches the index's condition."""
    return WorkItem.status.in_(bindparam("open_statuses", list(OPEN_STATUSES), expanding=True, literal_execute=True))


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
    statement = select(WorkItem).where(is_open())
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

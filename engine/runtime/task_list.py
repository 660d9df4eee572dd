"""The open-task list, read from the work-item columns alone: what the inbox, the API and `sopflow tasks` show.
Kept apart from engine.runtime.instances so that listing tasks needs no workflow library."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import ColumnElement, Select, bindparam, or_, select

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


_FILTERS: tuple[tuple[str, Callable[[], ColumnElement[bool]]], ...] = (
    ("lane", lambda: WorkItem.lane == bindparam("lane")),
    ("role", lambda: WorkItem.role == bindparam("role")),
    ("opd", lambda: WorkItem.opd == bindparam("opd")),
    ("instance_id", lambda: WorkItem.instance_id == bindparam("instance_id")),
    ("plan_id", lambda: WorkItem.instance_id.in_(select(Instance.id).where(
        or_(Instance.id == bindparam("plan_id"), Instance.parent_id == bindparam("plan_id"))))),
    ("claimed_by", lambda: WorkItem.claimed_by == bindparam("claimed_by")),
    ("overdue", lambda: WorkItem.due_at <= bindparam("now")),
)


@lru_cache(maxsize=128)  # combinations of filters and limits: a handful in practice
def _statement(used: frozenset[str], limit: int) -> Select[tuple[WorkItem]]:
    """The listing for one combination of filters, built once (its parameters bound per call)."""
    statement = select(WorkItem).where(is_open(), *(condition() for name, condition in _FILTERS if name in used))
    return statement.order_by(WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.ready_at).limit(limit)


def list_tasks(ctx: EngineContext, query: TaskFilter | None = None) -> list[WorkItem]:
    """Open tasks from indexed columns only, earliest deadline first."""
    query = query or TaskFilter()
    values = {name: getattr(query, name) for name, _ in _FILTERS if name != "overdue"}
    params: dict[str, object] = {name: value for name, value in values.items() if value is not None}
    used = set(params)
    if query.overdue:
        used.add("overdue")
        params["now"] = ctx.clock.now()
    with ctx.db.session() as session:
        return list(session.scalars(_statement(frozenset(used), query.limit), params))

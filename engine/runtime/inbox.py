"""The task inbox: a person's own tasks and their lanes' tasks, overdue first, filtered, paged, counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.people.records import User
from engine.people.users import get_user
from engine.store import OPEN_STATUSES, Instance, WorkItem

SCOPES = ("all", "mine", "unclaimed", "overdue")


@dataclass(frozen=True)
class InboxQuery:
    username: str
    scope: str = "all"
    lane: str | None = None
    opd: str | None = None
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class InboxCounts:
    mine: int
    lanes: int
    overdue: int


@dataclass(frozen=True)
class InboxPage:
    items: list[WorkItem]
    total: int
    page: int
    per_page: int
    counts: InboxCounts
    now: datetime

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _visible(ctx: EngineContext, user: User) -> Select[tuple[WorkItem]]:
    """Open items the user may work on (the policy's rule)."""
    return select(WorkItem).where(WorkItem.status.in_(OPEN_STATUSES), ctx.policy.work_filter(user))


def _count(session: Session, statement: Select[tuple[WorkItem]]) -> int:
    return int(session.scalar(select(func.count()).select_from(statement.subquery())) or 0)


def inbox(ctx: EngineContext, query: InboxQuery) -> InboxPage:
    now = ctx.clock.now()
    with ctx.db.session() as session:
        user = get_user(session, query.username)
        visible = _visible(ctx, user)
        overdue = visible.where(WorkItem.due_at <= now)
        counts = InboxCounts(
            mine=_count(session, visible.where(WorkItem.claimed_by == user.username)),
            lanes=_count(session, visible),
            overdue=_count(session, overdue),
        )
        statement = {
            "mine": visible.where(WorkItem.claimed_by == user.username),
            "unclaimed": visible.where(WorkItem.claimed_by.is_(None)),
            "overdue": overdue,
        }.get(query.scope, visible)
        if query.lane:
            statement = statement.where(WorkItem.lane == query.lane)
        if query.opd:
            statement = statement.where(WorkItem.opd == query.opd)
        total = _count(session, statement)
        page = max(1, query.page)
        is_overdue = case((WorkItem.due_at <= now, 0), else_=1)
        ordered = statement.order_by(is_overdue, WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.ready_at)
        items = list(session.scalars(ordered.offset((page - 1) * query.per_page).limit(query.per_page)))
    return InboxPage(items, total, page, query.per_page, counts, now)


def inbox_count(ctx: EngineContext, username: str) -> int:
    with ctx.db.session() as session:
        return _count(session, _visible(ctx, get_user(session, username)))


def known_offices(ctx: EngineContext) -> list[str]:
    """Every OPD that has an item or a user, for filters."""
    with ctx.db.session() as session:
        from_items = session.scalars(select(Instance.opd).where(Instance.opd.is_not(None)).distinct())
        from_users = session.scalars(select(User.opd).where(User.opd.is_not(None)).distinct())
        return sorted({str(o) for o in (*from_items, *from_users)})


@dataclass(frozen=True)
class InstanceQuery:
    username: str
    status: str | None = None
    process_id: str | None = None
    text: str | None = None
    page: int = 1
    per_page: int = 25


def list_instances(ctx: EngineContext, query: InstanceQuery) -> tuple[list[Instance], int]:
    """Instances the user may see, newest first, with the total for paging."""
    with ctx.db.session() as session:
        user = get_user(session, query.username)
        statement = select(Instance).where(ctx.policy.instance_filter(user))
        if query.status:
            statement = statement.where(Instance.status == query.status)
        if query.process_id:
            statement = statement.where(Instance.process_id == query.process_id)
        if query.text:
            pattern = f"%{query.text}%"
            statement = statement.where(or_(Instance.title.ilike(pattern), Instance.opd.ilike(pattern)))
        total = int(session.scalar(select(func.count()).select_from(statement.subquery())) or 0)
        page = max(1, query.page)
        rows = session.scalars(
            statement.order_by(Instance.id.desc()).offset((page - 1) * query.per_page).limit(query.per_page)
        )
        return list(rows), total

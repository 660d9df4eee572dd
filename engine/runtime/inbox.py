"""The task inbox: a person's own tasks and their lanes' tasks, earliest deadline (so overdue) first, filtered,
keyset-paged, counted in one pass."""

from __future__ import annotations

import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, false, func, or_, select, tuple_
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.people.records import User
from engine.people.users import get_user
from engine.runtime.instance_view import WITHOUT_STATE
from engine.runtime.task_list import is_open
from engine.store import Instance, WorkItem

SCOPES = ("all", "mine", "unclaimed", "overdue")


@dataclass(frozen=True)
class InboxQuery:
    """`after` / `before`: a cursor from a previous page (keyset paging: a row added meanwhile is neither skipped
    nor shown twice)."""

    username: str
    scope: str = "all"
    lane: str | None = None
    opd: str | None = None
    after: str | None = None
    before: str | None = None
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
    per_page: int
    counts: InboxCounts
    now: datetime
    next: str | None = None  # cursor of the following page, None on the last
    previous: str | None = None  # cursor of the page before, None on the first


Key = tuple[datetime | None, datetime, int, str]  # due_at (None last), ready_at, instance_id, id: the inbox order


def cursor(item: WorkItem) -> str:
    parts = [item.due_at.isoformat() if item.due_at else "", item.ready_at.isoformat(), item.instance_id, item.id]
    return urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def read_cursor(text: str) -> Key:
    """The key a cursor names; InvalidInput when it is not one this module wrote."""
    try:
        due, ready, instance_id, item_id = json.loads(urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        key = (datetime.fromisoformat(due) if due else None, datetime.fromisoformat(ready), int(instance_id),
               str(item_id))
        if any(moment is not None and moment.tzinfo is None for moment in key[:2]):
            raise ValueError("a cursor's times carry their offset")
        return key
    except (ValueError, TypeError) as bad:
        raise InvalidInput("The page link is not valid; start again from the first page.", field="after") from bad


def _visible(ctx: EngineContext, user: User) -> Select[tuple[WorkItem]]:
    """Open items the user may work on (the policy's rule)."""
    return select(WorkItem).where(is_open(), ctx.policy.work_filter(user))


def _scope(query: InboxQuery, username: str, now: datetime) -> list[ColumnElement[bool]]:
    """What the chosen scope and filters add to the visible rows."""
    scopes: dict[str, list[ColumnElement[bool]]] = {
        "mine": [WorkItem.claimed_by == username],
        "unclaimed": [WorkItem.claimed_by.is_(None)],
        "overdue": [WorkItem.due_at <= now],
    }
    conditions = scopes.get(query.scope, [])
    if query.lane:
        conditions.append(WorkItem.lane == query.lane)
    if query.opd:
        conditions.append(WorkItem.opd == query.opd)
    return conditions


def _counts(session: Session, visible: Select[tuple[WorkItem]], scope: list[ColumnElement[bool]], username: str,
            now: datetime) -> tuple[InboxCounts, int]:
    """The three badges and the filtered total in one pass over the visible rows."""
    statement = visible.with_only_columns(
        func.count(),
        func.sum(case((WorkItem.claimed_by == username, 1), else_=0)),
        func.sum(case((WorkItem.due_at <= now, 1), else_=0)),
        func.sum(case((and_(*scope), 1), else_=0)) if scope else func.count(),
    )
    lanes, mine, overdue, total = session.execute(statement).one()
    return InboxCounts(int(mine or 0), int(lanes or 0), int(overdue or 0)), int(total or 0)


def _beyond(columns: tuple[Any, ...], values: tuple[Any, ...], forward: bool) -> ColumnElement[bool]:
    """(columns) > (values), or < backwards, each value bound as its column's type."""
    bound = tuple_(*(bindparam(None, value, type_=column.type) for column, value in zip(columns, values,
                                                                                         strict=True)))
    return tuple_(*columns) > bound if forward else tuple_(*columns) < bound


def _page(session: Session, statement: Select[tuple[WorkItem]], key: Key | None, forward: bool,
          size: int) -> list[WorkItem]:
    """Up to `size` rows after (or, backwards, before) `key` in the inbox order: dated rows by (due_at, ready_at,
    instance_id, id), then undated ones without due_at; each part reads in an index's order (a plan's items
    in plan order)."""
    dated_order = (WorkItem.due_at, WorkItem.ready_at, WorkItem.instance_id, WorkItem.id)
    undated_order = dated_order[1:]
    dated = statement.where(WorkItem.due_at.is_not(None))
    undated = statement.where(WorkItem.due_at.is_(None))
    if key is not None and key[0] is not None:
        dated = dated.where(_beyond(dated_order, key, forward))
        undated = undated if forward else undated.where(false())
    elif key is not None:
        undated = undated.where(_beyond(undated_order, key[1:], forward))
        dated = dated.where(false()) if forward else dated
    parts = [dated.order_by(*dated_order), undated.order_by(*undated_order)] if forward else [
        undated.order_by(*(c.desc() for c in undated_order)), dated.order_by(*(c.desc() for c in dated_order))]
    rows: list[WorkItem] = []
    for part in parts:
        if len(rows) < size:
            rows.extend(session.scalars(part.limit(size - len(rows))))
    return rows if forward else rows[::-1]


def inbox(ctx: EngineContext, query: InboxQuery) -> InboxPage:
    now = ctx.clock.now()
    key = read_cursor(query.before or query.after or "") if (query.before or query.after) else None
    forward = not query.before
    with ctx.db.session() as session:
        user = get_user(session, query.username)
        visible = _visible(ctx, user)
        scope = _scope(query, user.username, now)
        counts, total = _counts(session, visible, scope, user.username, now)
        rows = _page(session, visible.where(*scope), key, forward, query.per_page + 1)
    more = len(rows) > query.per_page
    items = (rows[:query.per_page] if forward else rows[-query.per_page:]) if more else rows
    has_next = more if forward else key is not None
    has_previous = key is not None if forward else more
    return InboxPage(items, total, query.per_page, counts, now,
                     next=cursor(items[-1]) if items and has_next else None,
                     previous=cursor(items[0]) if items and has_previous else None)


def inbox_count(ctx: EngineContext, username: str) -> int:
    with ctx.db.session() as session:
        visible = _visible(ctx, get_user(session, username))
        return int(session.scalar(visible.with_only_columns(func.count())) or 0)


def known_offices(ctx: EngineContext) -> list[str]:
    """Every OPD that has an item or a user, for filters."""
    # A skip scan of the opd index, one step per office, instead of DISTINCT over every item.
    found = select(func.min(Instance.opd).label("opd")).cte("found", recursive=True)
    found = found.union_all(
        select(select(func.min(Instance.opd)).where(Instance.opd > found.c.opd).scalar_subquery())
        .where(found.c.opd.is_not(None)))
    with ctx.db.session() as session:
        from_items = session.scalars(select(found.c.opd).where(found.c.opd.is_not(None)))
        from_users = session.scalars(select(User.opd).where(User.opd.is_not(None)).distinct())
        return sorted({str(o) for o in (*from_items, *from_users)})


@dataclass(frozen=True)
class InstanceQuery:
    """`after` / `before`: the id of the last (first) row of the page before (after): keyset paging, newest first,
    so a deep page reads no more rows than the first and an item started meanwhile is neither skipped nor shown
    twice."""

    username: str
    status: str | None = None
    process_id: str | None = None
    text: str | None = None
    after: int | None = None
    before: int | None = None
    per_page: int = 25


@dataclass(frozen=True)
class InstancePage:
    items: list[Instance]
    total: int
    per_page: int
    next: int | None = None  # `after` of the following page, None on the last
    previous: int | None = None  # `before` of the page before, None on the first


def page_cursor(text: str | None) -> int | None:
    """The instance id a page link names; InvalidInput when it is not one."""
    if not text:
        return None
    if not text.isdigit() or int(text) < 1 or len(text) > 18:
        raise InvalidInput("The page link is not valid; start again from the first page.", field="after")
    return int(text)


def list_instances(ctx: EngineContext, query: InstanceQuery) -> InstancePage:
    """Instances the user may see, newest first, one page of them, with the total of the filtered list."""
    with ctx.db.session() as session:
        user = get_user(session, query.username)
        statement = select(Instance).options(WITHOUT_STATE).where(ctx.policy.instance_filter(user))
        if query.status:
            statement = statement.where(Instance.status == query.status)
        if query.process_id:
            statement = statement.where(Instance.process_id == query.process_id)
        if query.text:
            pattern = f"%{query.text}%"
            statement = statement.where(or_(Instance.title.ilike(pattern), Instance.opd.ilike(pattern)))
        total = int(session.scalar(select(func.count()).select_from(statement.subquery())) or 0)
        size = query.per_page + 1
        if query.before is not None:
            rows = list(session.scalars(statement.where(Instance.id > query.before)
                                        .order_by(Instance.id.asc()).limit(size)))[::-1]
        else:
            beyond = statement.where(Instance.id < query.after) if query.after is not None else statement
            rows = list(session.scalars(beyond.order_by(Instance.id.desc()).limit(size)))
    more = len(rows) > query.per_page
    items = (rows[-query.per_page:] if query.before is not None else rows[:query.per_page]) if more else rows
    has_next = more if query.before is None else True
    has_previous = more if query.before is not None else query.after is not None
    return InstancePage(items, total, query.per_page, next=items[-1].id if items and has_next else None,
                        previous=items[0].id if items and has_previous else None)

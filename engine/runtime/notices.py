"""Notices: who hears about what, in the app and (for those who opted in) by e-mail.

A task that becomes ready for a lane writes no notice row: the notifications page and the inbox read the open
work items themselves, so a completion stays cheap. Rows are written for what concerns named people (a
returned step, a task assigned to or taken back from someone, a reminder, a breach), and an outbox mail per
ready task only when someone in its lane opted in to mail. A notice is done once its task is no longer open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Select, and_, bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.people.policy import Policy
from engine.people.records import NoticePreference, User, UserRole
from engine.people.users import record_administration
from engine.runtime.outbox import enqueue
from engine.store import Notification, OutboxMail, WorkItem


@dataclass(frozen=True)
class Notice:
    id: int
    subject: str
    body: str
    task_id: str | None
    instance_id: int | None
    created_at: datetime
    read_at: datetime | None
    done: bool


@dataclass(frozen=True)
class Lane:
    """Who may take an item, and the addresses of those of them who want their notices by e-mail."""

    usernames: list[str]
    addresses: list[str]


@cache
def _lane_statement(of_office: bool, but_one: bool) -> Select[tuple[str, str | None]]:
    """Built once per kind of lane: a lane's members, each with the address their mail goes to (or None)."""
    wants_mail = and_(NoticePreference.by_mail.is_(True), User.email != "")
    statement = (
        select(User.username, case((wants_mail, User.email)))
        .join(UserRole).outerjoin(NoticePreference, NoticePreference.username == User.username)
        .where(UserRole.role == bindparam("role"), User.active.is_(True))
    )
    if of_office:
        statement = statement.where(User.opd == bindparam("opd"))
    return statement.where(User.username != bindparam("but")) if but_one else statement


def lane(session: Session, policy: Policy, item: WorkItem, but: str | None = None) -> Lane:
    """Active people who may take the item (the policy's rule): its lane's role, of its office when the role is
    confined to one; one statement, which also reads who of them wants mail."""
    confined = policy.confines(item.role)
    if confined and item.opd is None:
        return Lane([], [])
    rows = session.connection().execute(  # Core: no flush, no ORM
        _lane_statement(confined, but is not None), {"role": item.role, "opd": item.opd, "but": but}).all()
    return Lane([username for username, _ in rows], sorted(address for _, address in rows if address))


def lane_members(session: Session, policy: Policy, item: WorkItem, but: str | None = None) -> list[str]:
    return lane(session, policy, item, but).usernames


_MAIL_ADDRESSES = (
    select(User.email).join(NoticePreference, NoticePreference.username == User.username)
    .where(NoticePreference.by_mail.is_(True), User.username.in_(bindparam("usernames", expanding=True)),
           User.email != "")
)


def _mail_addresses(session: Session, usernames: list[str]) -> list[str]:
    """The addresses of those among `usernames` who want their notices by e-mail."""
    if not usernames:
        return []
    rows = session.connection().execute(_MAIL_ADDRESSES, {"usernames": usernames})
    return sorted(rows.scalars())


_INSERT_NOTIFICATION = insert(Notification)


def write_notices(session: Session, usernames: list[str], instance_id: int, task_id: str | None, subject: str,
                  body: str, now: datetime) -> None:
    """One in-app notice per person, by one Core statement in the caller's transaction."""
    if usernames:
        session.connection().execute(_INSERT_NOTIFICATION, [
            {"username": username, "instance_id": instance_id, "task_id": task_id, "subject": subject,
             "body": body, "created_at": now} for username in usernames])


def notify(session: Session, usernames: list[str], item: WorkItem, subject: str, body: str,
           now: datetime, addresses: list[str] | None = None) -> OutboxMail | None:
    """One in-app notice per person about a task, and one mail to those of them who opted in (to deliver
    after the commit); `addresses`: theirs, when already read."""
    write_notices(session, usernames, item.instance_id, item.id, subject[:300], body, now)
    if addresses is None:
        addresses = _mail_addresses(session, usernames)
    return enqueue(session, addresses, subject, body, now) if addresses else None


def _label(item: WorkItem) -> str:
    return f"langkah {item.step or '-'} {item.name}" + (f" ({item.item_label})" if item.item_label else "")


def notify_returned(session: Session, policy: Policy, item: WorkItem, now: datetime,
                    returned_by: str) -> OutboxMail | None:
    """Tell the lane of a step that became ready again (Belum sesuai, Dikembalikan), not the one who sent it."""
    told = lane(session, policy, item, but=returned_by)
    return notify(session, told.usernames, item, f"Dikembalikan: {_label(item)}",
                  "Item ini dikembalikan kepada Anda. Lihat alasannya pada formulir tugas.", now, told.addresses)


# Built once: this runs for every task that becomes ready.
_OPTED_IN_ANY_OFFICE = (
    select(User.email).join(UserRole).join(NoticePreference, NoticePreference.username == User.username)
    .where(NoticePreference.by_mail.is_(True), UserRole.role == bindparam("role"), User.active.is_(True),
           User.username != bindparam("actor"), User.email != "")
)
_OPTED_IN_OF_OFFICE = _OPTED_IN_ANY_OFFICE.where((User.opd == bindparam("opd")) | User.opd.is_(None))


def mail_lane(session: Session, item: WorkItem, now: datetime, actor: str) -> OutboxMail | None:
    """A task became its lane's: mail only those of the lane who opted in (the app shows it from the inbox)."""
    parameters = {"role": item.role, "actor": actor, "opd": item.opd}
    statement = _OPTED_IN_ANY_OFFICE if item.opd is None else _OPTED_IN_OF_OFFICE
    opted = session.connection().execute(statement, parameters).scalars().all()
    if not opted:
        return None
    subject = f"Tugas menunggu: {_label(item)}"
    body = "Tugas ini menunggu di lajur Anda. Buka kotak masuk sopflow untuk mengambilnya."
    return enqueue(session, sorted(opted), subject, body, now)


def list_notifications(ctx: EngineContext, username: str, limit: int = 100) -> list[Notice]:
    with ctx.db.session() as session:
        rows = session.execute(
            select(Notification, WorkItem.finished_at).outerjoin(WorkItem, WorkItem.id == Notification.task_id)
            .where(Notification.username == username).order_by(Notification.id.desc()).limit(limit)
        ).all()
    return [Notice(n.id, n.subject, n.body, n.task_id, n.instance_id, n.created_at, n.read_at, finished is not None)
            for n, finished in rows]


def unread_count(ctx: EngineContext, username: str) -> int:
    """Unread notices whose task is still open (a done task needs no more attention)."""
    with ctx.db.session() as session:
        return int(session.scalar(
            select(func.count()).select_from(Notification)
            .outerjoin(WorkItem, WorkItem.id == Notification.task_id)
            .where(Notification.username == username, Notification.read_at.is_(None),
                   WorkItem.finished_at.is_(None))
        ) or 0)


def mark_all_read(ctx: EngineContext, username: str) -> int:
    with ctx.db.session() as session:
        result = session.execute(
            update(Notification).where(Notification.username == username, Notification.read_at.is_(None))
            .values(read_at=ctx.clock.now())
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def wants_mail(ctx: EngineContext, username: str) -> bool:
    with ctx.db.session() as session:
        preference = session.get(NoticePreference, username)
        return preference is not None and preference.by_mail


def set_wants_mail(ctx: EngineContext, username: str, by_mail: bool) -> None:
    """A person's own choice; recorded like every change."""
    with ctx.db.session() as session:
        preference = session.get(NoticePreference, username)
        if preference is None:
            preference = NoticePreference(username=username)
            session.add(preference)
        preference.by_mail, preference.updated_at = by_mail, ctx.clock.now()
        record_administration(session, ctx, "notice_preference_changed", username, user=username, by_mail=by_mail)

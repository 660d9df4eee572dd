"""In-app notifications stored per person: an item returned to me, a breach (written by the breach handler).
Tasks waiting for me are not copied into notifications: the inbox query answers that from the work items."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.store import Notification, User, UserRole, WorkItem


def _recipients(session: Session, item: WorkItem) -> list[str]:
    statement = select(User.username).join(UserRole).where(UserRole.role == item.role, User.active.is_(True))
    if item.opd is not None:
        statement = statement.where((User.opd == item.opd) | User.opd.is_(None))
    return list(session.execute(statement, execution_options={"autoflush": False}).scalars())


def notify_returned(session: Session, item: WorkItem, now: datetime) -> None:
    """Tell everyone who may take a step that came back to them (Belum sesuai, Dikembalikan)."""
    label = f" ({item.item_label})" if item.item_label else ""
    subject = f"Dikembalikan: langkah {item.step or '-'} {item.name}{label}"
    body = "Item ini dikembalikan kepada Anda. Lihat alasannya pada formulir tugas."
    rows = [{"username": username, "instance_id": item.instance_id, "task_id": item.id, "subject": subject[:300],
             "body": body, "created_at": now} for username in _recipients(session, item)]
    if rows:
        session.execute(insert(Notification), rows, execution_options={"autoflush": False})


def list_notifications(ctx: EngineContext, username: str, limit: int = 100) -> list[Notification]:
    with ctx.db.session() as session:
        return list(session.scalars(
            select(Notification).where(Notification.username == username)
            .order_by(Notification.id.desc()).limit(limit)
        ))


def unread_count(ctx: EngineContext, username: str) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(
            select(func.count()).select_from(Notification)
            .where(Notification.username == username, Notification.read_at.is_(None))
        ) or 0)


def mark_all_read(ctx: EngineContext, username: str) -> int:
    with ctx.db.session() as session:
        result = session.execute(
            update(Notification).where(Notification.username == username, Notification.read_at.is_(None))
            .values(read_at=ctx.clock.now())
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

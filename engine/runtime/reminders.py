"""A reminder before a task's deadline: a timer of kind "reminder", due when the configured share of the
task's time standard has passed, fired exactly once by the same atomic claim as every other timer."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit.events import append_event
from engine.context import EngineContext
from engine.people.users import SYSTEM_ACTOR
from engine.runtime.notices import lane, notify
from engine.runtime.spiff import iso_duration
from engine.store import Instance, OutboxMail, Timer, WorkItem

KIND = "reminder"


def _reminder_due(ctx: EngineContext, item: WorkItem) -> datetime | None:
    """That share of the task's time standard, counted as its deadline is (in working time when configured)."""
    if item.due_at is None or not item.time_standard:
        return None
    try:
        standard = iso_duration(item.time_standard, item.ready_at)
    except ValueError:
        return None
    due = ctx.settings.calendar.deadline(item.ready_at, standard * ctx.settings.reminder_fraction)
    return due if due < item.due_at else None


def reminder_for(ctx: EngineContext, item: WorkItem) -> Timer | None:
    """The reminder of a new work item with a deadline (not yet written)."""
    due = _reminder_due(ctx, item)
    if due is None:
        return None
    return Timer(kind=KIND, process_id=item.process_id, instance_id=item.instance_id, spiff_task_id=item.id,
                 name=f"pengingat {item.name}"[:300], due_at=due, status="pending")


def move_reminder(ctx: EngineContext, session: Session, item: WorkItem) -> Timer | None:
    """After a migration changed the task's time standard: its pending reminder follows (or goes)."""
    timer = session.scalars(
        select(Timer).where(Timer.spiff_task_id == item.id, Timer.kind == KIND, Timer.status == "pending")
    ).first()
    if timer is None:
        return None
    due = _reminder_due(ctx, item)
    if due is None:
        timer.status = "cancelled"
        return None
    timer.due_at = due
    return timer


def send_reminder(ctx: EngineContext, session: Session, timer: Timer, now: datetime) -> OutboxMail | None:
    """Within the transaction that claimed the timer: remind whoever has the task (else its lane), record it
    in the instance's history; returns the outbox mail to deliver after the commit. A task no longer open
    needs no reminder: the timer is cancelled."""
    item = session.get(WorkItem, timer.spiff_task_id) if timer.spiff_task_id else None
    instance = session.get(Instance, timer.instance_id) if timer.instance_id is not None else None
    if item is None or instance is None or item.finished_at is not None:
        timer.status = "cancelled"
        return None
    if item.claimed_by:
        people, addresses = [item.claimed_by], None
    else:
        told = lane(session, ctx.policy, item)
        people, addresses = told.usernames, told.addresses
    due = format_datetime(item.due_at, "d MMMM yyyy HH.mm z", tzinfo=ctx.settings.calendar.timezone,
                          locale="id") if item.due_at else "-"
    subject = f"Pengingat: langkah {item.step or '-'} {item.name}" + (
        f" ({item.item_label})" if item.item_label else "")
    mail = notify(session, people, item, subject, f"Batas waktu tugas ini {due}. Selesaikan sebelum batas waktu.",
                  now, addresses)
    append_event(session, process_id=instance.process_id, type="reminder_sent", actor=SYSTEM_ACTOR, at=now,
                 instance=instance, task_id=item.id,
                 payload={"name": item.name, "step": item.step,
                          "due_at": item.due_at.isoformat() if item.due_at else None, "notified": people})
    return mail

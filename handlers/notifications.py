"""The breach handler: a user task outlived its time standard."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_datetime

from engine.audit.events import append_event
from engine.diagrams.durations import words
from engine.people.users import SYSTEM_ACTOR, users_with_role
from engine.runtime.outbox import deliver, enqueue
from engine.runtime.services import ServiceCall
from engine.store import Definition, Notification, OutboxMail, WorkItem


def _local(moment: datetime | None, call: ServiceCall) -> str:
    if moment is None:
        return "-"
    return format_datetime(moment, "d MMMM yyyy HH.mm z", tzinfo=call.ctx.settings.calendar.timezone, locale="id")


def _message(call: ServiceCall, item: WorkItem) -> tuple[str, str]:
    process = call.session.get(Definition, call.instance.definition_id)
    subject = f"Pelanggaran standar waktu: langkah {item.step or '-'} {item.name}"
    body = "\n".join(
        [
            f"Tugas \"{item.name}\" (langkah {item.step or '-'}) melewati standar waktunya.",
            f"Proses: {process.name if process else call.instance.process_id}, item #{call.instance.id}",
            f"Lajur: {item.lane}" + (f", OPD: {item.opd}" if item.opd else ""),
            f"Item: {item.item_label}" if item.item_label else "",
            f"Standar waktu: {words(item.time_standard)}",
            f"Siap sejak: {_local(item.ready_at, call)}",
            f"Batas waktu: {_local(item.due_at, call)}",
            f"Dikerjakan oleh: {item.claimed_by or 'belum diambil'}",
        ]
    ).replace("\n\n", "\n")
    return subject, body


def _mail_after_commit(call: ServiceCall, recipients: list[str], subject: str, body: str) -> None:
    """Mail goes through the outbox once the breach is committed; a failed first attempt is also recorded in
    history (the outbox retries it)."""
    ctx, process_id, instance_id = call.ctx, call.instance.process_id, call.instance.id
    mail = enqueue(call.session, recipients, subject, body, call.now)

    def deliver_now() -> None:
        if deliver(ctx, mail.id):
            return
        with ctx.db.session() as session:
            failed = session.get(OutboxMail, mail.id)
            append_event(
                session, process_id=process_id, type="notification_failed", actor=SYSTEM_ACTOR,
                at=ctx.clock.now(),
                payload={"instance_id": instance_id, "recipients": recipients, "mail": mail.id,
                         "error": failed.last_error if failed is not None else None},
            )

    call.after_commit.append(deliver_now)


def breach_handler(call: ServiceCall) -> dict[str, Any]:
    """Record the breach on the task and in history, notify the supervisors in the app and by mail."""
    task = call.timed_task()
    item = call.session.get(WorkItem, str(task.id)) if task is not None else None
    if task is None or item is None:
        raise LookupError(f"{call.task.task_spec.bpmn_name}: no timed user task of this instance leads here")
    spec_id = task.task_spec.bpmn_id
    item.breached_at = call.now
    supervisors = users_with_role(call.session, call.ctx.settings.supervisor_role)
    subject, body = _message(call, item)
    for user in supervisors:
        call.session.add(
            Notification(username=user.username, instance_id=call.instance.id, task_id=item.id, subject=subject,
                         body=body, created_at=call.now)
        )
    recipients = [user.email for user in supervisors if user.email]
    append_event(
        call.session,
        process_id=call.instance.process_id,
        type="time_standard_breached",
        actor=call.actor,
        at=call.now,
        instance=call.instance,
        task_id=item.id,
        payload={
            "spec": spec_id,
            "name": item.name,
            "step": item.step,
            "lane": item.lane,
            "opd": item.opd,
            "item": item.item_label,
            "time_standard": item.time_standard,
            "ready_at": item.ready_at.isoformat(),
            "due_at": item.due_at.isoformat() if item.due_at else None,
            "notified": [user.username for user in supervisors],
        },
    )
    if recipients:
        _mail_after_commit(call, recipients, subject, body)
    return {"tugas": spec_id, "dicatat": call.now.isoformat(), "diberitahu": [u.username for u in supervisors]}

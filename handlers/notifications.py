"""The breach handler: a user task outlived its time standard."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_datetime

from engine.runtime.services import ServiceCall
from engine.store import WorkItem


def _local(moment: datetime | None, call: ServiceCall) -> str:
    if moment is None:
        return "-"
    return format_datetime(moment, "d MMMM yyyy HH.mm z", tzinfo=call.ctx.settings.calendar.timezone, locale="id")


def _message(call: ServiceCall, item: WorkItem) -> tuple[str, str]:
    subject = f"Pelanggaran standar waktu: langkah {item.step or '-'} {item.name}"
    body = "\n".join(
        [
            f"Tugas \"{item.name}\" (langkah {item.step or '-'}) melewati standar waktunya.",
            f"Proses: {call.process_name()}, item #{call.instance.id}",
            f"Lajur: {item.lane}" + (f", OPD: {item.opd}" if item.opd else ""),
            f"Item: {item.item_label}" if item.item_label else "",
            f"Standar waktu: {call.time_standard_words(item)}",
            f"Siap sejak: {_local(item.ready_at, call)}",
            f"Batas waktu: {_local(item.due_at, call)}",
            f"Dikerjakan oleh: {item.claimed_by or 'belum diambil'}",
        ]
    ).replace("\n\n", "\n")
    return subject, body


def breach_handler(call: ServiceCall) -> dict[str, Any]:
    """Record the breach on the task and in history, notify the supervisors in the app and by mail."""
    item = call.timed_item()
    if item is None:
        raise LookupError(f"{call.task.task_spec.bpmn_name}: no timed user task of this instance leads here")
    call.mark_breached(item)
    supervisors = call.supervisors()
    subject, body = _message(call, item)
    call.notify([user.username for user in supervisors], subject, body, item.id)
    call.record("time_standard_breached", task_id=item.id, payload={
        "spec": item.spec_id,
        "name": item.name,
        "step": item.step,
        "lane": item.lane,
        "opd": item.opd,
        "item": item.item_label,
        "time_standard": item.time_standard,
        "ready_at": item.ready_at.isoformat(),
        "due_at": item.due_at.isoformat() if item.due_at else None,
        "notified": [user.username for user in supervisors],
    })
    recipients = [user.email for user in supervisors if user.email]
    if recipients:
        call.mail_after_commit(recipients, subject, body)
    return {"tugas": item.spec_id, "dicatat": call.now.isoformat(), "diberitahu": [u.username for u in supervisors]}

"""The breach handler mails the supervisors through a real SMTP server on loopback."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.clock import ManualClock
from engine.config import Settings
from engine.context import EngineContext
from engine.runtime.timers import fire_due_timers
from engine.store import Event, Notification
from handlers import HANDLERS
from tests.conftest import Mailbox
from tests.engine.flow import reach_step


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """The handler tests need one database kind; the engine suite covers both."""
    path = tmp_path / "sopflow.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def test_breach_mails_ppid_utama_and_writes_an_in_app_notification(
    ctx: EngineContext, clock: ManualClock, mailbox: Mailbox
) -> None:
    instance_id, task = reach_step(ctx, 2)
    assert task.due_at is not None
    clock.set(task.due_at)
    assert fire_due_timers(ctx) == 2  # the reminder (no one opted in to mail) and the breach
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "ppid.utama@ppid.test"
    assert mail["From"] == "ppid@tanjabtimkab.go.id"
    assert mail["Subject"] == f"Pelanggaran standar waktu: langkah 2 {task.name}"
    body = mail.get_content()
    assert "Dinas Kesehatan" in body and "Standar waktu: 1 jam 30 menit" in body and f"item #{instance_id}" in body
    assert "Proses: Pengolahan per item informasi publik" in body and "Siap sejak: 23 November 2026" in body
    with ctx.db.session() as session:
        [note] = session.scalars(select(Notification).where(Notification.task_id == task.id,
                                                            Notification.username == "ppid.utama")).all()
    assert (note.username, note.subject, note.read_at) == ("ppid.utama", mail["Subject"], None)


def test_mail_server_down_still_records_the_breach_and_the_failed_delivery(
    settings: Settings, clock: ManualClock, ctx: EngineContext
) -> None:
    closed_port = replace(settings.smtp, port=1)
    down = EngineContext.create(replace(settings, smtp=closed_port), clock=clock, handlers=HANDLERS)
    instance_id, task = reach_step(down, 1)
    clock.advance(timedelta(minutes=15))
    assert fire_due_timers(down) == 2  # the reminder and the breach
    with down.db.session() as session:
        types = session.scalars(select(Event.type).order_by(Event.id)).all()
        failed = session.scalars(select(Event).where(Event.type == "notification_failed")).one()
    assert "time_standard_breached" in types
    assert failed.payload["instance_id"] == instance_id
    assert failed.payload["recipients"] == ["ppid.utama@ppid.test"]
    down.db.dispose()

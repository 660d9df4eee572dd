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
from engine.diagrams import definitions
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


def test_the_breach_mail_of_a_working_day_step_says_hari_kerja(
    ctx: EngineContext, clock: ManualClock, mailbox: Mailbox
) -> None:
    xml = (Path(__file__).resolve().parents[2] / "bpmn" / "ppid_publikasi.bpmn").read_bytes()
    step_1 = b'<spiffworkflow:property name="standar_waktu" value="PT15M"/>'
    assert xml.count(step_1) == 1 and xml.count(b'"PT15M"</bpmn:timeDuration>') == 1
    working_days = xml.replace(step_1, b'<spiffworkflow:property name="standar_waktu" value="P10D"/>'
                               b'<spiffworkflow:property name="hitungan_waktu" value="hari_kerja"/>'
                               ).replace(b'"PT15M"</bpmn:timeDuration>', b'"P10D"</bpmn:timeDuration>')
    definitions.deploy(ctx, working_days, "ppid.utama", "ppid_publikasi.bpmn")
    _, task = reach_step(ctx, 1)
    assert task.due_at is not None and task.time_standard == "P10D"
    clock.set(task.due_at)
    fire_due_timers(ctx)
    [mail] = mailbox.wait_for(1)
    assert mail["Subject"] == f"Pelanggaran standar waktu: langkah 1 {task.name}"
    assert "Standar waktu: 10 hari kerja" in mail.get_content().splitlines()

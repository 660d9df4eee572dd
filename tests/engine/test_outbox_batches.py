"""A burst's mail: held by the courier while timers fire, then sent over one SMTP connection, each mail once."""

from __future__ import annotations

import smtplib
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.clock import ManualClock
from engine.config import Settings, SmtpSettings
from engine.context import EngineContext
from engine.runtime import outbox
from engine.store import OutboxMail
from handlers import HANDLERS
from tests.conftest import Mailbox


def _connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The real SMTP connections opened from now on, by thread name."""
    opened: list[str] = []
    real_connect = outbox.connect

    def connect(smtp: SmtpSettings) -> smtplib.SMTP:
        opened.append(threading.current_thread().name)
        return real_connect(smtp)

    monkeypatch.setattr(outbox, "connect", connect)
    return opened


def _enqueue(ctx: EngineContext, count: int) -> list[int]:
    with ctx.db.session() as session:
        mails = [outbox.enqueue(session, [f"kepala{n}@ppid.test"], f"Surat {n}", "Isi", ctx.clock.now())
                 for n in range(count)]
        session.flush()
        return [mail.id for mail in mails]


def test_several_mails_go_over_one_connection_and_only_once(
        ctx: EngineContext, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = _connections(monkeypatch)
    ids = _enqueue(ctx, 3)
    assert outbox.deliver_many(ctx, ids) == set(ids)
    assert sorted(str(m["Subject"]) for m in mailbox.wait_for(3)) == ["Surat 0", "Surat 1", "Surat 2"]
    assert len(opened) == 1
    assert outbox.deliver_many(ctx, ids) == set() and outbox.deliver_due(ctx) == 0  # sent: never again
    with ctx.db.session() as session:
        rows = session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
    assert [(row.attempts, row.sent_at is not None, row.last_error) for row in rows] == [(1, True, None)] * 3
    assert len(mailbox.messages) == 3


def test_the_courier_holds_mail_while_timers_fire_then_sends_it_together(
        ctx: EngineContext, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = _connections(monkeypatch)
    firing = threading.Event()
    firing.set()
    courier = outbox.Courier(busy=firing.is_set)
    courier.start()
    ids = _enqueue(ctx, 3)
    for mail_id in ids:
        courier.take(outbox.MailAttempt(ctx, mail_id))
    ran = threading.Event()
    courier.take(ran.set)  # other work goes on meanwhile
    assert ran.wait(5)
    assert mailbox.messages == [] and opened == []  # still held: the firing is busy
    firing.clear()
    assert len(mailbox.wait_for(3)) == 3
    courier.stop()
    assert opened == ["sopflow-courier"]  # the three together, over one connection


def test_a_server_that_cannot_be_reached_fails_every_mail_of_the_batch_for_a_retry(
        settings: Settings, ctx: EngineContext, clock: ManualClock) -> None:
    down = EngineContext.create(replace(settings, smtp=replace(settings.smtp, port=1)), clock=clock,
                                handlers=HANDLERS)
    ids = _enqueue(down, 2)
    failed: list[int] = []
    outbox.attempt_after_commit(down, ids[0], lambda: failed.append(ids[0]))
    outbox.attempt_after_commit(down, ids[1], lambda: failed.append(ids[1]))
    down.db.dispose()
    assert failed == ids
    rows = outbox.undelivered(ctx)
    assert [(row.attempts, row.last_error, row.next_attempt_at) for row in rows] == [
        (1, "Server surat tidak dapat dihubungi", clock.now() + timedelta(minutes=1))] * 2

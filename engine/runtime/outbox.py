"""Mail goes through an outbox: written in the transaction that decides to send it, delivered after that
transaction commits, retried with growing pauses when the SMTP server fails. One delivery attempt per row at
a time, however many processes deliver: each attempt is claimed by an atomic update."""

from __future__ import annotations

import logging
import queue
import smtplib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.config import SmtpSettings
from engine.context import EngineContext
from engine.errors import NotFound
from engine.people.users import record_administration
from engine.store import OutboxMail

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
MAX_ATTEMPTS = 8  # then only an Admin's retry sends it again


def enqueue(session: Session, recipients: list[str], subject: str, body: str, now: datetime) -> OutboxMail:
    """Added to the caller's transaction; hand it to `deliver_after_commit` once that has committed."""
    mail = OutboxMail(recipients=recipients, subject=subject[:300], body=body, created_at=now, attempts=0,
                      next_attempt_at=now)
    session.add(mail)
    return mail


def deliver_after_commit(ctx: EngineContext, mail: OutboxMail | None) -> Callable[[], None]:
    """The first attempt, to run once the mail's row is committed (and so has its id): here, or by the courier
    of this thread (see `Courier.carrying`)."""

    def attempt() -> None:
        if mail is not None:
            hand_over(lambda: deliver(ctx, mail.id))

    return attempt


_carried = threading.local()


def hand_over(action: Callable[[], object]) -> None:
    """Run what follows a commit: here, or by this thread's courier (see `Courier.carrying`)."""
    courier: Courier | None = getattr(_carried, "courier", None)
    if courier is not None:
        courier.take(action)
    else:
        action()


class Courier:
    """A thread that runs what follows the commits of other threads (the timer firing threads): first mail
    delivery attempts and other side effects, so a slow SMTP server never holds up a burst of timers."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Callable[[], object] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sopflow-courier", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)

    def take(self, action: Callable[[], object]) -> None:
        self._queue.put(action)

    @contextmanager
    def carrying(self) -> Iterator[None]:
        """What this thread hands over within the block goes to this courier."""
        _carried.courier = self
        try:
            yield
        finally:
            _carried.courier = None

    def _run(self) -> None:
        while (action := self._queue.get()) is not None:
            try:
                action()
            except Exception:
                log.exception("after a timer fired: the outbox could not be read; it is tried again at the resync")


def send(smtp: SmtpSettings, recipients: list[str], subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(message)


def backoff(attempts: int) -> timedelta:
    """The pause after the n-th failed attempt: one minute, doubled each time, at most six hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


def _reason(error: Exception) -> str:
    """What went wrong, for the Admin's page (stored text, like the notices themselves, is Indonesian)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "Alamat penerima ditolak server surat"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "Login ke server surat ditolak"
    if isinstance(error, smtplib.SMTPException):
        return "Server surat menolak pesan"
    return "Server surat tidak dapat dihubungi"


def deliver(ctx: EngineContext, mail_id: int) -> bool:
    """One attempt, if the mail is due and no other process is attempting it; True when it was sent."""
    now = ctx.clock.now()
    with ctx.db.session() as session:
        mail = session.get(OutboxMail, mail_id)
        if mail is None or mail.sent_at is not None or mail.attempts >= MAX_ATTEMPTS:
            return False
        attempts = mail.attempts + 1
        claimed = session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id, OutboxMail.sent_at.is_(None), OutboxMail.attempts == mail.attempts,
                   OutboxMail.next_attempt_at <= now)
            .values(attempts=attempts, next_attempt_at=now + backoff(attempts))
            .execution_options(synchronize_session=False)
        ).rowcount == 1  # type: ignore[attr-defined]
        recipients, subject, body = list(mail.recipients), mail.subject, mail.body
    if not claimed:
        return False
    try:
        send(ctx.settings.smtp, recipients, subject, body)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("mail %s not delivered (attempt %s): %s", mail_id, attempts, error)
        with ctx.db.session() as session:
            session.execute(update(OutboxMail).where(OutboxMail.id == mail_id)
                            .values(last_error=_reason(error)))  # the library's English text stays in the log
        return False
    with ctx.db.session() as session:
        session.execute(update(OutboxMail).where(OutboxMail.id == mail_id)
                        .values(sent_at=ctx.clock.now(), last_error=None))
    return True


def deliver_due(ctx: EngineContext) -> int:
    """Attempt every unsent mail whose next attempt is due; returns how many were sent."""
    with ctx.db.session() as session:
        due = list(session.scalars(
            select(OutboxMail.id)
            .where(OutboxMail.sent_at.is_(None), OutboxMail.next_attempt_at <= ctx.clock.now(),
                   OutboxMail.attempts < MAX_ATTEMPTS)
            .order_by(OutboxMail.id)
        ))
    return sum(deliver(ctx, mail_id) for mail_id in due)


def undelivered(ctx: EngineContext, limit: int = 200) -> list[OutboxMail]:
    with ctx.db.session() as session:
        return list(session.scalars(
            select(OutboxMail).where(OutboxMail.sent_at.is_(None)).order_by(OutboxMail.id.desc()).limit(limit)
        ))


def retry_now(ctx: EngineContext, mail_id: int, actor: str) -> bool:
    """An Admin's retry: due at once, with a fresh count of attempts; recorded, then attempted."""
    with ctx.db.session() as session:
        mail = session.get(OutboxMail, mail_id)
        if mail is None or mail.sent_at is not None:
            raise NotFound("No undelivered mail %(id)s.", id=mail_id)
        mail.attempts, mail.next_attempt_at = 0, ctx.clock.now()
        record_administration(session, ctx, "mail_retried", actor, mail=mail_id, subject=mail.subject)
    return deliver(ctx, mail_id)

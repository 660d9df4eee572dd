"""Mail goes through an outbox: written in the transaction that decides to send it, delivered after that
transaction commits, retried with growing pauses when the SMTP server fails. One delivery attempt per row at
a time, however many processes deliver: each attempt is claimed by an atomic update."""

from __future__ import annotations

import contextlib
import logging
import queue
import smtplib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import partial

from sqlalchemy import insert, select, update
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
MAIL_BATCH = 100  # mails claimed per statement
MAIL_HOLD = 60.0  # seconds a courier holds mail back at most while timers fire
HOLD_POLL = 0.05  # seconds between its looks, meanwhile


_INSERT_MAIL = insert(OutboxMail).returning(OutboxMail.id)


def enqueue(session: Session, recipients: list[str], subject: str, body: str, now: datetime) -> OutboxMail:
    """Written in the caller's transaction (one Core statement, which gives it its id); hand it to
    `deliver_after_commit` once that has committed."""
    values = {"recipients": recipients, "subject": subject[:300], "body": body, "created_at": now, "attempts": 0,
              "next_attempt_at": now}
    return OutboxMail(id=session.connection().execute(_INSERT_MAIL, values).scalar_one(), **values)


def deliver_after_commit(ctx: EngineContext, mail: OutboxMail | None) -> Callable[[], None]:
    """The first attempt, to run once the mail's row is committed (and so has its id)."""

    def attempt() -> None:
        if mail is not None:
            attempt_after_commit(ctx, mail.id)

    return attempt


@dataclass(frozen=True)
class MailAttempt:
    """A committed mail's first delivery attempt; `failed` runs if it did not send it."""

    ctx: EngineContext
    mail_id: int
    failed: Callable[[], None] | None = None


def attempt_after_commit(ctx: EngineContext, mail_id: int, failed: Callable[[], None] | None = None) -> None:
    """The first attempt: by this thread's courier, with other mail over one connection, or here."""
    attempt = MailAttempt(ctx, mail_id, failed)
    courier: Courier | None = getattr(_carried, "courier", None)
    if courier is not None:
        courier.take(attempt)
    else:
        _attempt_all([attempt])


def _attempt_all(attempts: list[MailAttempt]) -> None:
    for ctx in {id(attempt.ctx): attempt.ctx for attempt in attempts}.values():
        mine = [attempt for attempt in attempts if attempt.ctx is ctx]
        sent = deliver_many(ctx, [attempt.mail_id for attempt in mine])
        for attempt in mine:
            if attempt.mail_id not in sent and attempt.failed is not None:
                attempt.failed()


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
    delivery attempts and other side effects, so a slow SMTP server never holds up a burst of timers. Mail is
    held back while `busy()` (timers are firing), at most MAIL_HOLD seconds, then sent over
    one connection: it is durable in the outbox, and sending it would take the interpreter from the firing."""

    def __init__(self, busy: Callable[[], bool] = lambda: False) -> None:
        self._queue: queue.SimpleQueue[Callable[[], object] | MailAttempt | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sopflow-courier", daemon=True)
        self._busy = busy

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)

    def take(self, action: Callable[[], object] | MailAttempt) -> None:
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
        _carried.courier = self  # what an action hands over (its mail) joins the queue
        held: list[MailAttempt] = []
        since = 0.0
        while True:
            item: Callable[[], object] | MailAttempt | bool | None
            try:
                item = self._queue.get(timeout=HOLD_POLL) if held else self._queue.get()
            except queue.Empty:
                item = False  # nothing new: see whether the held mail may go
            if item is None:
                break
            if isinstance(item, MailAttempt):
                since = since if held else time.monotonic()
                held.append(item)
            elif callable(item):
                self._safely(item)
            if held and (time.monotonic() - since >= MAIL_HOLD or (self._queue.empty() and not self._busy())):
                self._safely(partial(_attempt_all, held))
                held = []
        if held:
            self._safely(partial(_attempt_all, held))

    @staticmethod
    def _safely(action: Callable[[], object]) -> None:
        try:
            action()
        except Exception:
            log.exception("after a timer fired: the outbox could not be read; it is tried again at the resync")


def connect(smtp: SmtpSettings) -> smtplib.SMTP:
    client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    try:
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, smtp.password)
    except BaseException:
        client.close()
        raise
    return client


def _message(smtp: SmtpSettings, recipients: list[str], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)
    return message


def send(smtp: SmtpSettings, recipients: list[str], subject: str, body: str) -> None:
    with connect(smtp) as client:
        client.send_message(_message(smtp, recipients, subject, body))


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
    return mail_id in deliver_many(ctx, [mail_id])


def deliver_many(ctx: EngineContext, mail_ids: list[int]) -> set[int]:
    """One attempt of each mail that is due and that no other process is attempting, all over one SMTP
    connection; returns the ids sent."""
    now = ctx.clock.now()
    claimed: list[tuple[int, int, list[str], str, str]] = []
    with ctx.db.session() as session:
        for start in range(0, len(mail_ids), MAIL_BATCH):
            rows = session.execute(
                select(OutboxMail.id, OutboxMail.attempts, OutboxMail.recipients, OutboxMail.subject,
                       OutboxMail.body)
                .where(OutboxMail.id.in_(mail_ids[start:start + MAIL_BATCH]), OutboxMail.sent_at.is_(None),
                       OutboxMail.attempts < MAX_ATTEMPTS, OutboxMail.next_attempt_at <= now)
                .order_by(OutboxMail.id)
            ).all()
            for mail_id, attempts, recipients, subject, body in rows:
                if session.execute(
                    update(OutboxMail)
                    .where(OutboxMail.id == mail_id, OutboxMail.sent_at.is_(None),
                           OutboxMail.attempts == attempts, OutboxMail.next_attempt_at <= now)
                    .values(attempts=attempts + 1, next_attempt_at=now + backoff(attempts + 1))
                    .execution_options(synchronize_session=False)
                ).rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append((mail_id, attempts + 1, list(recipients), subject, body))
    if not claimed:
        return set()
    sent, failed = _send_all(ctx.settings.smtp, claimed)
    with ctx.db.session() as session:
        if sent:
            session.execute(update(OutboxMail).where(OutboxMail.id.in_(sent))
                            .values(sent_at=ctx.clock.now(), last_error=None))
        for mail_id, reason in failed.items():  # the library's English text stays in the log
            session.execute(update(OutboxMail).where(OutboxMail.id == mail_id).values(last_error=reason))
    return set(sent)


def _send_all(smtp: SmtpSettings, mails: list[tuple[int, int, list[str], str, str]]
              ) -> tuple[list[int], dict[int, str]]:
    """Send over one connection: a refused message leaves it open for the next, a lost connection is opened
    again, a server that cannot be reached fails the rest."""
    sent: list[int] = []
    failed: dict[int, str] = {}
    client: smtplib.SMTP | None = None
    try:
        for mail_id, attempts, recipients, subject, body in mails:
            try:
                client = client or connect(smtp)
            except (OSError, smtplib.SMTPException) as error:
                for unsent, tried, *_ in mails[len(sent) + len(failed):]:
                    log.warning("mail %s not delivered (attempt %s): %s", unsent, tried, error)
                    failed[unsent] = _reason(error)
                break
            try:
                client.send_message(_message(smtp, recipients, subject, body))
                sent.append(mail_id)
            except (OSError, smtplib.SMTPException) as error:
                log.warning("mail %s not delivered (attempt %s): %s", mail_id, attempts, error)
                failed[mail_id] = _reason(error)
                if not isinstance(error, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
                    client.close()
                    client = None
    finally:
        if client is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                client.quit()
    return sent, failed


def deliver_due(ctx: EngineContext) -> int:
    """Attempt every unsent mail whose next attempt is due; returns how many were sent."""
    with ctx.db.session() as session:
        due = list(session.scalars(
            select(OutboxMail.id)
            .where(OutboxMail.sent_at.is_(None), OutboxMail.next_attempt_at <= ctx.clock.now(),
                   OutboxMail.attempts < MAX_ATTEMPTS)
            .order_by(OutboxMail.id)
        ))
    return len(deliver_many(ctx, due))


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

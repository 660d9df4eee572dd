"""People keep their own password: a reset link by e-mail ("Lupa kata sandi") and changing it while logged in.

A reset request is answered the same whether or not the account exists; the link is sent through the outbox,
works once and for `password_reset.valid_minutes`, starts with the configured base URL, and its token is kept
only as a SHA-256 (the outbox's copy of the mail loses the link once it is sent). A new password ends every
session of the account. Requests are limited per account and per requesting address, counted over an hour."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.diagrams.durations import Duration
from engine.errors import NotAllowed, SopflowError
from engine.people.administration import record_administration
from engine.people.records import PasswordReset, User
from engine.people.users import authenticate, check_password, hash_password
from engine.runtime.outbox import deliver, enqueue
from engine.store import OutboxMail

WINDOW = timedelta(hours=1)
MAX_ADDRESS = 64
MAX_IDENTIFIER = 200
RESET_PATH = "/password/reset/"
SUBJECT = "Atur ulang kata sandi sopflow"


@dataclass(frozen=True)
class ResetRequest:
    """`accepted` is False only when the requesting address asked too often (which says nothing of any
    account). `send` makes the first delivery attempt of the mails written, if any: run it after answering."""

    accepted: bool
    send: Callable[[], None]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _accounts(session: Session, identifier: str) -> list[User]:
    """Active accounts with this username, or with this e-mail address (letter case ignored)."""
    wanted = identifier.strip().lower()[:MAX_IDENTIFIER]
    if not wanted:
        return []
    column = func.lower(User.email) if "@" in wanted else User.username
    return list(session.scalars(select(User).where(column == wanted, User.active.is_(True)).order_by(User.id)))


def _mail_body(user: User, link: str, valid: Duration) -> str:
    return (f"Yth. {user.display_name},\n\n"
            f"Ada permintaan untuk mengatur ulang kata sandi akun sopflow \"{user.username}\". Buka tautan di bawah "
            f"dalam {valid.words} untuk membuat kata sandi baru:\n\n{link}\n\n"
            "Tautan ini hanya dapat dipakai sekali. Jika Anda tidak meminta ini, abaikan surel ini: kata sandi "
            "Anda tidak berubah.\n")


def request_reset(ctx: EngineContext, identifier: str, address: str) -> ResetRequest:
    """Write a reset link for each active account named by `identifier` (username or e-mail address), unless
    the address or the account had its limit of requests in the last hour; unknown names write no link."""
    limits = ctx.settings.password_reset
    now = ctx.clock.now()
    address = address[:MAX_ADDRESS]
    mails: list[tuple[OutboxMail, str]] = []
    with ctx.db.session() as session:
        if session.get_bind().dialect.name == "postgresql":  # one request counts at a time (SQLite: the delete
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext('password_reset'))"))  # takes its lock)
        session.execute(delete(PasswordReset).where(PasswordReset.requested_at <= now - WINDOW,
                                                    PasswordReset.token_hash.is_(None)))
        recent = select(func.count()).select_from(PasswordReset).where(PasswordReset.requested_at > now - WINDOW)
        if int(session.scalar(recent.where(PasswordReset.address == address)) or 0) >= limits.per_address_per_hour:
            return ResetRequest(False, lambda: None)
        accounts = _accounts(session, identifier)
        links = recent.where(PasswordReset.token_hash.is_not(None))
        if not accounts:
            session.add(PasswordReset(address=address, requested_at=now))
        for user in accounts:
            if int(session.scalar(links.where(PasswordReset.user_id == user.id)) or 0) >= limits.per_account_per_hour:
                session.add(PasswordReset(user_id=user.id, address=address, requested_at=now))  # counted, no mail
                continue
            token = secrets.token_urlsafe(32)
            session.add(PasswordReset(user_id=user.id, address=address, requested_at=now, token_hash=_digest(token),
                                      expires_at=now + timedelta(minutes=limits.valid_minutes)))
            link = f"{limits.base_url}{RESET_PATH}{token}"
            body = _mail_body(user, link, Duration(limits.valid_minutes))
            mails.append((enqueue(session, [user.email], SUBJECT, body, now), link))
            record_administration(session, ctx, "password_reset_requested", user.username, user=user.username,
                                  address=address)
        session.flush()
        sent = [(mail.id, link) for mail, link in mails]

    def send() -> None:
        for mail_id, link in sent:
            if deliver(ctx, mail_id):
                with ctx.db.session() as session:  # the link was delivered: the outbox keeps no usable copy
                    session.execute(update(OutboxMail).where(OutboxMail.id == mail_id).values(
                        body=func.replace(OutboxMail.body, link, "(tautan dihapus setelah terkirim)")))

    return ResetRequest(True, send)


def _open_reset(session: Session, ctx: EngineContext, token: str) -> tuple[PasswordReset, User]:
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _digest(token))
                           .with_for_update())
    user = session.get(User, reset.user_id) if reset is not None and reset.user_id is not None else None
    if reset is None or user is None or not user.active or reset.used_at is not None:
        raise NotAllowed("This reset link is not valid or has already been used. Ask for a new one.")
    if reset.expires_at is None or reset.expires_at <= ctx.clock.now():
        raise NotAllowed("This reset link has expired. Ask for a new one.")
    return reset, user


def check_reset_link(ctx: EngineContext, token: str) -> str:
    """The username the link is for, when it can still be used; NotAllowed saying why not otherwise."""
    with ctx.db.session() as session:
        return _open_reset(session, ctx, token)[1].username


def _check_new(password: str, repeated: str) -> None:
    if password != repeated:
        raise SopflowError("The two new passwords are not the same.")
    check_password(password)


def reset_password(ctx: EngineContext, token: str, password: str, repeated: str) -> str:
    """Set the account's new password from a reset link: the link and every other open link of the account
    are used up, every session of the account ends; recorded. Returns the username."""
    _check_new(password, repeated)
    now = ctx.clock.now()
    with ctx.db.session() as session:
        reset, user = _open_reset(session, ctx, token)
        session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id,
                                                    PasswordReset.used_at.is_(None),
                                                    PasswordReset.token_hash.is_not(None)).values(used_at=now))
        user.password_hash = hash_password(password)
        user.session_epoch += 1
        record_administration(session, ctx, "password_reset", user.username, user=user.username,
                              sessions_ended=True)
        return user.username


def change_password(ctx: EngineContext, username: str, current: str, password: str, repeated: str) -> int:
    """A logged-in person's own change, the current password required: other sessions end (the new session
    epoch is returned, so the caller's own session can carry on); recorded."""
    _check_new(password, repeated)
    try:
        authenticate(ctx, username, current)
    except NotAllowed as error:
        raise NotAllowed("The current password is wrong.") from error
    with ctx.db.session() as session:
        user = session.scalars(select(User).where(User.username == username).with_for_update()).one()
        user.password_hash = hash_password(password)
        user.session_epoch += 1
        record_administration(session, ctx, "password_changed", username, user=username, sessions_ended=True)
        return user.session_epoch

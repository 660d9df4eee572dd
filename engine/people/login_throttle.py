"""Login throttling kept in the database, so every process shares it. Limits are per account and per
(account, address), never per address alone: one person's typos do not lock out colleagues behind the same
office NAT. Recording an attempt and counting the recent ones is one transaction that holds the account's
lock, so parallel guesses cannot overrun the limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.people.records import LoginAttempt

MAX_ADDRESS = 64


@dataclass(frozen=True)
class ThrottleLimits:
    per_account_and_address: int = 5
    per_account: int = 20
    window: timedelta = timedelta(minutes=5)


def _account(username: str) -> str:
    return username.strip().lower()[:80]


def _lock_account(session: Session, username: str) -> None:
    """PostgreSQL: hold the account's advisory lock until commit. SQLite needs none: the INSERT that follows
    takes the database's single write lock, held until commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"login:{username}"})


def begin_attempt(ctx: EngineContext, username: str, address: str, limits: ThrottleLimits) -> bool:
    """Record a password check about to be made; False (and nothing kept) when the account, or the account
    from this address, already had its limit of attempts within the window."""
    username, address = _account(username), address[:MAX_ADDRESS]
    now = ctx.clock.now()
    since = now - limits.window
    with ctx.db.session() as session:
        _lock_account(session, username)
        attempt = LoginAttempt(username=username, address=address, attempted_at=now)
        session.add(attempt)
        session.flush()
        recent = select(func.count()).where(LoginAttempt.username == username, LoginAttempt.attempted_at > since)
        per_account = int(session.scalar(recent) or 0)
        per_pair = int(session.scalar(recent.where(LoginAttempt.address == address)) or 0)
        blocked = per_pair > limits.per_account_and_address or per_account > limits.per_account
        if blocked:  # a refused attempt checks no password, so it does not count
            session.delete(attempt)
        session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at <= since))
    return not blocked


def attempt_succeeded(ctx: EngineContext, username: str, address: str) -> None:
    """A right password clears this account's failures from this address."""
    with ctx.db.session() as session:
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == _account(username),
                                                   LoginAttempt.address == address[:MAX_ADDRESS]))

"""Login throttling kept in the database, so every process shares it. An attempt is written (committed) before
its password is checked and then counted, so parallel guesses cannot overrun the limit: whichever check
counts last sees every attempt checked before it. Limits are per account and per (account, address), never
per address alone: one person's typos do not lock out colleagues behind the same office NAT."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select

from engine.context import EngineContext
from engine.store import LoginAttempt

MAX_ADDRESS = 64


@dataclass(frozen=True)
class ThrottleLimits:
    per_account_and_address: int = 5
    per_account: int = 20
    window: timedelta = timedelta(minutes=5)


def begin_attempt(ctx: EngineContext, username: str, address: str, limits: ThrottleLimits) -> bool:
    """Record an attempt; False (and nothing kept) when the account, or the account from this address, has
    too many recent ones."""
    username, address = username.strip().lower()[:80], address[:MAX_ADDRESS]
    now = ctx.clock.now()
    with ctx.db.session() as session:
        attempt = LoginAttempt(username=username, address=address, attempted_at=now)
        session.add(attempt)
    since = now - limits.window
    with ctx.db.session() as session:
        recent = select(func.count()).where(LoginAttempt.username == username, LoginAttempt.attempted_at > since)
        per_account = int(session.scalar(recent) or 0)
        per_pair = int(session.scalar(recent.where(LoginAttempt.address == address)) or 0)
        blocked = per_pair > limits.per_account_and_address or per_account > limits.per_account
        # A refused attempt is not checked, so it does not count: the lock ends one window after the last failure.
        stale = LoginAttempt.attempted_at <= since
        session.execute(delete(LoginAttempt).where(stale | (LoginAttempt.id == attempt.id) if blocked else stale))
    return not blocked


def attempt_succeeded(ctx: EngineContext, username: str, address: str) -> None:
    """A right password clears this account's failures from this address."""
    with ctx.db.session() as session:
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == username.strip().lower()[:80],
                                                   LoginAttempt.address == address[:MAX_ADDRESS]))

"""Bearer tokens for the JSON API: shown once, stored as SHA-256 only; each expires, records its last use and
can be revoked (all of a user's at once when the user is deactivated)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update

from engine.context import EngineContext
from engine.errors import NotAllowed, NotFound, SopflowError
from engine.people.administration import SYSTEM_ACTOR, record_administration
from engine.people.records import ApiToken, User, UserRole
from engine.people.users import Actor, actor_rows, get_user

PREFIX = "sfw_"
DEFAULT_DAYS = 90
MAX_DAYS = 3650
LAST_USE_PRECISION = timedelta(minutes=1)  # a busy client does not write on every request


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(ctx: EngineContext, username: str, label: str = "cli", expires_days: int = DEFAULT_DAYS,
                 actor: str = SYSTEM_ACTOR) -> str:
    if not 1 <= expires_days <= MAX_DAYS:
        raise SopflowError("A token lasts from 1 to %(most)d days.", most=MAX_DAYS)
    token = PREFIX + secrets.token_urlsafe(32)
    now = ctx.clock.now()
    with ctx.db.session() as session:
        user = get_user(session, username)
        expires_at = now + timedelta(days=expires_days)
        session.add(ApiToken(user_id=user.id, token_hash=_digest(token), label=label[:200], created_at=now,
                             expires_at=expires_at))
        record_administration(session, ctx, "api_token_created", actor, user=username, label=label[:200],
                              expires_at=expires_at.isoformat())
    return token


def list_tokens(ctx: EngineContext, username: str | None = None) -> list[tuple[str, ApiToken]]:
    """(username, token) pairs, newest first; one user's when `username` is given."""
    with ctx.db.session() as session:
        statement = select(User.username, ApiToken).join(User, User.id == ApiToken.user_id)
        if username is not None:
            if session.scalar(select(User.id).where(User.username == username)) is None:
                raise NotFound("There is no user %(user)r.", user=username)
            statement = statement.where(User.username == username)
        rows = session.execute(statement.order_by(User.username, ApiToken.created_at.desc(), ApiToken.id.desc()))
        return [(name, token) for name, token in rows.tuples()]


def revoke_tokens(ctx: EngineContext, username: str, label: str | None = None, token_id: int | None = None,
                  actor: str = SYSTEM_ACTOR) -> int:
    """Revoke the user's live tokens, or those with `label`, or the one with `token_id`; how many were."""
    now = ctx.clock.now()
    with ctx.db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound("There is no user %(user)r.", user=username)
        statement = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        if label is not None:
            statement = statement.where(ApiToken.label == label)
        if token_id is not None:
            statement = statement.where(ApiToken.id == token_id)
        tokens = list(session.scalars(statement))
        if not tokens and (label is not None or token_id is not None):
            raise NotFound("No live token of %(user)s matches.", user=username)
        for token in tokens:
            token.revoked_at = now
        record_administration(session, ctx, "api_tokens_revoked", actor, user=username, label=label,
                              tokens=[token.id for token in tokens])
    return len(tokens)


def token_state(token: ApiToken, now: datetime) -> str:
    """live, expired or revoked."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "live"


# Built once: it runs on every API request. One row per role (one with no role for a user without any).
_TOKEN_USER = (
    select(ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at, User.username, User.opd,
           User.active, UserRole.role)
    .join(User, User.id == ApiToken.user_id).outerjoin(UserRole, UserRole.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"))
)
_RECORD_USE = update(ApiToken).where(ApiToken.id == bindparam("token_id")).values(last_used_at=bindparam("now"))


def user_for_token(ctx: EngineContext, token: str) -> Actor:
    """The active user a live token belongs to (its use recorded, to the minute); NotAllowed for any other token.
    One statement: the token, its user and the user's roles (this runs on every API request; a revocation
    counts at once)."""
    now = ctx.clock.now()
    with ctx.db.engine.connect() as connection:
        rows = connection.execute(_TOKEN_USER, {"digest": _digest(token)}).all()
    if not rows:
        raise NotAllowed("unknown, expired or revoked API token")
    first = rows[0]
    if first.revoked_at is not None or (first.expires_at is not None and first.expires_at <= now):
        raise NotAllowed("unknown, expired or revoked API token")
    if not first.active:
        raise NotAllowed("the token's user is not active")
    if first.last_used_at is None or now - first.last_used_at >= LAST_USE_PRECISION:
        with ctx.db.engine.begin() as connection:
            connection.execute(_RECORD_USE, {"token_id": first.id, "now": now})
    return actor_rows(rows)

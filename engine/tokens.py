"""Bearer tokens for the JSON API: shown once, stored as SHA-256 only."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from engine.context import EngineContext
from engine.errors import NotAllowed
from engine.store import ApiToken, User
from engine.users import SYSTEM_ACTOR, get_user, record_administration

PREFIX = "sfw_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(ctx: EngineContext, username: str, label: str = "cli") -> str:
    token = PREFIX + secrets.token_urlsafe(32)
    with ctx.db.session() as session:
        user = get_user(session, username)
        session.add(ApiToken(user_id=user.id, token_hash=_digest(token), label=label[:200],
                             created_at=ctx.clock.now()))
        record_administration(session, ctx, "api_token_created", SYSTEM_ACTOR, user=username, label=label[:200])
    return token


def user_for_token(ctx: EngineContext, token: str) -> User:
    """The active user a token belongs to; NotAllowed for an unknown or revoked token."""
    with ctx.db.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
        if row is None or row.revoked_at is not None:
            raise NotAllowed("unknown or revoked API token")
        user = session.get(User, row.user_id)
        if user is None or not user.active:
            raise NotAllowed("the token's user is not active")
        return user

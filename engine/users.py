"""People and their roles. Passwords are hashed with Argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.errors import NotAllowed, NotFound, SopflowError
from engine.store import User

SYSTEM_ACTOR = "system"
_hasher = PasswordHasher()


def create_user(
    ctx: EngineContext,
    username: str,
    password: str,
    role: str,
    display_name: str,
    email: str,
    opd: str | None = None,
) -> User:
    known_roles = set(ctx.settings.lane_roles.values()) | {ctx.settings.supervisor_role}
    if role not in known_roles:
        raise SopflowError(f"unknown role {role!r}; known roles: {', '.join(sorted(known_roles))}")
    if username == SYSTEM_ACTOR:
        raise SopflowError(f"{SYSTEM_ACTOR!r} is reserved for the installation itself")
    if len(password) < 8:
        raise SopflowError("a password needs at least 8 characters")
    with ctx.db.session() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise SopflowError(f"user {username!r} already exists")
        user = User(
            username=username,
            display_name=display_name,
            email=email,
            role=role,
            opd=opd,
            password_hash=_hasher.hash(password),
            active=True,
            created_at=ctx.clock.now(),
        )
        session.add(user)
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise NotFound(f"no active user {username!r}")
    return user


def authenticate(ctx: EngineContext, username: str, password: str) -> User:
    with ctx.db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        try:
            if user is None or not user.active or not _hasher.verify(user.password_hash, password):
                raise NotAllowed("wrong username or password")
        except (VerificationError, InvalidHashError) as error:
            raise NotAllowed("wrong username or password") from error
        return user


def users_with_role(session: Session, role: str) -> list[User]:
    return list(session.scalars(select(User).where(User.role == role, User.active.is_(True))))

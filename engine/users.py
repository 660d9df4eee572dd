"""People and their roles. Passwords are hashed with Argon2id."""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.errors import NotAllowed, NotFound, SopflowError
from engine.roles import known_roles
from engine.store import User, UserRole

SYSTEM_ACTOR = "system"
_hasher = PasswordHasher()


def create_user(
    ctx: EngineContext,
    username: str,
    password: str,
    roles: Iterable[str],
    display_name: str,
    email: str,
    opd: str | None = None,
) -> User:
    roles = check_roles(ctx, roles)
    if username == SYSTEM_ACTOR:
        raise SopflowError(f"{SYSTEM_ACTOR!r} is reserved for the installation itself")
    check_password(password)
    with ctx.db.session() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise SopflowError(f"user {username!r} already exists")
        user = User(
            username=username,
            display_name=display_name,
            email=email,
            role_rows=[UserRole(role=role) for role in roles],
            opd=opd,
            password_hash=hash_password(password),
            active=True,
            created_at=ctx.clock.now(),
        )
        session.add(user)
    return user


def check_roles(ctx: EngineContext, roles: Iterable[str]) -> list[str]:
    """The roles, each known to this installation, at least one, no repeats."""
    chosen = list(dict.fromkeys(roles))
    allowed = known_roles(ctx.settings)
    unknown = [role for role in chosen if role not in allowed]
    if unknown:
        raise SopflowError(f"unknown role {unknown[0]!r}; known roles: {', '.join(allowed)}")
    if not chosen:
        raise SopflowError("a user needs at least one role")
    return chosen


def check_password(password: str) -> None:
    if len(password) < 8:
        raise SopflowError("a password needs at least 8 characters")


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


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
    return list(
        session.scalars(select(User).join(UserRole).where(UserRole.role == role, User.active.is_(True)))
    )

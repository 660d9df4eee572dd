"""People and their roles. Passwords are hashed with Argon2id."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session, joinedload

from engine.context import EngineContext
from engine.errors import NotAllowed, NotFound, SopflowError
from engine.people.administration import SYSTEM_ACTOR as SYSTEM_ACTOR  # where the other modules import it from
from engine.people.administration import record_administration
from engine.people.offices import check_office
from engine.people.policy import ADMIN
from engine.people.records import ApiToken, User, UserRole

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")
_hasher = PasswordHasher()


@cache
def _unknown_user_hash() -> str:
    """Made on first use, not at import: hashing costs ~0.1 s, which every CLI command would pay."""
    return _hasher.hash("no user has this password")


def create_user(
    ctx: EngineContext,
    username: str,
    password: str,
    roles: Iterable[str],
    display_name: str,
    email: str,
    opd: str | None = None,
    actor: str = SYSTEM_ACTOR,
) -> User:
    roles = check_roles(ctx, roles)
    check_identity(username, display_name, email)
    if username == SYSTEM_ACTOR:
        raise SopflowError("%(name)r is reserved for the installation itself.", name=SYSTEM_ACTOR)
    check_password(password)
    with ctx.db.session() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise SopflowError("User %(user)r already exists.", user=username)
        opd = _checked_office(ctx, session, roles, opd)
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
        record_administration(session, ctx, "user_created", actor, user=username, roles=roles, opd=opd)
    return user


def _checked_office(ctx: EngineContext, session: Session, roles: list[str], opd: str | None,
                    kept: str | None = None) -> str | None:
    """A holder of a role confined to one office (PPID Pembantu, see engine.people.policy) works for an office of the
    list; anyone else may name one. An office the user already has stays allowed after it is deactivated."""
    opd = (opd or "").strip() or None
    if opd is None:
        if ctx.policy.office_roles & set(roles):
            raise SopflowError("A PPID Pembantu account needs an office from the list.")
        return None
    return opd if opd == kept else check_office(session, opd)


def update_user(
    ctx: EngineContext,
    username: str,
    actor: str,
    roles: Iterable[str],
    display_name: str,
    email: str,
    opd: str | None,
    active: bool,
    password: str | None = None,
) -> User:
    """Change a user's roles, office, name, address, activity and (optionally) password; recorded."""
    chosen = check_roles(ctx, roles)
    with ctx.db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound("There is no user %(user)r.", user=username)
        if username == actor and not active:
            raise SopflowError("you cannot deactivate yourself")
        if username == actor and ADMIN in user.roles and ADMIN not in chosen:
            raise SopflowError("you cannot remove your own admin role")
        check_identity(username, display_name, email)
        opd = _checked_office(ctx, session, chosen, opd, kept=user.opd)
        if password or (user.active and not active):
            user.session_epoch += 1
        revoked = _revoke_tokens(session, ctx, user) if user.active and not active else 0
        user.role_rows = [UserRole(role=role) for role in chosen]
        user.display_name, user.email, user.opd, user.active = display_name, email, opd, active
        if password:
            user.password_hash = hash_password(password)
        record_administration(session, ctx, "user_updated", actor, user=username, roles=chosen, opd=user.opd,
                              active=active, password_changed=bool(password), tokens_revoked=revoked)
    return user


def _revoke_tokens(session: Session, ctx: EngineContext, user: User) -> int:
    """Revoke the user's live tokens (a deactivated account keeps no API access); how many were."""
    tokens = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                         ApiToken.revoked_at.is_(None))))
    for token in tokens:
        token.revoked_at = ctx.clock.now()
    return len(tokens)


def end_sessions(ctx: EngineContext, username: str) -> None:
    """Every session of the user, on every device, ends (a copied cookie included); recorded."""
    with ctx.db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound("There is no user %(user)r.", user=username)
        user.session_epoch += 1
        record_administration(session, ctx, "sessions_ended", username, user=username)


def list_users(ctx: EngineContext) -> list[User]:
    with ctx.db.session() as session:
        return list(session.scalars(select(User).order_by(User.username)))


def check_roles(ctx: EngineContext, roles: Iterable[str]) -> list[str]:
    """The roles, each known to this installation, at least one, no repeats."""
    chosen = list(dict.fromkeys(roles))
    allowed = ctx.policy.known_roles()
    unknown = [role for role in chosen if role not in allowed]
    if unknown:
        raise SopflowError("Unknown role %(role)r; known roles: %(known)s.", role=unknown[0],
                           known=", ".join(allowed))
    if not chosen:
        raise SopflowError("a user needs at least one role")
    return chosen


def check_identity(username: str, display_name: str, email: str) -> None:
    if not USERNAME.fullmatch(username):
        raise SopflowError("a username has 2 to 80 characters: lowercase letters, digits, . _ -")
    if not display_name.strip():
        raise SopflowError("a user needs a name")
    if "@" not in email:
        raise SopflowError("%(email)r is not an e-mail address.", email=email)


def check_password(password: str) -> None:
    if len(password) < 8:
        raise SopflowError("a password needs at least 8 characters")


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


_USER_WITH_ROLES = select(User).options(joinedload(User.role_rows)).where(User.username == bindparam("username"))


@dataclass(frozen=True)
class Actor:
    """A person as the policy reads them: name, roles and office, read without the ORM (on every action)."""

    username: str
    roles: frozenset[str]
    opd: str | None


# One row per role (one with no role for a user without any).
_ACTOR = (
    select(User.username, User.opd, User.active, UserRole.role).outerjoin(UserRole, UserRole.user_id == User.id)
    .where(User.username == bindparam("username"))
)


def actor_rows(rows: Sequence[Row[Any]]) -> Actor:
    """The Actor of a user's rows, one per role, each with `username`, `opd` and `role`."""
    return Actor(rows[0].username, frozenset(row.role for row in rows if row.role is not None), rows[0].opd)


def get_actor(session: Session, username: str) -> Actor:
    """The active user as the policy reads them, in one Core statement."""
    rows = session.connection().execute(_ACTOR, {"username": username}).all()
    if not rows or not rows[0].active:
        raise NotFound("There is no active user %(user)r.", user=username)
    return actor_rows(rows)


def get_user(session: Session, username: str) -> User:
    """The active user with their roles, in one query (it runs on every action)."""
    user = session.scalars(_USER_WITH_ROLES, {"username": username}).unique().first()
    if user is None or not user.active:
        raise NotFound("There is no active user %(user)r.", user=username)
    return user


def authenticate(ctx: EngineContext, username: str, password: str) -> User:
    with ctx.db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        try:
            # An unknown name costs the same hash check as a wrong password, so timing tells nothing.
            known_hash = user.password_hash if user is not None else _unknown_user_hash()
            if not _hasher.verify(known_hash, password) or user is None or not user.active:
                raise NotAllowed("wrong username or password")
        except (VerificationError, InvalidHashError) as error:
            raise NotAllowed("wrong username or password") from error
        return user


_HOLDERS = (select(User.username, User.email).join(UserRole)
            .where(UserRole.role == bindparam("role"), User.active.is_(True)))  # built once: a burst asks it per timer


def users_with_role(session: Session, role: str) -> list[Row[tuple[str, str]]]:
    """The active holders of `role`: their username and email (a timer burst asks this per firing)."""
    return list(session.execute(_HOLDERS, {"role": role}))

"""Who may see what: a PPID Pembantu sees only the items of their own OPD; other roles see everything."""

from __future__ import annotations

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import Session

from engine.errors import NotAllowed, NotFound
from engine.store import Instance, User

OFFICE_ROLE = "ppid_pembantu"


def office_only(user: User) -> str | None:
    """The OPD a user is confined to, or None when the user may see every office's items."""
    if user.opd and user.roles <= {OFFICE_ROLE}:
        return user.opd
    return None


def visible_instances(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Instance for what `user` may see."""
    office = office_only(user)
    return Instance.opd == office if office is not None else true()


def viewable_instance(session: Session, user: User, instance_id: int) -> Instance:
    """The instance, if `user` may see it; another office's item reads as NotAllowed, never as data."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise NotFound(f"no instance {instance_id}")
    office = office_only(user)
    if office is not None and instance.opd != office:
        raise NotAllowed(f"{user.username} works for {office}; instance {instance_id} belongs to another office")
    return instance

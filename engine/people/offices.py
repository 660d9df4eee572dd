"""Offices (OPD) as master data: the Admin keeps the list; users and plan rows pick from its active entries.
The name is what `opd` columns store, so a rename would orphan rows: offices are added and deactivated only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.errors import NotFound, SopflowError
from engine.people.administration import SYSTEM_ACTOR, record_administration
from engine.people.records import Office

MAX_NAME = 200
MAX_SHORT_NAME = 40


def list_offices(ctx: EngineContext) -> list[Office]:
    with ctx.db.session() as session:
        return list(session.scalars(select(Office).order_by(Office.name)))


_ACTIVE_NAMES = select(Office.name).where(Office.active.is_(True)).order_by(Office.name)  # on every completion


def active_office_names(session: Session) -> list[str]:
    return list(session.scalars(_ACTIVE_NAMES))


def active_offices(ctx: EngineContext) -> list[str]:
    with ctx.db.session() as session:
        return active_office_names(session)


def check_office(session: Session, name: str) -> str:
    """The name of an active office of the list, or an error naming what was given."""
    if name not in active_office_names(session):
        raise SopflowError("Unknown office %(name)s: choose an active office from the list.", name=name)
    return name


def add_office(ctx: EngineContext, name: str, short_name: str = "", actor: str = SYSTEM_ACTOR) -> Office:
    name, short_name = " ".join(name.split()), " ".join(short_name.split())
    if not name:
        raise SopflowError("An office needs a name.")
    if len(name) > MAX_NAME or len(short_name) > MAX_SHORT_NAME:
        raise SopflowError("An office name has at most %(name)d characters, a short name at most %(short)d.",
                           name=MAX_NAME, short=MAX_SHORT_NAME)
    with ctx.db.session() as session:
        if session.scalar(select(Office.id).where(Office.name == name)) is not None:
            raise SopflowError("The office %(name)s is already on the list.", name=name)
        office = Office(name=name, short_name=short_name or name[:MAX_SHORT_NAME], active=True,
                        created_at=ctx.clock.now())
        session.add(office)
        record_administration(session, ctx, "office_added", actor, office=name, short_name=office.short_name)
    return office


def set_office_active(ctx: EngineContext, name: str, active: bool, actor: str = SYSTEM_ACTOR) -> Office:
    """Deactivate (or reactivate) an office: it leaves the choices; rows already naming it keep it."""
    with ctx.db.session() as session:
        office = session.scalar(select(Office).where(Office.name == name))
        if office is None:
            raise NotFound("No office %(name)s on the list.", name=name)
        if office.active != active:
            office.active = active
            record_administration(session, ctx, "office_activated" if active else "office_deactivated", actor,
                                  office=name)
    return office

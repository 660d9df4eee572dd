"""One rule for who may see and do what.

The lane roles, the supervisor role and the roles confined to one office come from the configuration; the
application's own roles (process owner, auditor, admin) are named here and nowhere else. Engine services, inbox
queries, web views and templates all ask this module, so they cannot disagree.

Office confinement is a property of a role, not of a person: a task in a confined role's lane is open only to
holders of that role whose office is the task's office (a task without an office is open to none of them); a
task in another lane is open to every holder of its role, whatever office they also serve.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.orm import Session

from engine.config import Settings
from engine.errors import NotAllowed, NotFound
from engine.store import Instance, WorkItem

PROCESS_OWNER = "process_owner"
AUDITOR = "auditor"
ADMIN = "admin"
APPLICATION_ROLES = (PROCESS_OWNER, AUDITOR, ADMIN)
APPLICATION_ROLE_LABELS = {PROCESS_OWNER: "Process owner", AUDITOR: "Auditor", ADMIN: "Administrator"}  # msgids


class Ability(StrEnum):
    """What a person may do beyond one task: each is granted to a set of roles (see Policy.roles_for)."""

    WORK = "work"  # the staff pages: inbox, claim, complete, comment, attach
    SUPERVISE = "supervise"  # cancel a publication, assign or take back a task, start a monitoring by hand
    AUDIT = "audit"  # history, replay, reports, exports
    MODEL = "model"  # drafts, deploy, migrate
    ADMINISTER = "administer"  # users, offices, tokens
    READ_NOTICES = "read_notices"  # mark one's notifications read (everyone who receives them)


class Person(Protocol):
    """Whoever acts: an engine User row or the web layer's snapshot of one."""

    @property
    def username(self) -> str: ...

    @property
    def roles(self) -> frozenset[str]: ...

    @property
    def opd(self) -> str | None: ...


@dataclass(frozen=True)
class Policy:
    lane_roles: dict[str, str]
    supervisor_role: str
    office_roles: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(dict(settings.lane_roles), settings.supervisor_role, frozenset(settings.office_roles))

    @property
    def staff_roles(self) -> frozenset[str]:
        return frozenset([*self.lane_roles.values(), self.supervisor_role])

    def known_roles(self) -> tuple[str, ...]:
        """Every role a user may hold: each lane's role, the supervisor's, then the application's own."""
        return (*dict.fromkeys([*self.lane_roles.values(), self.supervisor_role]), *APPLICATION_ROLES)

    def lane_of(self, role: str) -> str | None:
        """The lane whose tasks the role does (configuration); None for the application's own roles."""
        return next((lane for lane, lane_role in self.lane_roles.items() if lane_role == role), None)

    def role_label(self, role: str) -> str:
        """What a person calls the role: its lane's name, else the application role's label (an English msgid)."""
        return self.lane_of(role) or APPLICATION_ROLE_LABELS.get(role, role)

    def roles_for(self, ability: Ability) -> frozenset[str]:
        return {
            Ability.WORK: self.staff_roles,
            Ability.SUPERVISE: frozenset([self.supervisor_role]),
            Ability.AUDIT: frozenset([AUDITOR, self.supervisor_role, ADMIN]),
            Ability.MODEL: frozenset([PROCESS_OWNER, ADMIN]),
            Ability.ADMINISTER: frozenset([ADMIN]),
            Ability.READ_NOTICES: self.staff_roles | {PROCESS_OWNER, ADMIN},
        }[ability]

    def may(self, person: Person, ability: Ability) -> bool:
        return bool(person.roles & self.roles_for(ability))

    def require(self, person: Person, ability: Ability) -> None:
        if not self.may(person, ability):
            raise NotAllowed("Your role does not allow this.")

    def confines(self, role: str | None) -> bool:
        """Whether a task of this lane role is open only to holders of the role from the task's office."""
        return role in self.office_roles

    def needs_office(self, roles: Iterable[str]) -> bool:
        """Whether an account with these roles must name its office."""
        return any(role in self.office_roles for role in roles)

    # Seeing instances

    def sees_every_office(self, person: Person) -> bool:
        return any(role not in self.office_roles for role in person.roles)

    def instance_filter(self, person: Person) -> ColumnElement[bool]:
        """A WHERE clause on Instance for what `person` may see."""
        if self.sees_every_office(person):
            return true()
        return Instance.opd == person.opd if person.opd else false()

    def may_view(self, person: Person, opd: str | None) -> bool:
        return self.sees_every_office(person) or (bool(person.opd) and opd == person.opd)

    def viewable_instance(self, session: Session, person: Person, instance_id: int) -> Instance:
        """The instance, if `person` may see it; another office's item reads as NotAllowed, never as data."""
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound("Instance %(id)s does not exist.", id=instance_id)
        if not self.may_view(person, instance.opd):
            raise NotAllowed("This item belongs to another office.")
        return instance

    # Working on tasks

    def may_work(self, person: Person, role: str | None, opd: str | None) -> bool:
        """Whether `person` may claim and complete a task of lane role `role` for office `opd`."""
        if role is None or role not in person.roles:
            return False
        return role not in self.office_roles or (bool(person.opd) and opd == person.opd)

    def check_work(self, person: Person, lane: str | None, opd: str | None) -> None:
        """NotAllowed, with the reason, unless `person` may work on a task of `lane` for office `opd`."""
        role = self.lane_roles.get(lane) if lane else None
        if role is None:
            raise NotAllowed("Lane %(lane)s has no role in the configuration.", lane=lane or "-")
        if role not in person.roles:
            raise NotAllowed("Only the lane %(lane)s may do this.", lane=lane)
        if not self.may_work(person, role, opd):
            if not person.opd:
                raise NotAllowed("Your account has no office; ask the administrator to set it.")
            raise NotAllowed("This task belongs to %(opd)s; you work for %(own)s.", opd=opd or "-", own=person.opd)

    def work_filter(self, person: Person) -> ColumnElement[bool]:
        """A WHERE clause on WorkItem for the tasks `person` may work on (the inbox)."""
        open_roles = sorted(role for role in person.roles if role not in self.office_roles)
        confined = sorted(role for role in person.roles if role in self.office_roles)
        clauses: list[ColumnElement[bool]] = [WorkItem.role.in_(open_roles)] if open_roles else []
        if confined and person.opd:
            clauses.append(and_(WorkItem.role.in_(confined), WorkItem.opd == person.opd))
        return or_(*clauses) if clauses else false()

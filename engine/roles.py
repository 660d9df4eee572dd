"""Roles beyond the lanes: the lane roles come from the configuration, these three are the application's own."""

from __future__ import annotations

from engine.config import Settings

PROCESS_OWNER = "process_owner"
AUDITOR = "auditor"
ADMIN = "admin"
APPLICATION_ROLES = (PROCESS_OWNER, AUDITOR, ADMIN)


def known_roles(settings: Settings) -> tuple[str, ...]:
    """Every role a user may hold: each lane's role, the supervisor's, then the application's own."""
    lane_roles = dict.fromkeys([*settings.lane_roles.values(), settings.supervisor_role])
    return (*lane_roles, *APPLICATION_ROLES)

"""`sopflow incidents list|retry ID`: the incidents as administrators see them in the CLI."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from engine.errors import SopflowError
from engine.people.administration import SYSTEM_ACTOR

if TYPE_CHECKING:
    from engine.context import EngineContext


def cmd_incidents_list(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.runtime.incidents import list_incidents

    rows = list_incidents(ctx, status=None if args.all else "open")
    if not rows:
        print("no incidents" if args.all else "no open incidents")
    zone = ctx.settings.calendar.timezone
    for row in rows:
        incident = row.incident
        where = f"instance {incident.instance_id}" if incident.instance_id is not None else incident.process_id
        print(f"{incident.id:>5}  {incident.status:<8}  {incident.opened_at.astimezone(zone):%Y-%m-%d %H:%M}  "
              f"{where:<14}  {incident.element_name} ({incident.element_id})  attempts {incident.attempts}: "
              f"{incident.message}")


def cmd_incidents_retry(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.runtime.incidents import retry_incident

    incident = retry_incident(ctx, args.incident, args.actor)
    if incident.status != "resolved":
        raise SopflowError("Incident %(id)s failed again: %(reason)s", id=incident.id, reason=incident.message)
    print(f"incident {incident.id} resolved")


def incident_commands(sub: Any) -> None:
    incidents = sub.add_parser("incidents", help="failed steps the engine ran by itself: list and retry")
    commands = incidents.add_subparsers(dest="incidents_command", required=True)
    listing = commands.add_parser("list", help="open incidents (all with --all)")
    listing.add_argument("--all", action="store_true", help="resolved ones too")
    listing.set_defaults(handler=cmd_incidents_list)
    retry = commands.add_parser("retry", help="run the failed step again")
    retry.add_argument("incident", type=int)
    retry.add_argument("--as", dest="actor", default=SYSTEM_ACTOR, help="username acting")
    retry.set_defaults(handler=cmd_incidents_retry)

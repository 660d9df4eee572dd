"""`sopflow office list | add NAME [--short S] | deactivate NAME`: the master list of offices (OPD)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from engine.people.administration import SYSTEM_ACTOR

if TYPE_CHECKING:
    from engine.context import EngineContext


def cmd_office_list(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.people import offices

    for office in offices.list_offices(ctx):
        print(f"{office.name}\t{office.short_name}\t{'aktif' if office.active else 'nonaktif'}")


def cmd_office_add(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.people import offices

    office = offices.add_office(ctx, args.name, args.short or "", args.actor)
    print(f"office {office.name} ({office.short_name}) added")


def cmd_office_deactivate(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.people import offices

    office = offices.set_office_active(ctx, args.name, False, args.actor)
    print(f"office {office.name} deactivated")


def office_commands(sub: Any) -> None:
    office = sub.add_parser("office", help="the list of offices (OPD) users and plan rows choose from")
    commands = office.add_subparsers(dest="office_command", required=True)
    commands.add_parser("list", help="every office: name, short name, active").set_defaults(handler=cmd_office_list)
    add = commands.add_parser("add", help="add an office")
    add.add_argument("name")
    add.add_argument("--short", help="short name (default: the name)")
    add.add_argument("--as", dest="actor", default=SYSTEM_ACTOR, help="username acting")
    add.set_defaults(handler=cmd_office_add)
    deactivate = commands.add_parser("deactivate", help="remove an office from the choices (its rows keep it)")
    deactivate.add_argument("name")
    deactivate.add_argument("--as", dest="actor", default=SYSTEM_ACTOR, help="username acting")
    deactivate.set_defaults(handler=cmd_office_deactivate)

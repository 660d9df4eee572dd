"""The `sopflow` command: the engine's commands, given the service-task handlers, with the web app's
subcommands `serve` (waitress, timers in-process) and `token`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from engine import cli

if TYPE_CHECKING:
    from engine.context import EngineContext


def cmd_serve(ctx: EngineContext, args: argparse.Namespace) -> None:
    import waitress

    from engine.logs import configure_logging
    from engine.runtime.scheduler import TimerScheduler
    from webapp import create_app

    configure_logging(args.verbose)
    scheduler = None
    if not args.no_scheduler:
        scheduler = TimerScheduler(ctx)
        scheduler.start()
    print(f"sopflow on http://{args.host}:{args.port}/ (timers {'off' if scheduler is None else 'on'})", flush=True)
    app = create_app(ctx)
    if ctx.plan_worker is not None:
        ctx.plan_worker.wake()  # items a crash left queued (engine/runtime/plans.py)
    try:
        waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="sopflow")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def cmd_token_create(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.people.tokens import create_token

    token = create_token(ctx, args.username, args.label, args.expires_days)
    print(token)


def cmd_token_list(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.people.tokens import list_tokens, token_state

    now = ctx.clock.now()
    print("ID\tLABEL\tCREATED\tEXPIRES\tLAST USED\tSTATE")
    for _, token in list_tokens(ctx, args.username):
        print(f"{token.id}\t{token.label}\t{cli._local(ctx.settings, token.created_at)}\t"
              f"{cli._local(ctx.settings, token.expires_at)}\t{cli._local(ctx.settings, token.last_used_at)}\t"
              f"{token_state(token, now)}")


def cmd_token_revoke(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.people.tokens import revoke_tokens

    count = revoke_tokens(ctx, args.username, label=args.label)
    print(f"{count} token(s) of {args.username} revoked")


def add_web_commands(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the web app under waitress, with the timer scheduler")
    serve.set_defaults(handler=cmd_serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--threads", type=int, default=8)
    serve.add_argument("--no-scheduler", action="store_true", help="timers are fired by another process")
    serve.add_argument("--verbose", action="store_true", help="also the libraries' INFO lines and tracebacks")
    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create a bearer token for USER (printed once)")
    create.set_defaults(handler=cmd_token_create)
    create.add_argument("username")
    create.add_argument("--label", default="cli")
    create.add_argument("--expires-days", type=int, default=90, help="days until it stops working (default 90)")
    listing = token_sub.add_parser("list", help="USER's tokens: label, created, expires, last used, state")
    listing.set_defaults(handler=cmd_token_list)
    listing.add_argument("username")
    revoke = token_sub.add_parser("revoke", help="revoke all of USER's tokens, or those with --label")
    revoke.set_defaults(handler=cmd_token_revoke)
    revoke.add_argument("username")
    revoke.add_argument("--label")


def main(argv: Sequence[str] | None = None) -> int:
    """The composition root of the command line: the engine's commands with the service-task handlers and the
    web app's own commands."""
    from handlers import HANDLERS

    return cli.main(argv, HANDLERS, [add_web_commands])

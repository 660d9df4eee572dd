"""The `sopflow` command. Every error is one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from engine.audit.audit_cli import audit_commands
from engine.config import Settings, load_settings
from engine.errors import InvalidTaskData, SopflowError
from engine.people.administration import SYSTEM_ACTOR
from engine.people.cli_accounts import office_commands
from engine.runtime.incident_cli import incident_commands

if TYPE_CHECKING:
    from engine.context import EngineContext
    from engine.runtime.services import Handler
    from engine.store import WorkItem

DEMO_PASSWORD_ENV = "SOPFLOW_DEMO_PASSWORD"
DEMO_DATA = Path(__file__).resolve().parent.parent / "demo.yaml"


# Each command imports the engine modules it uses when it runs, so `sopflow validate` starts fast. The caller
# (the composition root, webapp/cli.py) hands in the service-task handlers and its own subcommands, so the
# engine imports neither the handlers nor Flask.


def _local(settings: Settings, moment: datetime | None) -> str:
    return moment.astimezone(settings.calendar.timezone).strftime("%Y-%m-%d %H:%M") if moment else "-"


def cmd_init(ctx: EngineContext, args: argparse.Namespace) -> None:
    import yaml

    from engine import schema
    from engine.diagrams import definitions
    from engine.people import offices, users

    schema.upgrade(ctx.settings.database_url)
    print(f"schema up to date: {ctx.settings.database_url}")
    for deployment in definitions.deploy_directory(ctx, ctx.settings.bpmn_dir):
        d = deployment.definition
        print(f"{'deployed' if deployment.created else 'unchanged'}: {d.process_id} v{d.version}")
    if args.demo:
        demo_data = yaml.safe_load(DEMO_DATA.read_text(encoding="utf-8"))
        known = {office.name for office in offices.list_offices(ctx)}
        for name in [str(name) for name in demo_data["offices"] if name not in known]:
            offices.add_office(ctx, name)
            print(f"demo office {name}")
        password = os.environ.get(DEMO_PASSWORD_ENV, "sopflow-demo")
        for demo in demo_data["users"]:
            username, role, name, opd = demo["username"], demo["role"], demo["name"], demo.get("opd")
            try:
                users.create_user(ctx, username, password, [role], name, f"{username}@ppid.example", opd)
                print(f"demo user {username} ({role}{', ' + opd if opd else ''})")
            except SopflowError as error:
                print(f"demo user {username}: {error}")
        print(f"demo password: ${DEMO_PASSWORD_ENV} or 'sopflow-demo'")


def cmd_deploy(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.diagrams import definitions

    deployment = definitions.deploy_file(ctx, Path(args.file), args.actor, args.note)
    d = deployment.definition
    state = "deployed" if deployment.created else "unchanged (identical to the newest version)"
    print(f"{d.process_id} v{d.version} {state} sha256={d.content_hash[:12]}")


def cmd_start(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.runtime import instances

    instance = instances.start_instance(ctx, args.process, args.actor)
    print(f"instance {instance.id} of {instance.process_id} started; waiting for: {instance.current_task or '-'}")


def _print_tasks(settings: Settings, items: list[WorkItem], now: datetime) -> None:
    header = ("TASK", "INST", "STEP", "LANE", "OPD", "ITEM", "STATUS", "DUE", "NAME")
    rows = [
        (
            item.id,
            str(item.instance_id),
            item.step or "-",
            item.lane or "-",
            item.opd or "-",
            item.item_label or "-",
            item.status + (f":{item.claimed_by}" if item.claimed_by else ""),
            _local(settings, item.due_at) + (" TERLAMBAT" if item.due_at and item.due_at <= now else ""),
            item.name,
        )
        for item in items
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(value).ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())


def cmd_tasks(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.runtime import task_list

    query = task_list.TaskFilter(lane=args.lane, opd=args.opd, instance_id=args.instance, overdue=args.overdue)
    _print_tasks(ctx.settings, task_list.list_tasks(ctx, query), ctx.clock.now())


def _json_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SopflowError(f"--data is not valid JSON: {error.msg} at position {error.pos}") from error
    if not isinstance(data, dict):
        raise SopflowError("--data must be a JSON object of field values")
    return data


def cmd_complete(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.runtime import instances

    item = instances.complete_task(ctx, args.task, _json_object(args.data), args.actor)
    state = instances.get_instance(ctx, item.instance_id).instance
    print(f"completed {item.name!r}; instance {state.id} is {state.status}; waiting for: {state.current_task or '-'}")


def cmd_claim(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.runtime import instances

    item = instances.claim_task(ctx, args.task, args.actor)
    print(f"{item.name!r} claimed by {item.claimed_by}")


def cmd_release(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.runtime import instances

    item = instances.release_task(ctx, args.task, args.actor)
    print(f"{item.name!r} released")


def cmd_cancel(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.runtime import instances

    instance = instances.cancel_instance(ctx, args.instance, args.actor, args.reason)
    print(f"instance {instance.id} cancelled")


def cmd_show(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.runtime import instances

    state = instances.get_instance(ctx, args.instance)
    inst = state.instance
    print(f"instance {inst.id} of {inst.process_id}: {inst.status}, started {_local(ctx.settings, inst.started_at)} "
          f"by {inst.started_by}")
    _print_tasks(ctx.settings, state.open_tasks, ctx.clock.now())
    for event in state.history:
        print(f"{event.id:>6}  {_local(ctx.settings, event.occurred_at)}  {event.actor:<16} {event.type:<22} "
              f"{json.dumps(event.payload, ensure_ascii=False)[:160]}")


def cmd_fire_due(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.runtime import outbox, timers

    print(f"{timers.fire_due_timers(ctx, 'cli')} timer(s) fired, {outbox.deliver_due(ctx)} mail(s) sent")


def cmd_scheduler(ctx: EngineContext, args: argparse.Namespace) -> None:
    import signal

    from apscheduler.schedulers.blocking import BlockingScheduler

    from engine.logs import configure_logging
    from engine.runtime import timers
    from engine.runtime.scheduler import TimerScheduler

    configure_logging(args.verbose)
    scheduler = TimerScheduler(ctx, BlockingScheduler(timezone="UTC"))
    print(f"scheduler running ({len(timers.pending_timers(ctx))} pending timers); Ctrl+C stops it", flush=True)
    # Ctrl+C and SIGTERM stop it even when it was started with SIGINT ignored (a background job of a script
    # inherits that), which would otherwise leave it deaf to Ctrl+C.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


def cmd_user_add(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.people import users

    password = os.environ.get("SOPFLOW_NEW_PASSWORD")
    if not password:
        raise SopflowError("set SOPFLOW_NEW_PASSWORD to the new user's password")
    user = users.create_user(ctx, args.username, password, args.role, args.name, args.email, args.opd)
    print(f"user {user.username} ({', '.join(sorted(user.roles))}) created")


# Modeler: `sopflow validate FILE | versions PROCESS | diff PROCESS V1 V2 | migrate INSTANCE --to-version N`.


def cmd_validate(settings: Settings, args: argparse.Namespace) -> None:
    """Needs no database: it runs on the settings alone (see `main`), so it starts fast."""
    from engine.diagrams.validation import validate_diagram

    try:
        xml = Path(args.file).read_bytes()
    except OSError as error:
        raise SopflowError(f"cannot read {args.file}: {error.strerror}") from error
    result = validate_diagram(xml, settings, set(args.handlers), Path(args.file).name)
    for problem in result.problems:
        print(f"{problem.element_id or '-'}\t{problem.rule}\t{problem.message}")
    if result.problems:
        raise SopflowError(f"{len(result.problems)} masalah; diagram tidak dapat di-deploy")
    print(f"tidak ada masalah: {result.process_id} dapat di-deploy")


def cmd_versions(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.diagrams.versions import list_versions

    for v in list_versions(ctx, args.process):
        print(f"v{v.version}\t{_local(ctx.settings, v.deployed_at)}\t{v.deployed_by}\t{v.running} berjalan\t"
              f"{v.note or '-'}")


def cmd_diff(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.diagrams.versions import diff_versions

    diff = diff_versions(ctx, args.process, args.old, args.new)
    for element in diff.added:
        print(f"+ {element.element_id} ({element.kind}) {element.name}")
    for element in diff.removed:
        print(f"- {element.element_id} ({element.kind}) {element.name}")
    for element in diff.changed:
        for key, old, new in element.changes:
            print(f"~ {element.element_id} {key}: {old or '-'} -> {new or '-'}")
    for change in diff.time_standards:
        print(f"standar waktu {change.name!r}: {change.old or '-'} -> {change.new or '-'}")
    if diff.empty:
        print(f"v{args.old} dan v{args.new} tidak berbeda")


def cmd_migrate(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.diagrams.migration import migrate_instance

    report = migrate_instance(ctx, args.instance, args.to_version, args.actor, dry_run=args.dry_run)
    what = "dry run" if args.dry_run else "migrated"
    print(f"instance {report.instance_id}: v{report.from_version} -> v{report.to_version} ({what})")
    for move in report.tasks:
        print(f"  {move.spec_id}: standar waktu {move.time_standard or '-'} -> {move.new_time_standard or '-'}, "
              f"tenggat {_local(ctx.settings, move.due_at)} -> {_local(ctx.settings, move.new_due_at)}"
              + (", klaim dilepas" if move.claim_released else ""))
    if report.reasons:
        raise SopflowError("tidak dapat dipindahkan: " + "; ".join(report.reasons))


def _modeler_commands(sub: Any) -> None:
    validate = sub.add_parser("validate", help="check a BPMN file against every rule; lists each problem")
    validate.add_argument("file")
    validate.set_defaults(handler=cmd_validate, settings_only=True)
    listing = sub.add_parser("versions", help="deployed versions of a process: who, when, note")
    listing.add_argument("process")
    listing.set_defaults(handler=cmd_versions)
    diff = sub.add_parser("diff", help="elements and time standards changed between two versions")
    diff.add_argument("process")
    diff.add_argument("old", type=int)
    diff.add_argument("new", type=int)
    diff.set_defaults(handler=cmd_diff)
    migrate = sub.add_parser("migrate", help="move a running instance to a newer version")
    migrate.add_argument("instance", type=int)
    migrate.add_argument("--to-version", type=int, required=True)
    migrate.add_argument("--dry-run", action="store_true", help="only report what would change")
    migrate.add_argument("--as", dest="actor", default=SYSTEM_ACTOR, help="username acting")
    migrate.set_defaults(handler=cmd_migrate)


def _parser(extensions: Sequence[Callable[[Any], None]]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sopflow", description="Run the PPID SOP as BPMN.")
    parser.add_argument("--config", help="configuration file (default: $SOPFLOW_CONFIG or config.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler: Callable[[EngineContext, argparse.Namespace], None], help: str,
                actor: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help)
        p.set_defaults(handler=handler)
        if actor:
            p.add_argument("--as", dest="actor", default=SYSTEM_ACTOR, help="username acting")
        return p

    command("init", cmd_init, "create or upgrade the schema and deploy bpmn/").add_argument(
        "--demo", action="store_true", help="also create one demo user per role")
    deploy = command("deploy", cmd_deploy, "deploy a BPMN file as a new version", actor=True)
    deploy.add_argument("file")
    deploy.add_argument("--note", help="what changed, shown in the version list")
    command("start", cmd_start, "start an instance of a process", actor=True).add_argument("process")
    tasks = command("tasks", cmd_tasks, "list open tasks")
    tasks.add_argument("--lane")
    tasks.add_argument("--opd")
    tasks.add_argument("--instance", type=int)
    tasks.add_argument("--overdue", action="store_true")
    complete = command("complete", cmd_complete, "complete a task with data")
    complete.add_argument("task")
    complete.add_argument("--data", required=True, help="JSON object of field values")
    complete.add_argument("--as", dest="actor", required=True, help="username completing the task")
    for name, handler in (("claim", cmd_claim), ("release", cmd_release)):
        p = command(name, handler, f"{name} a task")
        p.add_argument("task")
        p.add_argument("--as", dest="actor", required=True)
    cancel = command("cancel", cmd_cancel, "cancel an instance", actor=True)
    cancel.add_argument("instance", type=int)
    cancel.add_argument("--reason", required=True)
    command("show", cmd_show, "an instance's state and history").add_argument("instance", type=int)
    command("fire-due", cmd_fire_due, "fire due timers and send due mail (the scheduler does this by itself)")
    command("scheduler", cmd_scheduler, "run the timer scheduler in the foreground").add_argument(
        "--verbose", action="store_true", help="also the libraries' INFO lines and tracebacks")
    user = command("user-add", cmd_user_add, "add a user (password from $SOPFLOW_NEW_PASSWORD)")
    user.add_argument("username")
    user.add_argument("--role", required=True, action="append", help="a role; repeat for several")
    user.add_argument("--name", required=True)
    user.add_argument("--email", required=True)
    user.add_argument("--opd")
    audit_commands(sub)
    _modeler_commands(sub)
    office_commands(sub)
    incident_commands(sub)
    for extend in extensions:
        extend(sub)
    return parser


def main(argv: Sequence[str] | None, handlers: Mapping[str, Handler],
         extensions: Sequence[Callable[[Any], None]] = ()) -> int:
    """Run one command; `handlers` are the service-task handlers by operation name, `extensions` add
    subcommands to the parser."""
    args = _parser(extensions).parse_args(argv)
    args.handlers = handlers
    try:
        settings = load_settings(args.config)
        if getattr(args, "settings_only", False):
            args.handler(settings, args)
        else:
            from engine.context import EngineContext

            args.handler(EngineContext.create(settings, handlers=dict(handlers)), args)
    except InvalidTaskData as error:
        details = "; ".join(f"{k}: {v}" for k, v in error.field_errors.items())
        print(f"sopflow: error: {details or error}", file=sys.stderr)
        return 2
    except SopflowError as error:
        print(f"sopflow: error: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        print(f"sopflow: error: database: {reason} (has `sopflow init` been run?)", file=sys.stderr)
        return 2
    except Exception as error:  # the promise is one line, never a traceback; SOPFLOW_DEBUG=1 shows it
        if os.environ.get("SOPFLOW_DEBUG"):
            raise
        first_line = (str(error).splitlines() or [""])[0]
        print(f"sopflow: error: unexpected {type(error).__name__}: {first_line}", file=sys.stderr)
        return 2
    return 0


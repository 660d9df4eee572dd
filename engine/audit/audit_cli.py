"""`sopflow audit verify | anchor | replay INSTANCE | export | evaluation MONTH`: what an auditor runs from a
shell. A broken chain, a moved anchor or a divergent replay exits 1."""

from __future__ import annotations

import argparse
import smtplib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import SopflowError

if TYPE_CHECKING:
    from engine.context import EngineContext


def cmd_audit_verify(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.audit import audit_anchor
    from engine.audit.audit_chain import verify_all

    report = verify_all(ctx)
    print(f"{report.events} events, {report.instances} instances, {report.deployment_chains} deployment chains; "
          f"global head {report.head_hash}")
    mismatches = audit_anchor.check(ctx, audit_anchor.read_anchors(args.anchors)) if args.anchors else []
    if args.anchors:
        print(f"{len(mismatches)} of the anchors in {args.anchors} no longer match")
    if report.intact and not mismatches:
        print("every chain is intact")
        return
    first = report.first_break
    if first is not None:
        print(f"BROKEN: first broken link: {first}")
    for found in report.breaks:
        if found is not first:
            print(f"also: {found}")
    for mismatch in mismatches:
        print(f"BROKEN: anchor: {mismatch}")
    raise SystemExit(1)


def cmd_audit_anchor(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.audit import audit_anchor
    from engine.runtime import outbox

    if not args.file and not args.mail:
        raise SopflowError("say where the anchor goes: --file PATH and/or --mail ADDRESS")
    anchor = audit_anchor.take(ctx)
    if args.file:
        audit_anchor.append_to(args.file, anchor)
    if args.mail:
        try:
            outbox.send(ctx.settings.smtp, args.mail, f"sopflow anchor: event {anchor.event_id}", anchor.line() + "\n")
        except (OSError, smtplib.SMTPException) as error:
            raise SopflowError("the anchor could not be mailed: %(reason)s", reason=str(error)) from error
    print(anchor.line())


def cmd_audit_replay(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.audit.audit_replay import replay_instance

    result = replay_instance(ctx, args.instance)
    if result.equal:
        print(f"instance {result.instance_id}: replay of {result.events} events ({result.inputs} inputs) equals "
              f"the stored state ({', '.join(result.checked)})")
        return
    print(f"instance {result.instance_id}: DIVERGES: {result.divergence}")
    raise SystemExit(1)


def cmd_audit_export(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.audit.audit_export import EventQuery, export_events, parse_date

    query = EventQuery(
        instance_id=args.instance,
        start=parse_date(args.start, "--from") if args.start else None,
        end=parse_date(args.end, "--to") if args.end else None,
    )
    sys.stdout.write(export_events(ctx, query, args.format))


def cmd_audit_evaluation(ctx: EngineContext, args: argparse.Namespace) -> None:
    from engine.audit.audit_evaluation import evaluation_csv, monthly_evaluation, parse_month

    year, month = parse_month(args.month)
    sys.stdout.write(evaluation_csv(monthly_evaluation(ctx, year, month), ctx.settings.calendar.timezone))


def audit_commands(sub: Any) -> None:
    audit = sub.add_parser("audit", help="check and export the history (auditors)")
    commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = commands.add_parser("verify", help="check every hash chain; names the first broken link")
    verify.add_argument("--anchors", type=Path, help="also check the anchors written by `audit anchor` to this file")
    verify.set_defaults(handler=cmd_audit_verify)
    anchor = commands.add_parser("anchor", help="write the global head hash with the time to a file or mail it")
    anchor.add_argument("--file", type=Path, help="append the anchor to this file (keep it outside the database)")
    anchor.add_argument("--mail", action="append", help="mail the anchor to this address (repeatable)")
    anchor.set_defaults(handler=cmd_audit_anchor)
    replay = commands.add_parser("replay", help="re-execute an instance from its log and compare")
    replay.add_argument("instance", type=int)
    replay.set_defaults(handler=cmd_audit_replay)
    export = commands.add_parser("export", help="events of an instance or a date range as CSV or JSON")
    export.add_argument("--instance", type=int)
    export.add_argument("--from", dest="start", help="first local date, YYYY-MM-DD")
    export.add_argument("--to", dest="end", help="last local date, YYYY-MM-DD")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.set_defaults(handler=cmd_audit_export)
    evaluation = commands.add_parser("evaluation", help="the monthly evaluation report (Laporan evaluasi) as CSV")
    evaluation.add_argument("month", help="YYYY-MM")
    evaluation.set_defaults(handler=cmd_audit_evaluation)

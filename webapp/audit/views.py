"""Auditors' pages: chain verification, visual and deterministic replay, the time-standard report, the monthly
evaluation, printable records and event exports. Every route is GET: auditors read, they never change."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from engine.audit.audit_chain import verify_all
from engine.audit.audit_evaluation import monthly_evaluation, parse_month
from engine.audit.audit_export import EventQuery, export_events, parse_date
from engine.audit.audit_frames import replay_frames
from engine.audit.audit_records import instance_record
from engine.audit.audit_replay import replay_instance
from engine.audit.audit_reports import breach_heat, time_standard_report
from engine.errors import SopflowError
from engine.people.policy import Ability
from engine.runtime.inbox import InstanceQuery, list_instances, page_cursor
from webapp.audit import bp
from webapp.audit.charts import duration_chart
from webapp.audit.divergence import divergence_text
from webapp.audit.exports import XLSX_MIMETYPE, Table, as_csv, as_xlsx, evaluation_table, report_table
from webapp.audit.letterhead import letterhead
from webapp.auth import requires
from webapp.context import engine
from webapp.formatting import event_labels
from webapp.pdf import pdf_response


def _today() -> date:
    return engine().clock.now().astimezone(engine().settings.calendar.timezone).date()


def _period() -> tuple[date, date]:
    """?from=&to= as local dates; the last 30 days by default."""
    end = parse_date(request.args["to"], _("The last date")) if request.args.get("to") else _today()
    start = (parse_date(request.args["from"], _("The first date")) if request.args.get("from")
             else end - timedelta(days=29))
    return start, end


def _month() -> tuple[int, int]:
    text = request.args.get("month")
    if text:
        return parse_month(text)
    first = _today().replace(day=1) - timedelta(days=1)
    return first.year, first.month


@bp.get("/")
@requires(Ability.AUDIT)
def index() -> str:
    status = request.args.get("status") or None
    page = list_instances(engine(), InstanceQuery(current_user.username, status=status,
                                                  after=page_cursor(request.args.get("after")),
                                                  before=page_cursor(request.args.get("before")), per_page=100))
    return render_template("audit/index.html", page=page, status=status)


@bp.get("/verify")
@requires(Ability.AUDIT)
def verify() -> str:
    return render_template("audit/verify.html", report=verify_all(engine()))


@bp.get("/instances/<int:instance_id>/replay")
@requires(Ability.AUDIT)
def replay(instance_id: int) -> str:
    view = replay_frames(engine(), instance_id)
    return render_template("audit/replay.html", view=view, labels=event_labels())


@bp.get("/instances/<int:instance_id>/replay/check")
@requires(Ability.AUDIT)
def replay_check(instance_id: int) -> str:
    result = replay_instance(engine(), instance_id)
    return render_template("audit/replay_check.html", result=result,
                           divergence=divergence_text(result.divergence) if result.divergence else None)


@bp.get("/instances/<int:instance_id>/record")
@requires(Ability.AUDIT)
def record(instance_id: int) -> str:
    return render_template("audit/record.html", record=instance_record(engine(), instance_id), printable=False)


@bp.get("/instances/<int:instance_id>/record.pdf")
@requires(Ability.AUDIT)
def record_pdf(instance_id: int) -> Response:
    today = _today()
    html = render_template("audit/record.html", record=instance_record(engine(), instance_id), printable=True,
                           letterhead=letterhead(f"REK-{instance_id}", today, today))
    return pdf_response(html, f"rekaman-{instance_id}.pdf")


def _export(query: EventQuery, name: str) -> Response:
    fmt = request.args.get("format", "csv")
    body = export_events(engine(), query, fmt)
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    return Response(body, mimetype=f"{mimetype}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@bp.get("/instances/<int:instance_id>/events")
@requires(Ability.AUDIT)
def instance_events(instance_id: int) -> Response:
    return _export(EventQuery(instance_id=instance_id), f"events-{instance_id}")


@bp.get("/events")
@requires(Ability.AUDIT)
def events() -> Response:
    if not request.args.get("from") or not request.args.get("to"):
        raise SopflowError(_("Give the first and the last date."))
    start, end = _period()
    return _export(EventQuery(start=start, end=end), f"events-{start}-{end}")


@bp.get("/report")
@requires(Ability.AUDIT)
def report() -> str:
    start, end = _period()
    by = request.args.get("by", "step")
    result = time_standard_report(engine(), start, end, by)
    diagrams = [asdict(d) for d in breach_heat(engine(), start, end)]
    return render_template("audit/report.html", report=result, chart=duration_chart(result), diagrams=diagrams)


@bp.get("/evaluation")
@requires(Ability.AUDIT)
def evaluation() -> str:
    year, month = _month()
    return render_template("audit/evaluation.html", evaluation=monthly_evaluation(engine(), year, month),
                           printable=False)


@bp.get("/evaluation.pdf")
@requires(Ability.AUDIT)
def evaluation_pdf() -> Response:
    year, month = _month()
    html = render_template("audit/evaluation.html", evaluation=monthly_evaluation(engine(), year, month),
                           printable=True, letterhead=letterhead("EVAL", date(year, month, 1), _today()))
    return pdf_response(html, f"laporan-evaluasi-{year:04d}-{month:02d}.pdf")


@bp.get("/evaluation.<any(csv, xlsx):kind>")
@requires(Ability.AUDIT)
def evaluation_export(kind: str) -> Response:
    year, month = _month()
    table = evaluation_table(monthly_evaluation(engine(), year, month))
    return _download(table, f"laporan-evaluasi-{year:04d}-{month:02d}", kind)


@bp.get("/report.pdf")
@requires(Ability.AUDIT)
def report_pdf() -> Response:
    start, end = _period()
    result = time_standard_report(engine(), start, end, request.args.get("by", "step"))
    html = render_template("audit/report.html", report=result, chart=duration_chart(result), diagrams=[],
                           printable=True, letterhead=letterhead("LSW", start, _today()))
    return pdf_response(html, f"laporan-standar-waktu-{start}-{end}.pdf")


@bp.get("/report.<any(csv, xlsx):kind>")
@requires(Ability.AUDIT)
def report_export(kind: str) -> Response:
    start, end = _period()
    table = report_table(time_standard_report(engine(), start, end, request.args.get("by", "step")))
    return _download(table, f"laporan-standar-waktu-{start}-{end}", kind)


def _download(table: Table, name: str, kind: str) -> Response:
    body, mimetype = (as_csv(table), "text/csv; charset=utf-8") if kind == "csv" else (as_xlsx(table), XLSX_MIMETYPE)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'})

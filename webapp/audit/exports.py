"""The monthly evaluation and the time-standard report as the office files them: CSV for Excel in an Indonesian
locale (`;` between cells, a UTF-8 BOM so Excel reads the encoding, Indonesian headers and labels, never codes)
and .xlsx (bold header, column widths, dates as real dates)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from engine.audit.audit_evaluation import Evaluation
from engine.audit.audit_reports import Report
from engine.audit.csv_safe import neutralise
from engine.diagrams.forms import humanise
from webapp.context import engine
from webapp.formatting import duration, localtime

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]  # text, numbers and datetimes (aware); datetimes become local text in CSV


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(engine().settings.calendar.timezone).replace(tzinfo=None) if moment else None


def evaluation_table(evaluation: Evaluation) -> Table:
    rows: list[list[Any]] = []
    for section, items in ((_("Published"), evaluation.published), (_("Periodic, due for an update"),
                                                                     evaluation.berkala_due)):
        rows += [[section, p.instance_id, p.title, p.opd, humanise(p.dip_class or ""), p.published_at, p.link or "",
                  ""] for p in items]
    rows += [[_("Immediate (serta-merta)"), p.instance_id, p.title, p.opd, humanise(p.dip_class or ""),
              p.published_at, duration(p.lead_seconds), _("from the start of the item to its publication")]
             for p in evaluation.serta_merta]
    rows += [[_("Time standard breached"), b.instance_id, b.item, b.opd, "", b.breached_at, b.step or "", b.name]
             for b in evaluation.breaches]
    rows += [[_("Sent back to an earlier step"), "", "", opd, "", None, count, ""]
             for opd, count in evaluation.loops_by_opd.items()]
    rows += [[_("Monitoring answer"), answer.instance_id, "", "", "", answer.completed_at,
              (_("yes") if value else _("no")) if isinstance(value, bool) else value, humanise(key)]
             for answer in evaluation.monitoring for key, value in answer.answers.items()]
    headers = [_("Section"), _("Item"), _("Title"), _("OPD"), _("DIP class"), _("Time"), _("Value"), _("Remark")]
    return Table(_("Monthly evaluation"), headers, rows)


def report_table(report: Report) -> Table:
    headers = [_("Group"), _("Tasks"), _("Completed"), _("On time"), _("Breaches"), _("Sent back"),
               _("Median time"), _("90th percentile"), _("Time standard")]
    rows: list[list[Any]] = [
        [row.label, row.tasks, row.completed, row.on_time, row.breaches, row.loops, duration(row.median_seconds),
         duration(row.p90_seconds), duration(row.standard_seconds)]
        for row in report.rows
    ]
    return Table(_("Time-standard report"), headers, rows)


def as_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([neutralise(localtime(cell) if isinstance(cell, datetime) else
                                    "" if cell is None else cell) for cell in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def as_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.title[:31]
    sheet.append(table.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_local(cell) if isinstance(cell, datetime) else neutralise(cell) for cell in row])
    for column in sheet.columns:
        cells = list(column)
        for cell in cells:
            if isinstance(cell.value, datetime):
                cell.number_format = "d mmmm yyyy hh:mm"
        width = max(len(str(cell.value)) if cell.value is not None else 0 for cell in cells)
        sheet.column_dimensions[cells[0].column_letter].width = min(max(width + 2, 10), 60)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

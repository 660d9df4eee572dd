"""Server-side SVG charts: no script, printable, and readable without the network."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup, escape

from engine.audit.audit_reports import Report
from webapp.formatting import duration, month_label

ROW_HEIGHT = 34
LABEL_WIDTH = 260
PLOT_WIDTH = 420


def duration_chart(report: Report) -> Markup:
    """Per row: median (solid bar) and 90th percentile (light bar) in minutes, the standard as a red tick."""
    rows = [r for r in report.rows if r.median_seconds is not None or r.standard_seconds is not None]
    if not rows:
        return Markup("")
    largest = max(max(r.p90_seconds or 0, r.standard_seconds or 0, r.median_seconds or 0) for r in rows) or 1.0
    scale = PLOT_WIDTH / largest
    height = ROW_HEIGHT * len(rows) + 30
    parts = [
        f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" width="{LABEL_WIDTH + PLOT_WIDTH + 90}" '
        f'height="{height}" aria-label="{escape(_("Duration against the time standard"))}">'
    ]
    for index, row in enumerate(rows):
        y = 10 + index * ROW_HEIGHT
        label = month_label(row.label) if report.by == "month" else row.label
        parts.append(f'<text x="0" y="{y + 15}" font-size="12">{escape(label[:40])}</text>')
        if row.p90_seconds is not None:
            parts.append(f'<rect class="p90" x="{LABEL_WIDTH}" y="{y + 2}" width="{row.p90_seconds * scale:.1f}" '
                         f'height="18" fill="#bfdbfe"><title>{_("90th percentile")} {duration(row.p90_seconds)}'
                         '</title></rect>')
        if row.median_seconds is not None:
            parts.append(f'<rect class="median" x="{LABEL_WIDTH}" y="{y + 6}" width="{row.median_seconds * scale:.1f}" '
                         f'height="10" fill="#1d4ed8"><title>{_("Median")} {duration(row.median_seconds)}'
                         '</title></rect>')
        if row.standard_seconds is not None:
            x = LABEL_WIDTH + row.standard_seconds * scale
            parts.append(f'<line class="standard" x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + 24}" stroke="#b42318" '
                         f'stroke-width="3"><title>{duration(row.standard_seconds)}</title></line>')
        value = f"{duration(row.median_seconds or 0)} / {duration(row.p90_seconds or 0)}"
        parts.append(f'<text x="{LABEL_WIDTH + PLOT_WIDTH + 8}" y="{y + 15}" font-size="11">{value}</text>')
    legend_y = height - 6
    parts.append(
        f'<text x="{LABEL_WIDTH}" y="{legend_y}" font-size="11">'
        f'{escape(_("Dark bar: median; light bar: 90th percentile; red line: time standard"))}</text></svg>'
    )
    return Markup("".join(parts))

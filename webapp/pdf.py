"""Printable documents: HTML rendered to PDF with WeasyPrint."""

from __future__ import annotations

from flask import Response
from weasyprint import HTML  # type: ignore[import-untyped]


def render_pdf(html: str) -> bytes:
    document: bytes = HTML(string=html).write_pdf()
    return document


def pdf_response(html: str, filename: str) -> Response:
    return Response(
        render_pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )

"""Printable documents: HTML rendered to PDF with WeasyPrint, which fetches nothing from outside."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Response
from weasyprint import HTML, URLFetcher  # type: ignore[import-untyped]

STATIC_DIR = (Path(__file__).resolve().parent / "static").resolve()


class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """Embedded data: URIs and the app's own static files read from disk; every other URL is refused, so a
    name or text with `<img src="http://...">` in a document cannot make the server send a request."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(unquote(parts.path)).resolve()
            if path.is_relative_to(STATIC_DIR) and path.is_file():
                return super().fetch(path.as_uri(), headers)
        raise ValueError(f"documents fetch nothing from outside: {url[:200]}")


def render_pdf(html: str) -> bytes:
    document: bytes = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=LocalOnlyFetcher()).write_pdf()
    return document


def pdf_response(html: str, filename: str) -> Response:
    return Response(
        render_pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )

"""The language switch in the header: it stays on the page the person was reading. A page answered to a form
post has no GET address of its own, so the switch goes back to the nearest page above it that has one."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, redirect, request, session
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response

from webapp.i18n import LANGUAGES

HOME = "/"


def current_page() -> str:
    """The address to come back to after switching: this page's own on GET, else the page the form was on."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return request.referrer or ""


def _same_site_path(address: str) -> str | None:
    """`address` as a path on this site (with its query), or None when it points elsewhere."""
    parts = urlsplit(address.replace("\\", "/"))
    if parts.netloc not in ("", request.host) or parts.scheme not in ("", "http", "https"):
        return None
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))


def readable_page(address: str) -> str:
    """The nearest same-site page at or above `address` that answers GET; the home page otherwise."""
    path = _same_site_path(address)
    if path is None:
        return HOME
    adapter = current_app.url_map.bind(request.host)
    candidate, query = urlsplit(path).path, urlsplit(path).query
    while candidate not in ("", "/"):
        try:
            adapter.match(candidate, method="GET")
        except RequestRedirect:
            pass
        except MethodNotAllowed:
            candidate, query = candidate.rstrip("/").rsplit("/", 1)[0], ""
            continue
        except NotFound:
            return HOME
        return f"{candidate}?{query}" if query else candidate
    return HOME


def init_language_switch(app: Flask) -> None:
    @app.post("/language/<code>")
    def set_language(code: str) -> Response:
        if code in LANGUAGES:
            session["lang"] = code
        return redirect(readable_page(request.form.get("next") or request.referrer or HOME))

    @app.context_processor
    def page_address() -> dict[str, object]:
        return {"current_page": current_page}

"""Engine errors become HTTP answers here, once: pages get an error page, /api/ gets JSON."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from engine.diagrams.validation import DiagramProblems
from engine.errors import Busy, Bytes, InvalidDiagram, InvalidTaskData, NotAllowed, NotFound, SopflowError, TaskConflict
from webapp.formatting import file_size

STATUS_OF: tuple[tuple[type[SopflowError], int], ...] = (
    (Busy, 503),
    (NotFound, 404),
    (NotAllowed, 403),
    (TaskConflict, 409),
    (InvalidTaskData, 422),
    (InvalidDiagram, 422),
    (SopflowError, 400),
)


RETRY_AFTER_SECONDS = 5
_BUSY = ("database is locked", "database is busy", "database table is locked")


def is_busy(error: OperationalError) -> bool:
    return any(text in str(error.orig) for text in _BUSY)


def status_of(error: SopflowError) -> int:
    return next(status for kind, status in STATUS_OF if isinstance(error, kind))


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _headline(status: int) -> str:
    """What happened, in the user's language; the engine's own detail follows it on the page."""
    return {
        400: _("The request cannot be carried out."),
        403: _("Not allowed."),
        404: _("Not found."),
        409: _("Someone else changed this first, or it was already done."),
        413: _("The upload is too large."),
        422: _("The data is not valid."),
        429: _("Too many attempts."),
        503: _("Busy right now."),
    }.get(status, _("Cannot continue"))


def error_response(status: int, message: str, **extra: object) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify({"error": message, **extra}), status
    return render_template("error.html", status=status, headline=_headline(status), message=message), status


def translated(error: SopflowError) -> str:
    """The error's message in the user's language: its template through the catalog, then its parameters."""
    params = {name: file_size(value) if isinstance(value, Bytes) else value for name, value in error.params.items()}
    return _(error.template, **params) if error.template else str(error)


def init_errors(app: Flask) -> None:
    @app.errorhandler(SopflowError)
    def domain_error(error: SopflowError) -> tuple[Response | str, int]:
        extra: dict[str, object] = {}
        if isinstance(error, InvalidTaskData):
            extra["fields"] = {name: str(problem) for name, problem in error.field_errors.items()}
        if isinstance(error, DiagramProblems):
            extra["problems"] = [problem.as_dict() for problem in error.problems]
        return error_response(status_of(error), translated(error), **extra)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[Response | str, int]:
        return error_response(400, _("The form has expired or did not come from this site (CSRF). "
                                     "Reload the page and try again."))

    @app.errorhandler(OperationalError)
    def database_busy(error: OperationalError) -> tuple[Response | str, int, dict[str, str]]:
        """SQLite let no writer in within its busy timeout: nothing was saved, and trying again works."""
        if not is_busy(error):
            raise error
        body, status = error_response(503, _("Busy, try again in a moment. Nothing was saved."))
        return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response | str, int]:
        messages = {
            401: _("Log in first."),
            403: _("Your role does not allow this."),
            404: _("Not found."),
            405: _("This method is not allowed here."),
            413: _("The upload is too large."),
        }
        status = error.code or 500
        return error_response(status, messages.get(status, error.description or error.name))

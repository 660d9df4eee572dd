"""One log line per request that ends in an error (4xx, 5xx): method, path, status and, for a failure, what
was raised. Flask's own traceback of a failure appears only with `--verbose` (see engine.logs)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, got_request_exception, request
from werkzeug.wrappers import Response

log = logging.getLogger(__name__)


def _remember(sender: Flask, exception: BaseException, **extra: Any) -> None:
    g.request_exception = exception


def init_request_log(app: Flask) -> None:
    got_request_exception.connect(_remember, app)

    @app.after_request
    def log_error(response: Response) -> Response:
        if response.status_code >= 400:
            error = g.pop("request_exception", None)
            cause = f" ({type(error).__name__}: {(str(error).splitlines() or [''])[0]})" if error else ""
            path = request.path  # without the query; a reset link's token is not written down
            if "token" in (request.view_args or {}):
                path = path.replace(str((request.view_args or {})["token"]), "(token)")
            log.log(logging.ERROR if response.status_code >= 500 else logging.INFO, "%s %s -> %s%s",
                    request.method, path, response.status_code, cause)
        return response

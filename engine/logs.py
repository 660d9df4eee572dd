"""The server log: quiet by default, one line per event an operator acts on (a request error, a timer firing,
a mail not delivered), from sopflow's own loggers; the libraries' INFO chatter (SpiffWorkflow state changes,
APScheduler job adds, waitress) and full tracebacks only with `--verbose`."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

OWN_LOGGERS = ("engine", "handlers", "webapp")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
BUSY_NOTES = "waitress.queue"  # "Task queue depth is 1" whenever all threads are busy for a moment
PDF_PROGRESS = ("weasyprint", "fontTools")  # lines for every PDF made, even with --verbose
FLASK_EXCEPTION = "Exception on "  # Flask's own traceback of a failed request; the request's line says it


class OneLine(logging.Formatter):
    """Every record on one line: an exception is summed up as (Type: first line), never a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.formatTime(record)} {record.levelname} {record.name}: {record.getMessage()}"
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            line += f" ({type(error).__name__}: {(str(error).splitlines() or [''])[0]})"
        return " ".join(line.splitlines())


def _not_flask_traceback(record: logging.LogRecord) -> bool:
    return not (record.exc_info and record.getMessage().startswith(FLASK_EXCEPTION))


def configure_logging(verbose: bool = False, stream: TextIO | None = None) -> None:
    """Log to `stream` (stderr): sopflow's own INFO and everyone's warnings, one line each; with `verbose`,
    every library's INFO too, with tracebacks."""
    handler = logging.StreamHandler(stream or sys.stderr)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    if verbose:
        handler.setFormatter(logging.Formatter(FORMAT))
        root.setLevel(logging.INFO)
        for name in OWN_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
        for name in PDF_PROGRESS:
            logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger(BUSY_NOTES).setLevel(logging.NOTSET)
        return
    handler.setFormatter(OneLine())
    handler.addFilter(_not_flask_traceback)
    root.setLevel(logging.WARNING)
    logging.getLogger(BUSY_NOTES).setLevel(logging.ERROR)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)

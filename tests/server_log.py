"""The logging set-up of `sopflow serve` and `sopflow scheduler`, writing into a string for a test, undone after."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from engine.logs import BUSY_NOTES, OWN_LOGGERS, PDF_PROGRESS, configure_logging


@contextmanager
def server_log(verbose: bool) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    names = [*OWN_LOGGERS, *PDF_PROGRESS, BUSY_NOTES]
    handlers, level, levels = list(root.handlers), root.level, {name: logging.getLogger(name).level for name in names}
    stream = io.StringIO()
    configure_logging(verbose, stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)

"""The engine context of the running app, for views."""

from __future__ import annotations

from flask import current_app

from engine.context import EngineContext

EXTENSION_KEY = "sopflow"


def engine() -> EngineContext:
    ctx: EngineContext = current_app.extensions[EXTENSION_KEY]
    return ctx

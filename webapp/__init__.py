"""The web app: an application factory (webapp.app) and one blueprint per audience (tasks, admin, api, modeler,
audit). The package itself imports no Flask, so the `sopflow` command (webapp.cli) starts without the web stack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from engine.context import EngineContext


def create_app(ctx: EngineContext, overrides: dict[str, Any] | None = None) -> Flask:
    from webapp.app import create_app as build

    return build(ctx, overrides)

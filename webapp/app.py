"""The Flask application factory: configuration, security headers, the blueprints."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response

from engine.context import EngineContext
from engine.runtime.plans import PlanWorker
from webapp.auth import init_auth
from webapp.context import EXTENSION_KEY
from webapp.errors import init_errors
from webapp.formatting import init_formatting
from webapp.i18n import init_i18n
from webapp.language import init_language_switch
from webapp.request_log import init_request_log

SECRET_ENV = "SOPFLOW_SECRET_KEY"
SECURE_COOKIES_ENV = "SOPFLOW_SECURE_COOKIES"  # "1" behind HTTPS: the session cookie is sent over TLS only
# No inline script, no on* attributes, no javascript: URLs anywhere: page data travels as JSON blocks read by
# /static scripts. Inline styles stay allowed because bpmn-js positions its shapes with style attributes.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
    "form-action 'self'", "img-src 'self' data:", "font-src 'self' data:", "style-src 'self' 'unsafe-inline'",
))


class DatabaseInteger(IntegerConverter):
    """`<int:...>` in every route stops at the database's integer range: a larger id is a 404, not a crash."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)
csrf = CSRFProtect()


def _secret_key(instance_path: Path) -> str:
    """From the environment; else one generated once and kept in the instance folder (not in the repo)."""
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        return from_env
    path = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True)
    try:
        # Created owner-only from its first byte: never world-readable, not even between create and chmod.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_hex(32)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def create_app(ctx: EngineContext, overrides: dict[str, Any] | None = None) -> Flask:
    instance_path = Path(os.environ.get("SOPFLOW_INSTANCE_PATH", Path(__file__).resolve().parent.parent / "instance"))
    app = Flask(__name__, instance_path=str(instance_path.resolve()))
    app.config.update(
        SECRET_KEY=_secret_key(instance_path),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get(SECURE_COOKIES_ENV) == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=ctx.settings.upload_max_bytes + 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        UPLOAD_DIR=str(instance_path / "uploads"),
    )
    app.config.update(overrides or {})
    app.url_map.converters["int"] = DatabaseInteger
    app.extensions[EXTENSION_KEY] = ctx
    ctx.plan_worker = ctx.plan_worker or PlanWorker(ctx)
    csrf.init_app(app)
    init_i18n(app, ctx.settings.timezone)
    init_formatting(app)
    init_errors(app)
    init_auth(app)
    init_request_log(app)

    from webapp import admin, api, audit, guide, incidents, modeler, passwords, tasks

    csrf.exempt(api.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(admin.bp, url_prefix="/admin")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(modeler.bp, url_prefix="/modeler")
    app.register_blueprint(audit.bp, url_prefix="/audit")
    app.register_blueprint(incidents.bp, url_prefix="/incidents")
    app.register_blueprint(passwords.bp)
    app.register_blueprint(guide.bp)

    init_language_switch(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app

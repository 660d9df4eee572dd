"""Logins: Flask-Login sessions for pages, rate-limited password checks, role checks on every route."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from engine import users
from engine.errors import NotAllowed, NotFound
from engine.policy import Ability
from engine.store import User
from webapp.context import engine

F = TypeVar("F", bound=Callable[..., Any])
bp = Blueprint("auth", __name__)


class WebUser(UserMixin):  # type: ignore[misc]
    """What a request knows of the person logged in: a snapshot, never a live ORM object."""

    def __init__(self, user: User) -> None:
        self.username = user.username
        self.display_name = user.display_name
        self.email = user.email
        self.roles = user.roles
        self.opd = user.opd

    def get_id(self) -> str:
        return self.username

    def can(self, ability: str) -> bool:
        """What the policy lets this person do (templates ask `current_user.can('audit')`)."""
        return engine().policy.may(self, Ability(ability))

    def may_work(self, role: str | None, opd: str | None) -> bool:
        return engine().policy.may_work(self, role, opd)


class LoginThrottle:
    """At most `limit` failed attempts per username and per address within `window` seconds."""

    def __init__(self, limit: int = 5, window: float = 300.0, now: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._now = now
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= self._now() - self.window:
            failures.popleft()
        return failures

    def blocked(self, *keys: str) -> bool:
        with self._lock:
            return any(len(self._recent(key)) >= self.limit for key in keys)

    def failed(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._recent(key).append(self._now())

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None


@login_manager.user_loader
def _load_user(username: str) -> WebUser | None:
    with engine().db.session() as session:
        try:
            return WebUser(users.get_user(session, username))
        except NotFound:
            return None


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    app.extensions["login_throttle"] = LoginThrottle()
    app.register_blueprint(bp)


def requires(ability: Ability) -> Callable[[F], F]:
    """Login required, and the policy's leave for `ability`; otherwise 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required  # type: ignore[misc]
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.can(ability):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def _throttle() -> LoginThrottle:
    from flask import current_app

    throttle: LoginThrottle = current_app.extensions["login_throttle"]
    return throttle


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return render_template("login.html")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    keys = (f"user:{username.lower()}", f"addr:{request.remote_addr}")
    throttle = _throttle()
    if throttle.blocked(*keys):
        flash(_("Too many failed attempts. Wait a few minutes and try again."), "error")
        return render_template("login.html", username=username), 429
    try:
        user = users.authenticate(engine(), username, password)
    except NotAllowed:
        throttle.failed(*keys)
        flash(_("Wrong username or password."), "error")
        return render_template("login.html", username=username), 401
    throttle.succeeded(*keys)
    login_user(WebUser(user))
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("tasks.home")
    return redirect(target)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    logout_user()
    return redirect(url_for("auth.login"))

"""Logins: Flask-Login sessions that end everywhere on logout, throttled password checks, role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from engine.errors import NotAllowed, NotFound
from engine.people import users
from engine.people.login_throttle import ThrottleLimits, attempt_succeeded, begin_attempt
from engine.people.policy import Ability
from engine.people.records import User
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
        self.session_epoch = user.session_epoch

    def get_id(self) -> str:
        """The session keeps the user's epoch too: once it is raised, every older session is refused."""
        return f"{self.username}:{self.session_epoch}"

    def can(self, ability: str) -> bool:
        """What the policy lets this person do (templates ask `current_user.can('audit')`)."""
        return engine().policy.may(self, Ability(ability))

    def may_work(self, role: str | None, opd: str | None) -> bool:
        return engine().policy.may_work(self, role, opd)


login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None


@login_manager.user_loader
def _load_user(session_id: str) -> WebUser | None:
    username, _, epoch = session_id.partition(":")
    with engine().db.session() as session:
        try:
            user = users.get_user(session, username)
        except NotFound:
            return None
        return WebUser(user) if epoch == str(user.session_epoch) else None


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    app.extensions["login_throttle"] = ThrottleLimits()
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


def throttle_limits() -> ThrottleLimits:
    from flask import current_app

    limits: ThrottleLimits = current_app.extensions["login_throttle"]
    return limits


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method != "POST":  # GET, and the HEAD Flask answers for it: never a login attempt
        return render_template("login.html")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    address = request.remote_addr or "-"
    if not begin_attempt(engine(), username, address, throttle_limits()):
        flash(_("Too many failed attempts. Wait a few minutes and try again."), "error")
        return render_template("login.html", username=username), 429
    try:
        user = users.authenticate(engine(), username, password)
    except NotAllowed:
        flash(_("Wrong username or password."), "error")
        return render_template("login.html", username=username), 401
    attempt_succeeded(engine(), username, address)
    login_user(WebUser(user))
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("tasks.home")
    return redirect(target)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    if current_user.is_authenticated:
        users.end_sessions(engine(), current_user.username)
    logout_user()
    return redirect(url_for("auth.login"))

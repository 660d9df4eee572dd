"""Pages for one's own password: "Lupa kata sandi" (a reset link by e-mail) and "Ubah kata sandi"."""

from __future__ import annotations

import threading

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from engine.diagrams.durations import Duration
from engine.errors import NotAllowed, SopflowError
from engine.people import passwords, users
from engine.people.login_throttle import attempt_succeeded, begin_attempt
from webapp.auth import WebUser, throttle_limits
from webapp.context import engine
from webapp.errors import status_of, translated

bp = Blueprint("passwords", __name__, url_prefix="/password")
Page = str | tuple[str, int] | Response


def _address() -> str:
    return request.remote_addr or "-"


@bp.route("/forgot", methods=["GET", "POST"])
def forgot() -> Page:
    if request.method != "POST":
        return render_template("passwords/forgot.html")
    result = passwords.request_reset(engine(), request.form.get("identifier", ""), _address())
    if not result.accepted:
        flash(_("Too many requests from this address. Wait an hour and try again."), "error")
        return render_template("passwords/forgot.html"), 429
    # Mail goes out after the answer, so how long the answer takes says nothing about the account either.
    threading.Thread(target=result.send, name="password-reset-mail", daemon=True).start()
    valid = Duration(engine().settings.password_reset.valid_minutes).words
    return render_template("passwords/forgot.html", sent=True, valid=valid)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> Page:
    try:
        username = passwords.check_reset_link(engine(), token)
    except NotAllowed as error:
        return render_template("passwords/reset.html", refused=translated(error)), status_of(error)
    if request.method != "POST":
        return render_template("passwords/reset.html", username=username)
    try:
        passwords.reset_password(engine(), token, request.form.get("password", ""), request.form.get("repeated", ""))
    except SopflowError as error:
        flash(translated(error), "error")
        return render_template("passwords/reset.html", username=username), 422
    flash(_("Your password has been changed. Log in with the new password."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/change", methods=["GET", "POST"])
@login_required  # type: ignore[misc]
def change() -> Page:
    if request.method != "POST":
        return render_template("passwords/change.html")
    username = current_user.username
    if not begin_attempt(engine(), username, _address(), throttle_limits()):
        flash(_("Too many failed attempts. Wait a few minutes and try again."), "error")
        return render_template("passwords/change.html"), 429
    try:
        passwords.change_password(engine(), username, request.form.get("current", ""),
                                  request.form.get("password", ""), request.form.get("repeated", ""))
    except SopflowError as error:
        flash(translated(error), "error")
        return render_template("passwords/change.html"), 422
    attempt_succeeded(engine(), username, _address())
    with engine().db.session() as session:  # this session carries on with the new epoch; the others end
        login_user(WebUser(users.get_user(session, username)))
    flash(_("Your password has been changed. Your other sessions have ended."), "success")
    return redirect(url_for("tasks.home"))

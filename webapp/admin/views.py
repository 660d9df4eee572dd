"""Admin pages: users, their roles and office."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.people import offices, users
from engine.people.policy import Ability
from webapp.admin import bp
from webapp.auth import requires
from webapp.context import engine


def _roles_from_form() -> list[str]:
    return request.form.getlist("roles")


@bp.get("/users")
@requires(Ability.ADMINISTER)
def users_page() -> str:
    ctx = engine()
    return render_template("admin/users.html", rows=users.list_users(ctx), roles=ctx.policy.known_roles(),
                           offices=offices.active_offices(ctx))


bp.add_url_rule("/users", endpoint="users", view_func=users_page)


@bp.post("/users")
@requires(Ability.ADMINISTER)
def create() -> Response:
    form = request.form
    user = users.create_user(
        engine(), form.get("username", "").strip(), form.get("password", ""), _roles_from_form(),
        form.get("display_name", "").strip(), form.get("email", "").strip(), form.get("opd", "").strip() or None,
        actor=current_user.username,
    )
    flash(_("User %(name)s created.", name=user.username), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<username>")
@requires(Ability.ADMINISTER)
def update(username: str) -> Response:
    form = request.form
    users.update_user(
        engine(), username, current_user.username, _roles_from_form(), form.get("display_name", "").strip(),
        form.get("email", "").strip(), form.get("opd", "").strip() or None, "active" in form,
        form.get("password") or None,
    )
    flash(_("User %(name)s saved.", name=username), "success")
    return redirect(url_for("admin.users"))

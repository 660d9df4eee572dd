"""Admin pages: the master list of offices (OPD)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.people import offices
from engine.people.policy import Ability
from webapp.admin import bp
from webapp.auth import requires
from webapp.context import engine


@bp.get("/offices")
@requires(Ability.ADMINISTER)
def offices_page() -> str:
    return render_template("admin/offices.html", rows=offices.list_offices(engine()))


@bp.post("/offices")
@requires(Ability.ADMINISTER)
def add_office() -> Response:
    office = offices.add_office(engine(), request.form.get("name", ""), request.form.get("short_name", ""),
                                actor=current_user.username)
    flash(_("Office %(name)s added.", name=office.name), "success")
    return redirect(url_for("admin.offices_page"))


@bp.post("/offices/active")
@requires(Ability.ADMINISTER)
def set_office_active() -> Response:
    active = request.form.get("active") == "1"
    office = offices.set_office_active(engine(), request.form.get("name", ""), active, actor=current_user.username)
    if active:
        flash(_("Office %(name)s activated.", name=office.name), "success")
    else:
        flash(_("Office %(name)s deactivated.", name=office.name), "success")
    return redirect(url_for("admin.offices_page"))

"""The incidents page: open (or all) incidents, and a retry of the failed step."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.people.policy import Ability
from engine.runtime import incidents
from webapp.auth import requires
from webapp.context import engine
from webapp.incidents import bp


@bp.get("/")
@requires(Ability.MODEL)
def index() -> str:
    show_all = request.args.get("all") == "1"
    rows = incidents.list_incidents(engine(), status=None if show_all else "open")
    return render_template("incidents/index.html", rows=rows, show_all=show_all)


@bp.post("/<int:incident_id>/retry")
@requires(Ability.MODEL)
def retry(incident_id: int) -> Response:
    incident = incidents.retry_incident(engine(), incident_id, current_user.username)
    if incident.status == "resolved":
        flash(_("Incident #%(id)d resolved: the step ran again and the instance goes on.", id=incident.id), "success")
    else:
        flash(_("Incident #%(id)d failed again: %(reason)s", id=incident.id, reason=incident.message), "error")
    return redirect(url_for("incidents.index"))

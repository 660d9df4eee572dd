"""The guide ("Panduan"): one page per role, its text in webapp/templates/guide/roles/<role>.html. A lane's
role is named by its lane label from the configuration, and its steps and time standards are read from the
deployed diagrams, so the guide says what the SOP says today."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from engine.diagrams.sop_document import SopRow, build_sop_document
from engine.errors import NotFound
from webapp.context import engine
from webapp.formatting import role_label

bp = Blueprint("guide", __name__, url_prefix="/guide")


def _steps(lane: str | None) -> list[SopRow]:
    if lane is None:
        return []
    try:
        rows = build_sop_document(engine()).rows
    except NotFound:  # nothing deployed yet
        return []
    return [row for row in rows if row.lane == lane]


@bp.get("")
@login_required  # type: ignore[misc]
def index() -> Response | str:
    policy = engine().policy
    own = [role for role in policy.known_roles() if role in current_user.roles]
    if len(own) == 1:
        return redirect(url_for("guide.page", role=own[0]))
    return render_template("guide/index.html", roles=[(role, role_label(role)) for role in own])


@bp.get("/<role>")
@login_required  # type: ignore[misc]
def page(role: str) -> str:
    policy, settings = engine().policy, engine().settings
    if role not in policy.known_roles():
        abort(404)
    lane = policy.lane_of(role)
    return render_template("guide/page.html", role=role, label=role_label(role), lane=lane,
                           steps=_steps(lane), supervisor=role == policy.supervisor_role,
                           confined=policy.confines(role), supervisor_label=role_label(policy.supervisor_role),
                           calendar=settings.calendar, reminder_percent=round(settings.reminder_fraction * 100),
                           others=[(r, role_label(r)) for r in policy.known_roles() if r != role])

"""The guide ("Panduan"): one page per role, its text in webapp/templates/guide/roles/<role>.html. A lane's
role is named by its lane label from the configuration, and its steps and time standards are read from the
deployed diagrams, so the guide says what the SOP says today."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from engine.errors import NotFound
from engine.sop_document import SopRow, build_sop_document
from webapp.context import engine

bp = Blueprint("guide", __name__, url_prefix="/guide")


def _lane_of(role: str) -> str | None:
    return next((lane for lane, lane_role in engine().settings.lane_roles.items() if lane_role == role), None)


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
    own = [role for role in engine().policy.known_roles() if role in current_user.roles]
    if len(own) == 1:
        return redirect(url_for("guide.page", role=own[0]))
    return render_template("guide/index.html", roles=[(role, _lane_of(role)) for role in own])


@bp.get("/<role>")
@login_required  # type: ignore[misc]
def page(role: str) -> str:
    policy, settings = engine().policy, engine().settings
    if role not in policy.known_roles():
        abort(404)
    lane = _lane_of(role)
    return render_template("guide/page.html", role=role, lane=lane, steps=_steps(lane),
                           supervisor=role == policy.supervisor_role, confined=policy.confines(role),
                           supervisor_lane=_lane_of(policy.supervisor_role),
                           calendar=settings.calendar, reminder_percent=round(settings.reminder_fraction * 100),
                           others=[(r, _lane_of(r)) for r in policy.known_roles() if r != role])

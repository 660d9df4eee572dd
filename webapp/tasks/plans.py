"""A plan's progress while its items start in the background: on the plan's page, and as JSON for its refresh."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from engine.runtime import plans
from webapp.context import engine
from webapp.formatting import number
from webapp.tasks import bp


def plan_progress(instance_id: int) -> dict[str, Any] | None:
    """What the plan's page shows of its items starting, or None for an instance that is no plan."""
    progress = plans.progress(engine(), instance_id, current_user.username)
    if progress is None:
        return None
    text = (_("All %(total)s items have started.", total=number(progress.total)) if progress.done else
            _("%(started)s of %(total)s items started", started=number(progress.started),
              total=number(progress.total)))
    return {"started": progress.started, "total": progress.total, "done": progress.done, "text": text}


@bp.get("/instances/<int:instance_id>/progress")
@login_required  # type: ignore[misc]
def progress(instance_id: int) -> Response:
    shown = plan_progress(instance_id)
    if shown is None:
        abort(404)
    return jsonify(shown)

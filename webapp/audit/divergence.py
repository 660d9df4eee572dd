"""A replay's first divergence in the auditor's language: its template through the catalog, and the codes it
carries (event kinds, task states, item statuses, yes or no, moments) by their labels."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from engine.audit.replay_run import Divergence
from webapp.errors import translated
from webapp.formatting import event_labels, localtime


def _task_states() -> dict[str, str]:
    return {"MAYBE": _("not yet reached"), "LIKELY": _("not yet reached"), "FUTURE": _("not yet reached"),
            "WAITING": _("waiting"), "READY": _("ready"), "STARTED": _("started"), "COMPLETED": _("completed"),
            "ERROR": _("failed"), "CANCELLED": _("cancelled"), "MISSING": _("missing")}


def _statuses() -> dict[str, str]:
    return {"running": _("running"), "completed": _("completed"), "cancelled": _("cancelled")}


def divergence_text(divergence: Divergence) -> str:
    events, states, statuses = event_labels(), _task_states(), _statuses()
    labels: dict[str, dict[str, str]] = {"kind": events, "produced": events, "state": states,
                                         "replayed_state": states, "status": statuses, "replayed_status": statuses}
    params: dict[str, object] = {}
    for name, value in divergence.params.items():
        if name in labels:
            params[name] = labels[name].get(str(value), str(value))
        elif isinstance(value, bool):
            params[name] = _("yes") if value else _("no")
        elif isinstance(value, datetime):
            params[name] = localtime(value)
        else:
            params[name] = value
    return translated(Divergence(divergence.template, divergence.event_id, **params))

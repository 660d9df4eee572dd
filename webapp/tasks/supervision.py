"""The supervisor's actions on tasks and on the monthly monitoring, and each person's notice settings."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.people.policy import Ability
from engine.runtime import notices, supervision
from engine.store import OPEN_STATUSES, WorkItem
from webapp.auth import requires
from webapp.context import engine
from webapp.tasks import bp


@dataclass(frozen=True)
class SupervisionPanel:
    people: list[str]
    claimed_by: str | None


def _supervises() -> bool:
    return bool(current_user.can(Ability.SUPERVISE))


def supervision_panel(item: WorkItem) -> SupervisionPanel | None:
    """What the task page offers the supervisor: the lane's people to assign, the claim to take back."""
    if not _supervises() or item.status not in OPEN_STATUSES:
        return None
    return SupervisionPanel(supervision.assignable(engine(), item.id), item.claimed_by)


def periodic_panel() -> list[supervision.Periodic]:
    return supervision.periodic_processes(engine()) if _supervises() else []


@bp.post("/tasks/<task_id>/assign")
@requires(Ability.WORK)
def assign(task_id: str) -> Response:
    assignee = request.form.get("assignee", "").strip()
    item = supervision.assign_task(engine(), task_id, assignee, current_user.username)
    flash(_("The task was given to %(user)s.", user=assignee), "success")
    return redirect(url_for("tasks.task", task_id=item.id))


@bp.post("/tasks/<task_id>/take-back")
@requires(Ability.WORK)
def take_back(task_id: str) -> Response:
    item = supervision.take_back(engine(), task_id, current_user.username)
    flash(_("The claim was taken back; the task is in the lane's queue again."), "success")
    return redirect(url_for("tasks.task", task_id=item.id))


@bp.post("/periodic/<process_id>/start")
@requires(Ability.SUPERVISE)
def start_periodic(process_id: str) -> Response:
    instance = supervision.start_period_by_hand(engine(), process_id, current_user.username)
    flash(_("This month's monitoring was started."), "success")
    return redirect(url_for("tasks.instance", instance_id=instance.id))


@bp.get("/notifications/settings")
@requires(Ability.READ_NOTICES)
def notice_settings() -> str:
    return render_template("tasks/notice_settings.html",
                           by_mail=notices.wants_mail(engine(), current_user.username))


@bp.post("/notifications/settings")
@requires(Ability.READ_NOTICES)
def save_notice_settings() -> Response:
    notices.set_wants_mail(engine(), current_user.username, request.form.get("by_mail") == "on")
    flash(_("Your notification settings were saved."), "success")
    return redirect(url_for("tasks.notice_settings"))

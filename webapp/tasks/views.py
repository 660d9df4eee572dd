"""Staff pages: inbox, a form per step, attachments, instances and their page, notifications."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from engine.diagrams.forms import DIP_CLASSES
from engine.errors import InvalidInput, InvalidTaskData, NotAllowed, SopflowError, TaskConflict
from engine.people import offices
from engine.people.policy import Ability
from engine.runtime import attachments, case_file, comments, inbox, incidents, instance_view, notices, task_list
from engine.runtime import instances as instance_service
from engine.runtime.attachments import RefusedUpload
from engine.runtime.inbox import SCOPES, InboxQuery, InstanceQuery
from engine.store import OPEN_STATUSES, WorkItem
from webapp.auth import requires
from webapp.context import engine
from webapp.errors import translated
from webapp.formatting import process_name
from webapp.tasks import bp
from webapp.tasks.binding import choice_label, form_data
from webapp.tasks.plans import plan_progress
from webapp.tasks.supervision import periodic_panel, supervision_panel


@bp.app_context_processor
def header_counts() -> dict[str, Any]:
    if not current_user.is_authenticated:
        return {}
    ctx = engine()
    tasks = 0
    if current_user.can(Ability.WORK):  # the inbox page has counted them already
        tasks = g.task_count if "task_count" in g else inbox.inbox_count(ctx, current_user.username)
    return {"header_counts": {"tasks": tasks, "notifications": notices.unread_count(ctx, current_user.username)},
            "choice_label": choice_label}


@bp.get("/")
@login_required  # type: ignore[misc]
def home() -> Response:
    if current_user.can(Ability.WORK):
        return redirect(url_for("tasks.inbox"))
    return redirect(url_for("tasks.instances"))


@bp.get("/tasks", endpoint="inbox")
@requires(Ability.WORK)
def inbox_view() -> str:
    ctx = engine()
    scope = request.args.get("scope", "all")
    query = InboxQuery(
        username=current_user.username,
        scope=scope if scope in SCOPES else "all",
        lane=request.args.get("lane") or None,
        opd=request.args.get("opd") or None,
        after=request.args.get("after") or None,
        before=request.args.get("before") or None,
    )
    page = inbox.inbox(ctx, query)
    g.task_count = page.counts.lanes
    lanes = [lane for lane, role in ctx.settings.lane_roles.items() if role in current_user.roles]
    return render_template("tasks/inbox.html", page=page, query=query, lanes=lanes,
                           offices=inbox.known_offices(ctx), scopes=SCOPES)


def _render_task(task_id: str, errors: dict[str, Any] | None = None, values: dict[str, Any] | None = None,
                 status: int = 200, url_check: dict[str, Any] | None = None) -> tuple[str, int]:
    ctx = engine()
    detail = instance_service.get_task(ctx, task_id)
    view = instance_view.view_instance(ctx, detail.item.instance_id, current_user.username)
    may_act = current_user.may_work(detail.item.role, detail.item.opd)
    return render_template(
        "tasks/task.html",
        detail=detail,
        view=view,
        case=case_file.case_file(ctx, detail.item.instance_id, current_user.username),
        read_only_reason=_read_only_reason(detail.item, may_act),
        values=values if values is not None else _initial_values(detail),
        errors=errors or {},
        may_act=may_act,
        offices=offices.active_offices(ctx),
        dip_classes=DIP_CLASSES,
        url_check=url_check,
        now=ctx.clock.now(),
        supervision=supervision_panel(detail.item),
    ), status


def _initial_values(detail: instance_service.TaskDetail) -> dict[str, Any]:
    """What the form shows first: the task's data over the planned item's (step 2 starts from the plan), never
    an earlier round's decision (a choice another field's requirement depends on) or what depended on it; the
    address to check starts as the earlier step's (`periksa_tautan.sama_dengan`)."""
    data, fields = detail.data, detail.step.fields
    planned = data.get("item")
    values = {**planned, **data} if isinstance(planned, dict) else dict(data)
    decisions = {f.required_if[0] for f in fields if f.required_if is not None}
    for form_field in fields:
        if form_field.name in decisions or (form_field.required_if and form_field.required_if[0] in decisions):
            values.pop(form_field.name, None)
    checked, earlier = detail.step.url_check_field, detail.step.url_same_as
    if checked and earlier and not values.get(checked) and values.get(earlier):
        values[checked] = values[earlier]
    return values


def _read_only_reason(item: WorkItem, may_act: bool) -> str | None:
    """Why the viewer sees the step without a form, or None when they may work on it."""
    if item.status == "completed":
        return _("This task is finished.")
    if item.status not in OPEN_STATUSES:
        return _("This task was withdrawn; the process moved on without it.")
    if not may_act:
        office = item.opd if item.role in engine().policy.office_roles else None
        return _("Only %(who)s may work on this.", who=" ".join(part for part in (item.lane, office) if part))
    if item.claimed_by not in (None, current_user.username):
        return _("Claimed by %(user)s.", user=item.claimed_by)
    return None


@bp.get("/tasks/<task_id>")
@login_required  # type: ignore[misc]
def task(task_id: str) -> tuple[str, int]:
    return _render_task(task_id)


@bp.post("/tasks/<task_id>/claim")
@requires(Ability.WORK)
def claim(task_id: str) -> Response:
    ctx = engine()
    if instance_service.get_task(ctx, task_id).item.claimed_by == current_user.username:
        raise TaskConflict(_("You have already claimed this task."))
    instance_service.claim_task(ctx, task_id, current_user.username)
    flash(_("The task is yours now."), "success")
    return redirect(url_for("tasks.task", task_id=task_id))


@bp.post("/tasks/<task_id>/release")
@requires(Ability.WORK)
def release(task_id: str) -> Response:
    instance_service.release_task(engine(), task_id, current_user.username)
    flash(_("The task is back in the lane's queue."), "success")
    return redirect(url_for("tasks.inbox"))


@bp.post("/tasks/<task_id>/complete")
@requires(Ability.WORK)
def complete(task_id: str) -> Response | tuple[str, int]:
    """Files chosen in the step form go with it: they are stored first, then the step completes."""
    ctx = engine()
    detail = instance_service.get_task(ctx, task_id)
    data = form_data(detail.step.fields, request.form)
    refused = _store_files(detail, _received_files())
    if refused is not None:
        return refused
    try:
        item = instance_service.complete_task(ctx, task_id, data, current_user)
    except InvalidTaskData as error:
        if detail.step.url_check_field in error.field_errors:
            flash(translated(error), "error")
        return _render_task(task_id, errors=error.field_errors, values={**detail.data, **data}, status=422)
    flash(_("Step %(step)s done: %(name)s", step=item.step or "-", name=item.name), "success")
    return redirect(url_for("tasks.inbox"))


@bp.post("/tasks/<task_id>/check-url")
@requires(Ability.WORK)
def check_url(task_id: str) -> tuple[str, int]:
    """Step 6: the server requests the address now (through the engine) and shows the answer; completing
    requests it again and records it."""
    ctx = engine()
    detail = instance_service.get_task(ctx, task_id)
    if not current_user.may_work(detail.item.role, detail.item.opd):
        raise NotAllowed(_("Only the task's lane may check its address."))
    field = detail.step.url_check_field
    if field is None:
        abort(404)
    data = form_data(detail.step.fields, request.form)
    result = instance_service.check_address(ctx, str(data.get(field) or "").strip())
    return _render_task(task_id, values={**detail.data, **data}, url_check=result)


def _received_files() -> list[tuple[str, bytes]]:
    limit = engine().settings.upload_max_bytes + 1
    return [(f.filename or "berkas", f.read(limit)) for f in request.files.getlist("file") if f.filename]


def _store_files(detail: instance_service.TaskDetail, received: list[tuple[str, bytes]]) -> tuple[str, int] | None:
    """Store the files for the task, all or none; a refusal re-renders the form with what was typed."""
    ctx = engine()
    if received and not current_user.may_work(detail.item.role, detail.item.opd):
        raise NotAllowed(_("Only the task's lane may attach files to it."))
    try:
        for filename, content in received:  # every file is judged before any is stored
            attachments.check_upload(ctx, filename, content)
        for filename, content in received:
            attachments.add_attachment(ctx, detail.item.instance_id, detail.item.id, filename, content,
                                       current_user.username)
    except RefusedUpload as error:
        flash(_("Refused: %(reason)s", reason=translated(error)), "error")
        values = {**detail.data, **form_data(detail.step.fields, request.form)}
        return _render_task(detail.item.id, values=values, status=422)
    return None


@bp.post("/tasks/<task_id>/attachments")
@requires(Ability.WORK)
def upload(task_id: str) -> tuple[str, int]:
    """The step form's upload button: the files are stored and the form comes back as it was typed."""
    detail = instance_service.get_task(engine(), task_id)
    received = _received_files()
    if not received:
        flash(_("Choose a file first."), "error")
    else:
        refused = _store_files(detail, received)
        if refused is not None:
            return refused
        flash(_("Attachment saved."), "success")
    return _render_task(task_id, values={**detail.data, **form_data(detail.step.fields, request.form)})


@bp.post("/attachments/<attachment_id>/remove")
@requires(Ability.WORK)
def remove_attachment(attachment_id: str) -> Response | tuple[str, int]:
    """The uploader takes a file back (and may give its replacement) while the step is open."""
    ctx = engine()
    try:
        removed = attachments.remove_attachment(ctx, attachment_id, current_user.username,
                                                request.form.get("reason", ""))
    except InvalidInput as problem:
        task_id = attachments.open_attachment(ctx, attachment_id, current_user.username).attachment.task_id
        if task_id is None:
            raise
        return _render_task(task_id, errors={f"remove-{attachment_id}": translated(problem)}, status=400)
    if removed.task_id is None:
        return redirect(url_for("tasks.instance", instance_id=removed.instance_id))
    refused = _store_files(instance_service.get_task(ctx, removed.task_id), _received_files())
    if refused is not None:
        return refused
    flash(_("The file was removed; the record keeps it."), "success")
    return redirect(url_for("tasks.task", task_id=removed.task_id) + "#attachments")


@bp.get("/attachments/<attachment_id>")
@login_required  # type: ignore[misc]
def download(attachment_id: str) -> Response:
    stored = attachments.open_attachment(engine(), attachment_id, current_user.username)
    return send_file(stored.path, mimetype=stored.attachment.media_type, as_attachment=True,
                     download_name=stored.attachment.filename)


@bp.get("/instances")
@login_required  # type: ignore[misc]
def instances() -> str:
    ctx = engine()
    query = InstanceQuery(
        username=current_user.username,
        status=request.args.get("status") or None,
        process_id=request.args.get("process") or None,
        text=request.args.get("q") or None,
        after=inbox.page_cursor(request.args.get("after")),
        before=inbox.page_cursor(request.args.get("before")),
    )
    return render_template("tasks/instances.html", page=inbox.list_instances(ctx, query), query=query,
                           startable=instance_service.startable_processes(ctx, current_user), now=ctx.clock.now(),
                           periodic=periodic_panel())


@bp.post("/instances")
@requires(Ability.WORK)
def start() -> Response:
    ctx = engine()
    process_id = request.form.get("process", "")
    if not process_id:
        raise SopflowError(_("Choose the process to start."))
    instance = instance_service.start_instance(ctx, process_id, current_user.username)
    first = task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=instance.id))
    flash(_("%(name)s was started.", name=process_name(process_id)), "success")
    if first:
        return redirect(url_for("tasks.task", task_id=first[0].id))
    return redirect(url_for("tasks.instance", instance_id=instance.id))


@bp.get("/instances/<int:instance_id>")
@login_required  # type: ignore[misc]
def instance(instance_id: int) -> tuple[str, int]:
    return _render_instance(instance_id)


def _render_instance(instance_id: int, refused: InvalidInput | None = None) -> tuple[str, int]:
    """The item page; after a refused comment or cancellation, with the message beside the field and what was
    typed kept (HTTP 400)."""
    ctx = engine()
    view = instance_view.view_instance(ctx, instance_id, current_user.username)
    return render_template("tasks/instance.html", view=view, marks=view.marks(),
                           open_incidents=incidents.list_incidents(ctx, instance_id=instance_id),
                           case=case_file.case_file(ctx, instance_id, current_user.username),
                           may_comment=current_user.can(Ability.WORK),
                           may_cancel=current_user.can(Ability.SUPERVISE)
                           and view.instance.status == "running",
                           errors={refused.field: translated(refused)} if refused else {},
                           values=request.form if refused else {},
                           plan=plan_progress(instance_id)), 400 if refused else 200


@bp.post("/instances/<int:instance_id>/comments")
@requires(Ability.WORK)
def comment(instance_id: int) -> Response | tuple[str, int]:
    try:
        comments.add_comment(engine(), instance_id, request.form.get("body", ""), current_user.username)
    except InvalidInput as refused:
        return _render_instance(instance_id, refused)
    return redirect(url_for("tasks.instance", instance_id=instance_id) + "#comments")


@bp.post("/instances/<int:instance_id>/cancel")
@requires(Ability.SUPERVISE)
def cancel(instance_id: int) -> Response | tuple[str, int]:
    try:
        instance_service.cancel_instance(engine(), instance_id, current_user.username,
                                         request.form.get("reason", ""))
    except InvalidInput as refused:
        return _render_instance(instance_id, refused)
    flash(_("The instance was cancelled."), "success")
    return redirect(url_for("tasks.instance", instance_id=instance_id))


@bp.get("/notifications")
@login_required  # type: ignore[misc]
def notifications() -> str:
    ctx = engine()
    waiting = inbox.inbox(ctx, InboxQuery(current_user.username, scope="unclaimed", per_page=10)) \
        if current_user.can(Ability.WORK) else None
    return render_template("tasks/notifications.html", waiting=waiting,
                           rows=notices.list_notifications(ctx, current_user.username))


@bp.post("/notifications/read")
@requires(Ability.READ_NOTICES)
def notifications_read() -> Response:
    notices.mark_all_read(engine(), current_user.username)
    return redirect(url_for("tasks.notifications"))

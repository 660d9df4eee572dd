"""The JSON API under /api/v1: the same engine calls and the same authorization as the staff pages, with a
bearer token instead of a session. Errors are `{"error": message}` with the 4xx of webapp.errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from engine.audit.events import verify_chain
from engine.diagrams.diagram import StepSpec
from engine.diagrams.forms import FormField
from engine.diagrams.validation import validate_diagram
from engine.people.policy import Ability
from engine.runtime import case_file, inbox, incidents, instance_view, task_list
from engine.runtime import instances as instance_service
from engine.runtime.inbox import SCOPES, InboxQuery, InstanceQuery
from engine.store import Attachment, Event, Incident, Instance, WorkItem
from webapp.api import bp
from webapp.api.auth import api_requires, api_user, authenticate
from webapp.api.body import BodyRefused, parse_object
from webapp.api.openapi import openapi_document
from webapp.context import engine

DIAGRAM_TYPES = ("application/xml", "text/xml")
# Started by hand (by PPID Utama); the item process is started by a plan's step 1, never on its own.
STARTABLE_PROCESSES = ("ppid_publikasi",)
MAX_PER_PAGE = 100

bp.before_request(authenticate)


class ApiError(Exception):
    """A request the API cannot take as sent (bad query, content type or body)."""

    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.fields = fields


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> tuple[Response, int]:
    body: dict[str, Any] = {"error": str(error)}
    if error.fields is not None:
        body["fields"] = error.fields
    return jsonify(body), error.status


# Request parsing


def _int_arg(name: str, default: int, low: int = 1, high: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"query parameter {name!r} must be a whole number, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError(400, f"query parameter {name!r} must be {limit}, got {value}")
    return value


def json_body() -> dict[str, Any]:
    """The request body as a JSON object: 415 for another content type, 400 for malformed JSON."""
    if request.mimetype != "application/json":
        shown = request.mimetype or "none"
        raise ApiError(415, f"send the body as application/json (Content-Type was {shown})")
    try:
        return parse_object(request.get_data(as_text=False) or b"")
    except BodyRefused as error:
        raise ApiError(400, str(error)) from None


# Answers


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def task_json(item: WorkItem, now: datetime) -> dict[str, Any]:
    return {
        "id": item.id,
        "instance_id": item.instance_id,
        "process": item.process_id,
        "spec_id": item.spec_id,
        "step": item.step,
        "name": item.name,
        "lane": item.lane,
        "opd": item.opd,
        "item": item.item_label,
        "status": item.status,
        "claimed_by": item.claimed_by,
        "ready_at": _time(item.ready_at),
        "due_at": _time(item.due_at),
        "overdue": item.status in ("ready", "claimed") and item.due_at is not None and item.due_at <= now,
        "time_standard": item.time_standard,
        "finished_at": _time(item.finished_at),
        "finished_by": item.finished_by,
    }


def field_json(form_field: FormField) -> dict[str, Any]:
    required_if = None
    if form_field.required_if is not None:
        required_if = {"field": form_field.required_if[0], "value": form_field.required_if[1]}
    return {"name": form_field.name, "kind": form_field.kind, "label": form_field.label,
            "required": form_field.required, "required_if": required_if, "choices": list(form_field.choices),
            "choice_labels": [form_field.label_of(code) for code in form_field.choices]}


def step_json(step: StepSpec) -> dict[str, Any]:
    return {"spec_id": step.spec_id, "name": step.name, "step": step.step, "lane": step.lane,
            "required_input": step.required_input, "output": step.output, "time_standard": step.time_standard,
            "url_check_field": step.url_check_field, "fields": [field_json(f) for f in step.fields]}


def instance_json(instance: Instance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "process": instance.process_id,
        "definition_id": instance.definition_id,
        "parent_id": instance.parent_id,
        "title": instance.title,
        "opd": instance.opd,
        "status": instance.status,
        "current_task": instance.current_task,
        "current_lane": instance.current_lane,
        "due_at": _time(instance.due_at),
        "started_by": instance.started_by,
        "started_at": _time(instance.started_at),
        "updated_at": _time(instance.updated_at),
        "finished_at": _time(instance.finished_at),
    }


def event_json(event: Event) -> dict[str, Any]:
    return {"id": event.id, "type": event.type, "occurred_at": _time(event.occurred_at), "actor": event.actor,
            "task_id": event.task_id, "payload": event.payload, "prev_hash": event.prev_hash, "hash": event.hash}


def attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {"id": attachment.id, "task_id": attachment.task_id, "filename": attachment.filename,
            "media_type": attachment.media_type, "size": attachment.size, "sha256": attachment.sha256,
            "uploaded_by": attachment.uploaded_by, "uploaded_at": _time(attachment.uploaded_at)}


# Routes


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.get("/tasks")
@api_requires(Ability.WORK)
def list_tasks() -> Response:
    scope = request.args.get("scope") or "all"
    if scope not in SCOPES:
        raise ApiError(400, f"query parameter 'scope' must be one of: {', '.join(SCOPES)}")
    query = InboxQuery(
        username=api_user().username,
        scope=scope,
        lane=request.args.get("lane") or None,
        opd=request.args.get("opd") or None,
        after=request.args.get("after") or None,
        before=request.args.get("before") or None,
        per_page=_int_arg("per_page", 25, high=MAX_PER_PAGE),
    )
    page = inbox.inbox(engine(), query)
    return jsonify({
        "items": [task_json(item, page.now) for item in page.items],
        "total": page.total,
        "next": page.next,
        "previous": page.previous,
        "per_page": page.per_page,
        "counts": {"mine": page.counts.mine, "lanes": page.counts.lanes, "overdue": page.counts.overdue},
        "now": _time(page.now),
    })


@bp.get("/tasks/<task_id>")
def get_task(task_id: str) -> Response:
    ctx = engine()
    detail = instance_service.get_task(ctx, task_id)
    view = instance_view.view_instance(ctx, detail.item.instance_id, api_user().username)
    case = case_file.case_file(ctx, detail.item.instance_id, api_user().username)
    return jsonify({"task": task_json(detail.item, view.now), "step": step_json(detail.step),
                    "data": detail.data, "instance": instance_json(view.instance),
                    "case_file": case_file.as_dict(case, gettext)})


@bp.post("/tasks/<task_id>/claim")
@api_requires(Ability.WORK)
def claim(task_id: str) -> Response:
    ctx = engine()
    item = instance_service.claim_task(ctx, task_id, api_user().username)
    return jsonify({"task": task_json(item, ctx.clock.now())})


@bp.post("/tasks/<task_id>/release")
@api_requires(Ability.WORK)
def release(task_id: str) -> Response:
    ctx = engine()
    item = instance_service.release_task(ctx, task_id, api_user().username)
    return jsonify({"task": task_json(item, ctx.clock.now())})


@bp.post("/tasks/<task_id>/complete")
@api_requires(Ability.WORK)
def complete(task_id: str) -> Response:
    ctx = engine()
    item = instance_service.complete_task(ctx, task_id, json_body(), api_user())
    return jsonify({"task": task_json(item, ctx.clock.now())})


@bp.post("/instances")
@api_requires(Ability.WORK)
def start_instance() -> tuple[Response, int, dict[str, str]]:
    body = json_body()
    process = body.get("process")
    if process not in STARTABLE_PROCESSES:
        raise ApiError(422, "the instance cannot be started as sent",
                       {"process": f"must be one of: {', '.join(STARTABLE_PROCESSES)}"})
    unknown = sorted(set(body) - {"process"})
    if unknown:
        raise ApiError(422, "the instance cannot be started as sent", {key: "unknown field" for key in unknown})
    ctx = engine()
    instance = instance_service.start_instance(ctx, str(process), api_user().username)
    tasks = task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=instance.id))
    now = ctx.clock.now()
    location = url_for("api.get_instance", instance_id=instance.id)
    return (jsonify({"instance": instance_json(instance), "open_tasks": [task_json(t, now) for t in tasks]}),
            201, {"Location": location})


@bp.post("/processes/<process_id>/validate")
@api_requires(Ability.MODEL)
def validate(process_id: str) -> Response:
    """Every problem of a diagram (the body, as XML), by the rules deploy applies; nothing is stored."""
    if request.mimetype not in DIAGRAM_TYPES:
        raise ApiError(415, f"send the diagram as {' or '.join(DIAGRAM_TYPES)} (Content-Type was "
                            f"{request.mimetype or 'none'})")
    ctx = engine()
    result = validate_diagram(request.get_data(), ctx.settings, set(ctx.handlers), f"{process_id}.bpmn",
                              expected_process_id=process_id)
    return jsonify({"valid": not result.problems, "problems": [p.as_dict() for p in result.problems]})


@bp.get("/instances")
def list_instances() -> Response:
    query = InstanceQuery(
        username=api_user().username,
        status=request.args.get("status") or None,
        process_id=request.args.get("process") or None,
        text=request.args.get("q") or None,
        after=inbox.page_cursor(request.args.get("after")),
        before=inbox.page_cursor(request.args.get("before")),
        per_page=_int_arg("per_page", 25, high=MAX_PER_PAGE),
    )
    page = inbox.list_instances(engine(), query)
    return jsonify({"items": [instance_json(row) for row in page.items], "total": page.total,
                    "per_page": page.per_page, "next": page.next, "previous": page.previous})


@bp.get("/instances/<int:instance_id>")
def get_instance(instance_id: int) -> Response:
    view = instance_view.view_instance(engine(), instance_id, api_user().username)
    return jsonify({
        "instance": instance_json(view.instance),
        "definition": {"id": view.definition.id, "process": view.definition.process_id,
                       "name": view.definition.name, "version": view.definition.version},
        "parent": instance_json(view.parent) if view.parent is not None else None,
        "children": [instance_json(child) for child in view.children],
        "open_tasks": [task_json(task, view.now) for task in view.open_tasks],
        "tasks": [task_json(task, view.now) for task in view.tasks],
        "marks": view.marks(),
        "attachments": [attachment_json(a) for a in view.attachments],
        "comments": [{"id": c.id, "author": c.author, "body": c.body, "created_at": _time(c.created_at)}
                     for c in view.comments],
    })


@bp.get("/instances/<int:instance_id>/events")
def instance_events(instance_id: int) -> Response:
    view = instance_view.view_instance(engine(), instance_id, api_user().username)
    broken = verify_chain(view.history)
    return jsonify({"instance_id": instance_id, "events": [event_json(e) for e in view.history],
                    "chain_intact": broken is None, "first_broken_event": broken})


def incident_json(incident: Incident, instance_title: str | None = None) -> dict[str, Any]:
    return {"id": incident.id, "instance_id": incident.instance_id, "instance_title": instance_title,
            "process_id": incident.process_id, "element_id": incident.element_id,
            "element_name": incident.element_name, "message": incident.message, "status": incident.status,
            "attempts": incident.attempts, "opened_at": _time(incident.opened_at),
            "failed_at": _time(incident.failed_at), "resolved_at": _time(incident.resolved_at),
            "resolved_by": incident.resolved_by}


@bp.get("/incidents")
@api_requires(Ability.MODEL)
def list_incidents() -> Response:
    """Open incidents, newest first; `?status=all` or `?status=resolved` for the others."""
    status = request.args.get("status", "open")
    if status not in ("open", "resolved", "all"):
        raise ApiError(400, "status must be open, resolved or all")
    rows = incidents.list_incidents(engine(), status=None if status == "all" else status)
    return jsonify({"items": [incident_json(row.incident, row.instance_title) for row in rows]})


@bp.post("/incidents/<int:incident_id>/retry")
@api_requires(Ability.MODEL)
def retry_incident(incident_id: int) -> Response:
    """Run the failed step again; the answer says whether the incident is now resolved or still open."""
    return jsonify(incident_json(incidents.retry_incident(engine(), incident_id, api_user().username)))

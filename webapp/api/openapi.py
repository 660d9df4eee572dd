"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json. A test compares its paths with the
routes the app registers, so a new route without a description fails the suite."""

from __future__ import annotations

from typing import Any

SERVER_PREFIX = "/api/v1"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return {"$ref": "#/components/responses/" + description}


TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"},
           "description": "The task's id (the SpiffWorkflow task id)."}
INSTANCE_ID = {"name": "instance_id", "in": "path", "required": True, "schema": {"type": "integer"}}
PAGE = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}}
PER_PAGE = {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                          "default": 25}}

READ_ERRORS = {"400": _error("BadRequest"), "401": _error("Unauthorized"), "403": _error("Forbidden"),
               "404": _error("NotFound")}
WRITE_ERRORS = {**READ_ERRORS, "409": _error("Conflict")}
BODY_ERRORS = {**WRITE_ERRORS, "415": _error("UnsupportedMediaType"), "422": _error("Unprocessable")}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong, readable by a person."},
            "fields": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "For 422: each refused field (or body key) with its English message."},
        },
    },
    "Task": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "instance_id": {"type": "integer"},
            "process": {"type": "string"},
            "spec_id": {"type": "string", "description": "The diagram element of the step."},
            "step": _nullable("string", description="The SOP step number."),
            "name": {"type": "string"},
            "lane": _nullable("string"),
            "opd": _nullable("string", description="The regional office the item belongs to."),
            "item": _nullable("string", description="The planned item's title."),
            "status": {"type": "string", "enum": ["ready", "claimed", "completed", "withdrawn"]},
            "claimed_by": _nullable("string"),
            "ready_at": {"type": "string", "format": "date-time"},
            "due_at": _nullable("string", format="date-time"),
            "overdue": {"type": "boolean"},
            "time_standard": _nullable("string", description="ISO 8601 duration, e.g. PT90M."),
            "finished_at": _nullable("string", format="date-time"),
            "finished_by": _nullable("string"),
        },
    },
    "FormField": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": ["text", "longtext", "url", "date", "nip", "check", "items",
                                                "choice"]},
            "label": {"type": "string"},
            "required": {"type": "boolean"},
            "required_if": {"type": ["object", "null"], "properties": {"field": {"type": "string"},
                                                                      "value": {"type": "string"}}},
            "choices": {"type": "array", "items": {"type": "string"}},
            "choice_labels": {"type": "array", "items": {"type": "string"},
                              "description": "What a person reads for each choice, in the order of `choices`."},
        },
    },
    "Step": {
        "type": "object",
        "properties": {
            "spec_id": {"type": "string"},
            "name": {"type": "string"},
            "step": _nullable("string"),
            "lane": _nullable("string"),
            "required_input": _nullable("string", description="Kelengkapan: what the step needs."),
            "output": _nullable("string"),
            "time_standard": _nullable("string"),
            "url_check_field": _nullable("string", description="The field whose address the server requests."),
            "fields": {"type": "array", "items": _ref("FormField")},
        },
    },
    "TaskDetail": {
        "type": "object",
        "properties": {
            "task": _ref("Task"),
            "step": _ref("Step"),
            "data": {"type": "object", "description": "The data the task carries (e.g. the verifier's reasons)."},
            "instance": _ref("Instance"),
            "case_file": _ref("CaseFile"),
        },
    },
    "CaseValue": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "label": {"type": "string", "description": "The field's label in the step's form."},
            "kind": {"type": "string"},
            "value": {"description": "The raw value as submitted (a choice's code)."},
            "text": {"type": "string", "description": "What a person reads: a choice's label, else the value."},
            "rows": {"type": "array", "description": "For an `items` value: each row's values.",
                     "items": {"type": "array", "items": _ref("CaseValue")}},
        },
    },
    "CaseAttachment": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "filename": {"type": "string"},
            "size": {"type": "integer"},
            "uploaded_by": {"type": "string"},
            "uploaded_at": {"type": "string", "format": "date-time"},
            "removed_by": _nullable("string"),
            "removed_at": _nullable("string", format="date-time"),
            "removal_reason": _nullable("string"),
        },
    },
    "CaseEntry": {
        "type": "object",
        "description": "One completed step: who, when, what was submitted.",
        "properties": {
            "task_id": _nullable("string"),
            "step": _nullable("string"),
            "name": {"type": "string"},
            "actor": {"type": "string"},
            "actor_name": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "values": {"type": "array", "items": _ref("CaseValue")},
            "attachments": {"type": "array", "items": _ref("CaseAttachment")},
        },
    },
    "CaseFile": {
        "type": "object",
        "description": "What the item's earlier steps recorded, per round (a round ends when the item is sent back).",
        "properties": {
            "plan": {"oneOf": [_ref("CaseEntry"), {"type": "null"}],
                     "description": "The plan's step with this item's own row only."},
            "rounds": {"type": "array", "items": {"type": "object", "properties": {
                "number": {"type": "integer"},
                "returned_by": _nullable("string", description="The flow that sent the item back."),
                "entries": {"type": "array", "items": _ref("CaseEntry")},
            }}},
            "open_attachments": {"type": "array", "items": _ref("CaseAttachment")},
        },
    },
    "TaskAnswer": {"type": "object", "properties": {"task": _ref("Task")}},
    "TaskPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref("Task")},
            "total": {"type": "integer"},
            "next": {"type": ["string", "null"]},
            "previous": {"type": ["string", "null"]},
            "per_page": {"type": "integer"},
            "counts": {"type": "object", "properties": {"mine": {"type": "integer"}, "lanes": {"type": "integer"},
                                                        "overdue": {"type": "integer"}}},
            "now": {"type": "string", "format": "date-time"},
        },
    },
    "Instance": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "process": {"type": "string"},
            "definition_id": {"type": "integer"},
            "parent_id": _nullable("integer", description="The plan that started this item."),
            "title": _nullable("string"),
            "opd": _nullable("string"),
            "status": {"type": "string", "description": "running, completed or cancelled"},
            "current_task": _nullable("string"),
            "current_lane": _nullable("string"),
            "due_at": _nullable("string", format="date-time"),
            "started_by": {"type": "string"},
            "started_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "finished_at": _nullable("string", format="date-time"),
        },
    },
    "InstancePage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref("Instance")},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "pages": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    },
    "Attachment": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "task_id": _nullable("string"),
            "filename": {"type": "string"},
            "media_type": {"type": "string"},
            "size": {"type": "integer"},
            "sha256": {"type": "string"},
            "uploaded_by": {"type": "string"},
            "uploaded_at": {"type": "string", "format": "date-time"},
        },
    },
    "InstanceDetail": {
        "type": "object",
        "properties": {
            "instance": _ref("Instance"),
            "definition": {"type": "object", "properties": {"id": {"type": "integer"}, "process": {"type": "string"},
                                                            "name": {"type": "string"},
                                                            "version": {"type": "integer"}}},
            "parent": {"oneOf": [_ref("Instance"), {"type": "null"}]},
            "children": {"type": "array", "items": _ref("Instance")},
            "open_tasks": {"type": "array", "items": _ref("Task")},
            "tasks": {"type": "array", "items": _ref("Task"), "description": "Every task, done ones included."},
            "marks": {"type": "object", "additionalProperties": {"type": "string", "enum": ["done", "active",
                                                                                            "overdue"]}},
            "attachments": {"type": "array", "items": _ref("Attachment")},
            "comments": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "author": {"type": "string"}, "body": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"}}}},
        },
    },
    "StartedInstance": {
        "type": "object",
        "properties": {"instance": _ref("Instance"), "open_tasks": {"type": "array", "items": _ref("Task")}},
    },
    "Event": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "type": {"type": "string"},
            "occurred_at": {"type": "string", "format": "date-time"},
            "actor": {"type": "string"},
            "task_id": _nullable("string"),
            "payload": {"type": "object"},
            "prev_hash": {"type": "string", "description": "The previous event's hash in this instance's chain."},
            "hash": {"type": "string", "description": "SHA-256 over this event's content and prev_hash."},
        },
    },
    "EventList": {
        "type": "object",
        "properties": {
            "instance_id": {"type": "integer"},
            "events": {"type": "array", "items": _ref("Event")},
            "chain_intact": {"type": "boolean"},
            "first_broken_event": _nullable("integer"),
        },
    },
    "StartRequest": {
        "type": "object",
        "required": ["process"],
        "additionalProperties": False,
        "properties": {"process": {"type": "string", "enum": ["ppid_publikasi"]}},
    },
    "Validation": {
        "type": "object",
        "properties": {
            "valid": {"type": "boolean"},
            "problems": {"type": "array", "items": {"type": "object", "properties": {
                "element_id": _nullable("string", description="The diagram element the problem is on."),
                "rule": {"type": "string"},
                "message": {"type": "string", "description": "In Indonesian."}}}},
        },
    },
    "StepData": {
        "type": "object",
        "description": "The step's fields by name, as GET /tasks/{task_id} lists them (`step.fields`).",
        "additionalProperties": True,
    },
}

RESPONSES = {
    "BadRequest": _json(_ref("Error"), "Malformed query or body (e.g. invalid JSON)."),
    "Unauthorized": _json(_ref("Error"), "No bearer token, or an unknown, expired or revoked one."),
    "Forbidden": _json(_ref("Error"), "The caller's role or office does not allow this (auditors only read)."),
    "NotFound": _json(_ref("Error"), "No such task or instance."),
    "Conflict": _json(_ref("Error"), "The task is already done, claimed by another, or changed meanwhile."),
    "UnsupportedMediaType": _json(_ref("Error"), "The body is not application/json."),
    "Unprocessable": _json(_ref("Error"), "The data does not satisfy the step; `fields` says why per field."),
}


SCHEMAS["Incident"] = {
    "type": "object",
    "description": "A step the engine ran by itself (a timer, a service task) that failed; the instance waits there.",
    "properties": {
        "id": {"type": "integer"},
        "instance_id": _nullable("integer", description="None for a failed start of a timed process."),
        "instance_title": _nullable("string"),
        "process_id": {"type": "string"},
        "element_id": {"type": "string", "description": "The diagram element (or timer) that failed."},
        "element_name": {"type": "string"},
        "message": {"type": "string", "description": "The latest failure."},
        "status": {"type": "string", "enum": ["open", "resolved"]},
        "attempts": {"type": "integer"},
        "opened_at": {"type": "string", "format": "date-time"},
        "failed_at": {"type": "string", "format": "date-time"},
        "resolved_at": _nullable("string", format="date-time"),
        "resolved_by": _nullable("string"),
    },
}
SCHEMAS["IncidentList"] = {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Incident")}}}
INCIDENT_ID = {"name": "incident_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _operation(summary: str, ok: dict[str, Any], errors: dict[str, Any], parameters: list[dict[str, Any]] | None = None,
               body: str | None = None, status: str = "200", tag: str = "tasks") -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {status: ok, **errors}}
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return operation


PATHS: dict[str, Any] = {
    "/openapi.json": {"get": {"summary": "This document", "tags": ["meta"], "security": [],
                              "responses": {"200": {"description": "The OpenAPI 3.1 document.",
                                                    "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/tasks": {"get": _operation(
        "The caller's inbox: open tasks of the caller's lanes (PPID Pembantu: own office only), overdue first",
        _json(_ref("TaskPage"), "One page of tasks."), READ_ERRORS,
        [{"name": "scope", "in": "query", "schema": {"type": "string", "enum": ["all", "mine", "unclaimed",
                                                                                "overdue"], "default": "all"}},
         {"name": "lane", "in": "query", "schema": {"type": "string"}},
         {"name": "opd", "in": "query", "schema": {"type": "string"}},
         {"name": "after", "in": "query", "schema": {"type": "string"},
          "description": "The `next` cursor of the page before: the page after it."},
         {"name": "before", "in": "query", "schema": {"type": "string"},
          "description": "The `previous` cursor of the page after: the page before it."}, PER_PAGE])},
    "/tasks/{task_id}": {"get": _operation(
        "One task: the step's fields, required input, output and time standard, and the task's data",
        _json(_ref("TaskDetail"), "The task."), READ_ERRORS, [TASK_ID])},
    "/tasks/{task_id}/claim": {"post": _operation(
        "Claim a task of the caller's lane", _json(_ref("TaskAnswer"), "The claimed task."), WRITE_ERRORS,
        [TASK_ID])},
    "/tasks/{task_id}/release": {"post": _operation(
        "Give a claimed task back to the lane", _json(_ref("TaskAnswer"), "The released task."), WRITE_ERRORS,
        [TASK_ID])},
    "/tasks/{task_id}/complete": {"post": _operation(
        "Complete a task with the step's data; a second completion is refused with 409",
        _json(_ref("TaskAnswer"), "The completed task."), BODY_ERRORS, [TASK_ID], body="StepData")},
    "/instances": {
        "get": _operation("Instances the caller may see, newest first", _json(_ref("InstancePage"), "One page."),
                          READ_ERRORS,
                          [{"name": "status", "in": "query", "schema": {"type": "string"}},
                           {"name": "process", "in": "query", "schema": {"type": "string"}},
                           {"name": "q", "in": "query", "schema": {"type": "string"},
                            "description": "Text in the title or office."}, PAGE, PER_PAGE], tag="instances"),
        "post": _operation("Start a publication plan (PPID Utama)", _json(_ref("StartedInstance"), "Started."),
                           BODY_ERRORS, body="StartRequest", status="201", tag="instances"),
    },
    "/instances/{instance_id}": {"get": _operation(
        "An instance's state, tasks, files and comments (another office's item: 403)",
        _json(_ref("InstanceDetail"), "The instance."), READ_ERRORS, [INSTANCE_ID], tag="instances")},
    "/instances/{instance_id}/events": {"get": _operation(
        "An instance's hash-chained history", _json(_ref("EventList"), "Its events, oldest first."), READ_ERRORS,
        [INSTANCE_ID], tag="instances")},
    "/incidents": {"get": _operation(
        "Incidents (Admin, Pemilik Proses), newest first: open ones unless `status` says otherwise",
        _json(_ref("IncidentList"), "The incidents."), READ_ERRORS,
        [{"name": "status", "in": "query", "schema": {"type": "string", "enum": ["open", "resolved", "all"],
                                                      "default": "open"}}], tag="incidents")},
    "/incidents/{incident_id}/retry": {"post": _operation(
        "Run the failed step again (Admin, Pemilik Proses): resolved on success, else still open",
        _json(_ref("Incident"), "The incident after the retry."), WRITE_ERRORS, [INCIDENT_ID], tag="incidents")},
    "/processes/{process_id}/validate": {"post": {
        **_operation("Validate a diagram for a process (Pemilik Proses, Admin): every problem, each with its "
                     "element, by the rules deploy applies; nothing is stored",
                     _json(_ref("Validation"), "The problems found (none: it can be deployed)."),
                     {**READ_ERRORS, "415": _error("UnsupportedMediaType")},
                     [{"name": "process_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                     tag="processes"),
        "requestBody": {"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}},
    }},
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sopflow API",
            "version": "1",
            "description": "The PPID publication SOP as a JSON API: the same rules and authorization as the "
                           "staff pages. Authenticate with `Authorization: Bearer <token>` (`sopflow token create "
                           "USER`); a session cookie does not authenticate. Errors are `{\"error\": message}`.",
        },
        "servers": [{"url": SERVER_PREFIX}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A token from `sopflow token create USER`."}},
            "schemas": SCHEMAS,
            "responses": RESPONSES,
        },
    }

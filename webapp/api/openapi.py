"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json. A test compares its paths with the
routes the app registers, so a new route without a description fails the suite."""

from __future__ import annotations

from typing import Any

from webapp.api.schemas import RESPONSES, SCHEMAS, json_content, ref

SERVER_PREFIX = "/api/v1"


def _error(description: str) -> dict[str, Any]:
    return {"$ref": "#/components/responses/" + description}


TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"},
           "description": "The task's id (the SpiffWorkflow task id)."}
INSTANCE_ID = {"name": "instance_id", "in": "path", "required": True, "schema": {"type": "integer"}}
INSTANCE_CURSORS = [
    {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 1},
     "description": "The `next` of the page before: the instances older than that id."},
    {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1},
     "description": "The `previous` of the page after: the instances newer than that id."},
]
PER_PAGE = {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                          "default": 25}}

READ_ERRORS = {"400": _error("BadRequest"), "401": _error("Unauthorized"), "403": _error("Forbidden"),
               "404": _error("NotFound")}
WRITE_ERRORS = {**READ_ERRORS, "409": _error("Conflict")}
BODY_ERRORS = {**WRITE_ERRORS, "415": _error("UnsupportedMediaType"), "422": _error("Unprocessable")}

INCIDENT_ID = {"name": "incident_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _operation(summary: str, ok: dict[str, Any], errors: dict[str, Any], parameters: list[dict[str, Any]] | None = None,
               body: str | None = None, status: str = "200", tag: str = "tasks") -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {status: ok, **errors}}
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
    return operation


PATHS: dict[str, Any] = {
    "/openapi.json": {"get": {"summary": "This document", "tags": ["meta"], "security": [],
                              "responses": {"200": {"description": "The OpenAPI 3.1 document.",
                                                    "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/tasks": {"get": _operation(
        "The caller's inbox: open tasks of the caller's lanes (PPID Pembantu: own office only), overdue first",
        json_content(ref("TaskPage"), "One page of tasks."), READ_ERRORS,
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
        json_content(ref("TaskDetail"), "The task."), READ_ERRORS, [TASK_ID])},
    "/tasks/{task_id}/claim": {"post": _operation(
        "Claim a task of the caller's lane", json_content(ref("TaskAnswer"), "The claimed task."), WRITE_ERRORS,
        [TASK_ID])},
    "/tasks/{task_id}/release": {"post": _operation(
        "Give a claimed task back to the lane", json_content(ref("TaskAnswer"), "The released task."), WRITE_ERRORS,
        [TASK_ID])},
    "/tasks/{task_id}/complete": {"post": _operation(
        "Complete a task with the step's data; a second completion is refused with 409",
        json_content(ref("TaskAnswer"), "The completed task."), BODY_ERRORS, [TASK_ID], body="StepData")},
    "/instances": {
        "get": _operation("Instances the caller may see, newest first", json_content(ref("InstancePage"), "One page."),
                          READ_ERRORS,
                          [{"name": "status", "in": "query", "schema": {"type": "string"}},
                           {"name": "process", "in": "query", "schema": {"type": "string"}},
                           {"name": "q", "in": "query", "schema": {"type": "string"},
                            "description": "Text in the title or office."}, *INSTANCE_CURSORS, PER_PAGE],
                          tag="instances"),
        "post": _operation("Start a publication plan (PPID Utama)", json_content(ref("StartedInstance"), "Started."),
                           BODY_ERRORS, body="StartRequest", status="201", tag="instances"),
    },
    "/instances/{instance_id}": {"get": _operation(
        "An instance's state, tasks, files and comments (another office's item: 403)",
        json_content(ref("InstanceDetail"), "The instance."), READ_ERRORS, [INSTANCE_ID], tag="instances")},
    "/instances/{instance_id}/events": {"get": _operation(
        "An instance's hash-chained history", json_content(ref("EventList"), "Its events, oldest first."), READ_ERRORS,
        [INSTANCE_ID], tag="instances")},
    "/incidents": {"get": _operation(
        "Incidents (Admin, Pemilik Proses), newest first: open ones unless `status` says otherwise",
        json_content(ref("IncidentList"), "The incidents."), READ_ERRORS,
        [{"name": "status", "in": "query", "schema": {"type": "string", "enum": ["open", "resolved", "all"],
                                                      "default": "open"}}], tag="incidents")},
    "/incidents/{incident_id}/retry": {"post": _operation(
        "Run the failed step again (Admin, Pemilik Proses): resolved on success, else still open",
        json_content(ref("Incident"), "The incident after the retry."), WRITE_ERRORS, [INCIDENT_ID], tag="incidents")},
    "/processes/{process_id}/validate": {"post": {
        **_operation("Validate a diagram for a process (Pemilik Proses, Admin): every problem, each with its "
                     "element, by the rules deploy applies; nothing is stored",
                     json_content(ref("Validation"), "The problems found (none: it can be deployed)."),
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

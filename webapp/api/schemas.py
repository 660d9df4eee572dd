"""The schemas and shared responses of the OpenAPI description (webapp/api/openapi.py)."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def json_content(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}



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
            "step": nullable("string", description="The SOP step number."),
            "name": {"type": "string"},
            "lane": nullable("string"),
            "opd": nullable("string", description="The regional office the item belongs to."),
            "item": nullable("string", description="The planned item's title."),
            "status": {"type": "string", "enum": ["ready", "claimed", "completed", "withdrawn"]},
            "claimed_by": nullable("string"),
            "ready_at": {"type": "string", "format": "date-time"},
            "due_at": nullable("string", format="date-time"),
            "overdue": {"type": "boolean"},
            "time_standard": nullable("string", description="ISO 8601 duration, e.g. PT90M."),
            "finished_at": nullable("string", format="date-time"),
            "finished_by": nullable("string"),
        },
    },
    "FormField": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": ["text", "longtext", "url", "date", "nip", "check", "items",
                                                "choice", "office"]},
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
            "step": nullable("string"),
            "lane": nullable("string"),
            "required_input": nullable("string", description="Kelengkapan: what the step needs."),
            "output": nullable("string"),
            "time_standard": nullable("string"),
            "url_check_field": nullable("string", description="The field whose address the server requests."),
            "fields": {"type": "array", "items": ref("FormField")},
        },
    },
    "TaskDetail": {
        "type": "object",
        "properties": {
            "task": ref("Task"),
            "step": ref("Step"),
            "data": {"type": "object", "description": "The data the task carries (e.g. the verifier's reasons)."},
            "instance": ref("Instance"),
            "case_file": ref("CaseFile"),
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
                     "items": {"type": "array", "items": ref("CaseValue")}},
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
            "removed_by": nullable("string"),
            "removed_at": nullable("string", format="date-time"),
            "removal_reason": nullable("string"),
        },
    },
    "CaseEntry": {
        "type": "object",
        "description": "One completed step: who, when, what was submitted.",
        "properties": {
            "task_id": nullable("string"),
            "step": nullable("string"),
            "name": {"type": "string"},
            "actor": {"type": "string"},
            "actor_name": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "values": {"type": "array", "items": ref("CaseValue")},
            "attachments": {"type": "array", "items": ref("CaseAttachment")},
        },
    },
    "CaseFile": {
        "type": "object",
        "description": "What the item's earlier steps recorded, per round (a round ends when the item is sent back).",
        "properties": {
            "plan": {"oneOf": [ref("CaseEntry"), {"type": "null"}],
                     "description": "The plan's step with this item's own row only."},
            "rounds": {"type": "array", "items": {"type": "object", "properties": {
                "number": {"type": "integer"},
                "returned_by": nullable("string", description="The flow that sent the item back."),
                "entries": {"type": "array", "items": ref("CaseEntry")},
            }}},
            "open_attachments": {"type": "array", "items": ref("CaseAttachment")},
        },
    },
    "TaskAnswer": {"type": "object", "properties": {"task": ref("Task")}},
    "TaskPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref("Task")},
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
            "parent_id": nullable("integer", description="The plan that started this item."),
            "title": nullable("string"),
            "opd": nullable("string"),
            "status": {"type": "string", "description": "running, completed or cancelled"},
            "current_task": nullable("string"),
            "current_lane": nullable("string"),
            "due_at": nullable("string", format="date-time"),
            "started_by": {"type": "string"},
            "started_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "finished_at": nullable("string", format="date-time"),
        },
    },
    "InstancePage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref("Instance")},
            "total": {"type": "integer"},
            "per_page": {"type": "integer"},
            "next": nullable("integer", description="`after` for the following page; null on the last."),
            "previous": nullable("integer", description="`before` for the page before; null on the first."),
        },
    },
    "Attachment": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "task_id": nullable("string"),
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
            "instance": ref("Instance"),
            "definition": {"type": "object", "properties": {"id": {"type": "integer"}, "process": {"type": "string"},
                                                            "name": {"type": "string"},
                                                            "version": {"type": "integer"}}},
            "parent": {"oneOf": [ref("Instance"), {"type": "null"}]},
            "children": {"type": "array", "items": ref("Instance")},
            "open_tasks": {"type": "array", "items": ref("Task")},
            "tasks": {"type": "array", "items": ref("Task"), "description": "Every task, done ones included."},
            "marks": {"type": "object", "additionalProperties": {"type": "string", "enum": ["done", "active",
                                                                                            "overdue"]}},
            "attachments": {"type": "array", "items": ref("Attachment")},
            "comments": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "author": {"type": "string"}, "body": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"}}}},
        },
    },
    "StartedInstance": {
        "type": "object",
        "properties": {"instance": ref("Instance"), "open_tasks": {"type": "array", "items": ref("Task")}},
    },
    "Event": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "type": {"type": "string"},
            "occurred_at": {"type": "string", "format": "date-time"},
            "actor": {"type": "string"},
            "task_id": nullable("string"),
            "payload": {"type": "object"},
            "prev_hash": {"type": "string", "description": "The previous event's hash in this instance's chain."},
            "hash": {"type": "string", "description": "SHA-256 over this event's content and prev_hash."},
        },
    },
    "EventList": {
        "type": "object",
        "properties": {
            "instance_id": {"type": "integer"},
            "events": {"type": "array", "items": ref("Event")},
            "chain_intact": {"type": "boolean"},
            "first_broken_event": nullable("integer"),
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
                "element_id": nullable("string", description="The diagram element the problem is on."),
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
    "BadRequest": json_content(ref("Error"), "Malformed query or body (e.g. invalid JSON)."),
    "Unauthorized": json_content(ref("Error"), "No bearer token, or an unknown, expired or revoked one."),
    "Forbidden": json_content(ref("Error"), "The caller's role or office does not allow this (auditors only read)."),
    "NotFound": json_content(ref("Error"), "No such task or instance."),
    "Conflict": json_content(ref("Error"), "The task is already done, claimed by another, or changed meanwhile."),
    "UnsupportedMediaType": json_content(ref("Error"), "The body is not application/json."),
    "Unprocessable": json_content(ref("Error"), "The data does not satisfy the step; `fields` says why per field."),
}


SCHEMAS["Incident"] = {
    "type": "object",
    "description": "A step the engine ran by itself (a timer, a service task) that failed; the instance waits there.",
    "properties": {
        "id": {"type": "integer"},
        "instance_id": nullable("integer", description="None for a failed start of a timed process."),
        "instance_title": nullable("string"),
        "process_id": {"type": "string"},
        "element_id": {"type": "string", "description": "The diagram element (or timer) that failed."},
        "element_name": {"type": "string"},
        "message": {"type": "string", "description": "The latest failure."},
        "status": {"type": "string", "enum": ["open", "resolved"]},
        "attempts": {"type": "integer"},
        "opened_at": {"type": "string", "format": "date-time"},
        "failed_at": {"type": "string", "format": "date-time"},
        "resolved_at": nullable("string", format="date-time"),
        "resolved_by": nullable("string"),
    },
}
SCHEMAS["IncidentList"] = {"type": "object", "properties": {"items": {"type": "array", "items": ref("Incident")}}}

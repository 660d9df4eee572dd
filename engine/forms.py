"""A step's form, read from the diagram's `form.<field>` properties, and validation of submitted data.

A property value reads `TYPE|REQUIREMENT|LABEL`: TYPE is text, longtext, url, date, items or
choice:a,b,c; REQUIREMENT is required, optional or `required if FIELD=VALUE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlparse

from engine.errors import InvalidTaskData

FIELD_PREFIX = "form."
SIMPLE_KINDS = ("text", "longtext", "url", "date", "items")
ITEM_KEYS = ("judul", "opd")
MAX_TEXT = 10_000


@dataclass(frozen=True)
class FormField:
    name: str
    kind: str
    label: str
    required: bool
    required_if: tuple[str, str] | None = None
    choices: tuple[str, ...] = ()


def parse_field(name: str, spec: str) -> FormField:
    """ValueError with the reason when the property does not follow the format."""
    parts = [part.strip() for part in spec.split("|")]
    if len(parts) != 3:
        raise ValueError(f"form field {name!r}: expected TYPE|REQUIREMENT|LABEL, got {spec!r}")
    kind, requirement, label = parts
    choices: tuple[str, ...] = ()
    if kind.startswith("choice:"):
        choices = tuple(c.strip() for c in kind[len("choice:"):].split(",") if c.strip())
        kind = "choice"
        if not choices:
            raise ValueError(f"form field {name!r}: a choice needs at least one option")
    elif kind not in SIMPLE_KINDS:
        raise ValueError(f"form field {name!r}: unknown type {kind!r}")
    required_if = None
    if requirement.startswith("required if "):
        other, sep, value = requirement[len("required if "):].partition("=")
        if not sep or not other.strip() or not value.strip():
            raise ValueError(f"form field {name!r}: expected 'required if FIELD=VALUE', got {requirement!r}")
        required_if = (other.strip(), value.strip())
    elif requirement not in ("required", "optional"):
        raise ValueError(f"form field {name!r}: unknown requirement {requirement!r}")
    if not label:
        raise ValueError(f"form field {name!r}: the label is empty")
    return FormField(name, kind, label, requirement == "required", required_if, choices)


def fields_from_properties(properties: dict[str, str]) -> tuple[FormField, ...]:
    return tuple(
        parse_field(key[len(FIELD_PREFIX):], value)
        for key, value in properties.items()
        if key.startswith(FIELD_PREFIX)
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def _check_value(field: FormField, value: Any) -> tuple[Any, str | None]:
    """The cleaned value and an error message (None when valid)."""
    if field.kind == "items":
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            return value, "must be a list of items, each with judul and opd"
        cleaned = []
        for index, item in enumerate(value, start=1):
            missing = [key for key in ITEM_KEYS if not isinstance(item.get(key), str) or not item[key].strip()]
            if missing:
                return value, f"item {index} lacks {', '.join(missing)}"
            cleaned.append({key: str(val).strip() for key, val in item.items()})
        return cleaned, None
    if not isinstance(value, str):
        return value, "must be text"
    value = value.strip()
    if len(value) > MAX_TEXT:
        return value, f"is longer than {MAX_TEXT} characters"
    if field.kind == "choice" and value not in field.choices:
        return value, f"must be one of: {', '.join(field.choices)}"
    if field.kind == "url":
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            return value, "must be an http(s) address"
    if field.kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return value, "must be a date (YYYY-MM-DD)"
    return value, None


def validate_submission(fields: tuple[FormField, ...], data: dict[str, Any]) -> dict[str, Any]:
    """Check data against the step's form; returns the cleaned values of the form's fields only."""
    if not isinstance(data, dict):
        raise InvalidTaskData("task data must be an object of field values")
    known = {field.name for field in fields}
    errors = {name: "is not a field of this step" for name in data if name not in known}
    cleaned: dict[str, Any] = {}
    for field in fields:
        value = data.get(field.name)
        required = field.required or (
            field.required_if is not None and data.get(field.required_if[0]) == field.required_if[1]
        )
        if _blank(value):
            if required:
                errors[field.name] = "is required"
            continue
        cleaned[field.name], error = _check_value(field, value)
        if error:
            errors[field.name] = error
    if errors:
        summary = "; ".join(f"{name} {message}" for name, message in errors.items())
        raise InvalidTaskData(f"the submitted data does not satisfy the step: {summary}", errors)
    return cleaned

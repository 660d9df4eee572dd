"""Turning a submitted HTML form into the data a step's fields expect, and choice labels for display."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from engine.diagrams.forms import ITEM_KEYS, FormField

ITEM_ROW = re.compile(r"^(?P<field>[a-z_]+)-(?P<index>\d{1,3})-(?P<key>[a-z_]+)$")


def choice_label(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _items(field: FormField, form: MultiDict[str, str]) -> list[dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for name, value in form.items():
        match = ITEM_ROW.match(name)
        if match and match["field"] == field.name and match["key"] in ITEM_KEYS:
            rows.setdefault(int(match["index"]), {})[match["key"]] = value
    return [row for _, row in sorted(rows.items()) if any(v.strip() for v in row.values())]


def form_data(fields: tuple[FormField, ...], form: MultiDict[str, str]) -> dict[str, Any]:
    """Only the step's own fields are read; a checkbox is True when ticked."""
    data: dict[str, Any] = {}
    for field in fields:
        if field.kind == "check":
            data[field.name] = field.name in form
        elif field.kind == "items":
            data[field.name] = _items(field, form)
        elif field.name in form:
            data[field.name] = form[field.name]
    return data

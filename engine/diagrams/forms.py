"""A step's form, read from the diagram's `form.<field>` properties, and validation of submitted data.

A property value reads `TYPE|REQUIREMENT|LABEL`: TYPE is text, longtext, url, date, nip, check, items or
choice:a,b,c where each option may carry its label (`choice:sesuai=Sesuai,belum_sesuai=Belum sesuai`);
REQUIREMENT is required, optional or `required if FIELD=VALUE`. A required check must be ticked.

Field errors are message templates with parameters, so the web layer can show them in the user's language.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any
from urllib.parse import urlparse

from engine.errors import InvalidTaskData

FIELD_PREFIX = "form."
SIMPLE_KINDS = ("text", "longtext", "url", "date", "nip", "check", "items", "office")  # office: an active OPD
DIP_CLASSES = ("berkala", "serta_merta", "setiap_saat", "dikecualikan")
ITEM_REQUIRED_KEYS = ("judul", "opd", "kelas_dip", "tanggal_target")
ITEM_KEYS = (*ITEM_REQUIRED_KEYS, "ringkasan")
ITEM_DATE_KEYS = ("tanggal_target",)
MAX_TEXT = 10_000
NIP_DIGITS = 18


@dataclass(frozen=True)
class FieldError:
    """`template` is an English message with %(name)s parameters; str() gives it filled in."""

    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template % self.params


@dataclass(frozen=True)
class FormField:
    name: str
    kind: str
    label: str
    required: bool
    required_if: tuple[str, str] | None = None
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()

    def label_of(self, code: str) -> str:
        """What a person reads for a choice: its label in the diagram, else the code humanised."""
        labels = dict(zip(self.choices, self.choice_labels, strict=False))
        return labels.get(code) or humanise(code)


def humanise(code: str) -> str:
    return code.replace("_", " ").strip().capitalize()


def _parse_choices(name: str, options: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    pairs = [option.partition("=") for option in options.split(",") if option.strip()]
    if not pairs:
        raise ValueError(f"form field {name!r}: a choice needs at least one option")
    codes = tuple(code.strip() for code, _, _ in pairs)
    if not all(codes):
        raise ValueError(f"form field {name!r}: a choice option has no code")
    return codes, tuple(label.strip() or humanise(code) for code, _, label in pairs)


def parse_field(name: str, spec: str) -> FormField:
    """ValueError with the reason when the property does not follow the format."""
    parts = [part.strip() for part in spec.split("|")]
    if len(parts) != 3:
        raise ValueError(f"form field {name!r}: expected TYPE|REQUIREMENT|LABEL, got {spec!r}")
    kind, requirement, label = parts
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()
    if kind.startswith("choice:"):
        choices, choice_labels = _parse_choices(name, kind[len("choice:"):])
        kind = "choice"
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
    return FormField(name, kind, label, requirement == "required", required_if, choices, choice_labels)


def fields_from_properties(properties: dict[str, str]) -> tuple[FormField, ...]:
    return tuple(
        parse_field(key[len(FIELD_PREFIX):], value)
        for key, value in properties.items()
        if key.startswith(FIELD_PREFIX)
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ItemRules:
    """What a plan row is checked against beyond its shape: the active offices (read only by a form that names
    an office) and today's (local) date."""

    read_offices: Callable[[], Collection[str]]
    today: date

    @cached_property
    def offices(self) -> Collection[str]:
        return self.read_offices()


def _check_item(index: int, item: dict[str, Any],
                rules: ItemRules | None) -> tuple[dict[str, str], FieldError | None]:
    unknown = [key for key in item if key not in ITEM_KEYS]
    if unknown:
        return {}, FieldError("item %(index)d has an unknown key %(key)s", {"index": index, "key": unknown[0]})
    if not all(isinstance(val, str) for val in item.values()):
        return {}, FieldError("item %(index)d: every value must be text", {"index": index})
    cleaned = {key: str(val).strip() for key, val in item.items() if str(val).strip()}
    missing = [key for key in ITEM_REQUIRED_KEYS if key not in cleaned]
    if missing:
        return cleaned, FieldError("item %(index)d lacks %(keys)s", {"index": index, "keys": ", ".join(missing)})
    if cleaned["kelas_dip"] not in DIP_CLASSES:
        return cleaned, FieldError("item %(index)d: the DIP class must be one of: %(choices)s",
                                   {"index": index, "choices": ", ".join(DIP_CLASSES)})
    if not _is_date(cleaned["tanggal_target"]):
        return cleaned, FieldError("item %(index)d: the target date must be a date (YYYY-MM-DD)", {"index": index})
    if rules is not None and cleaned["opd"] not in rules.offices:
        return cleaned, FieldError("item %(index)d: unknown office %(name)s; choose one from the list",
                                   {"index": index, "name": cleaned["opd"]})
    if rules is not None and date.fromisoformat(cleaned["tanggal_target"]) < rules.today:
        return cleaned, FieldError("item %(index)d: the target date %(date)s is in the past",
                                   {"index": index, "date": cleaned["tanggal_target"]})
    if any(len(val) > MAX_TEXT for val in cleaned.values()):
        return cleaned, FieldError("item %(index)d: a value is longer than %(limit)d characters",
                                   {"index": index, "limit": MAX_TEXT})
    return cleaned, None


def _check_value(field: FormField, value: Any, rules: ItemRules | None) -> tuple[Any, FieldError | None]:
    """The cleaned value and an error (None when valid)."""
    if field.kind == "items":
        if not isinstance(value, list) or not value or not all(isinstance(item, dict) for item in value):
            return value, FieldError("must be a list of one or more items")
        cleaned = []
        for index, item in enumerate(value, start=1):
            cleaned_item, error = _check_item(index, item, rules)
            if error:
                return value, error
            cleaned.append(cleaned_item)
        return cleaned, None
    if field.kind == "check":
        if not isinstance(value, bool):
            return value, FieldError("must be true or false")
        return value, None
    if not isinstance(value, str):
        return value, FieldError("must be text")
    value = value.strip()
    if len(value) > MAX_TEXT:
        return value, FieldError("is longer than %(limit)d characters", {"limit": MAX_TEXT})
    if field.kind == "choice" and value not in field.choices:
        choices = ", ".join(field.label_of(c) for c in field.choices)
        return value, FieldError("must be one of: %(choices)s", {"choices": choices})
    if field.kind == "url":
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            return value, FieldError("must be an http(s) address")
    if field.kind == "date" and not _is_date(value):
        return value, FieldError("must be a date (YYYY-MM-DD)")
    if field.kind == "office" and rules is not None and value not in rules.offices:
        return value, FieldError("unknown office %(name)s; choose one from the list", {"name": value})
    if field.kind == "nip":
        value = value.replace(" ", "")
        if not value.isdigit() or len(value) != NIP_DIGITS:
            return value, FieldError("must be an NIP of %(digits)d digits", {"digits": NIP_DIGITS})
    return value, None


def validate_submission(fields: tuple[FormField, ...], data: dict[str, Any],
                        rules: ItemRules | None = None) -> dict[str, Any]:
    """Check data against the step's form; returns the cleaned values of the form's fields only."""
    if not isinstance(data, dict):
        raise InvalidTaskData("task data must be an object of field values")
    known = {form_field.name for form_field in fields}
    errors = {name: FieldError("is not a field of this step") for name in data if name not in known}
    cleaned: dict[str, Any] = {}
    for form_field in fields:
        value = data.get(form_field.name)
        required = form_field.required or (
            form_field.required_if is not None and data.get(form_field.required_if[0]) == form_field.required_if[1]
        )
        if form_field.kind == "check" and required and value is not True:
            errors[form_field.name] = FieldError("must be confirmed")
            continue
        if _blank(value):
            if required:
                errors[form_field.name] = FieldError("is required")
            continue
        cleaned[form_field.name], error = _check_value(form_field, value, rules)
        if error:
            errors[form_field.name] = error
    if errors:
        summary = "; ".join(f"{name} {message}" for name, message in errors.items())
        raise InvalidTaskData("The submitted data does not satisfy the step: %(summary)s", errors, summary=summary)
    return cleaned

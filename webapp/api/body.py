"""Reading a request body as JSON with limits Python's json module does not have: nesting depth (its recursion
would end in a RecursionError, a 500), overlong numbers, NaN and Infinity."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40


class BodyRefused(ValueError):
    """The body is not a JSON object this API takes; the message says why."""


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting outside strings, without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _number(text: str) -> float | int:
    if len(text) > MAX_NUMBER_CHARS:
        raise BodyRefused(f"a number in the body has {len(text)} characters; at most {MAX_NUMBER_CHARS} are taken")
    value = float(text) if any(c in text for c in ".eE") else int(text)
    if value in (float("inf"), float("-inf")):
        raise BodyRefused(f"the number {text} is too large")
    return value


def _constant(name: str) -> Any:
    raise BodyRefused(f"{name} is not a JSON number")


def parse_object(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyRefused("the body is not UTF-8 text") from None
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise BodyRefused(f"the body is nested {depth} levels deep; at most {MAX_DEPTH} are taken")
    try:
        body = json.loads(text, parse_int=_number, parse_float=_number, parse_constant=_constant)
    except BodyRefused:
        raise
    except ValueError as error:
        raise BodyRefused(f"the body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise BodyRefused(f"the body must be a JSON object, not {type(body).__name__}")
    return body

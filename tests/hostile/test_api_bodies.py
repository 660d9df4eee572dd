"""API bodies a parser could choke on: nested too deep, not an object, numbers too large or not numbers,
not UTF-8. Each is a 400 with a reason (never a 500), and the task stays as it was."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from engine.context import EngineContext
from engine.people.tokens import create_token
from tests.engine import flow
from tests.webapp.pages import snapshot
from webapp.api.body import MAX_DEPTH, nesting_depth

BODIES = {
    "deep list": ("[" * 100_000 + "]" * 100_000, "nested 100000 levels deep"),
    "deep object": ('{"a":' * 50_000 + "1" + "}" * 50_000, "nested 50000 levels deep"),
    "just too deep": ('{"ringkasan": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}", f"nested {MAX_DEPTH + 1} levels"),
    "list": ("[1, 2]", "must be a JSON object, not list"),
    "string": ('"ringkasan"', "must be a JSON object, not str"),
    "null": ("null", "must be a JSON object, not NoneType"),
    "huge integer": ('{"ringkasan": ' + "9" * 100_000 + "}", "has 100000 characters"),
    "huge float": ('{"ringkasan": 1e999}', "too large"),
    "NaN": ('{"ringkasan": NaN}', "NaN is not a JSON number"),
    "Infinity": ('{"ringkasan": -Infinity}', "-Infinity is not a JSON number"),
    "broken": ('{"ringkasan": ', "not valid JSON"),
    "empty": ("", "not valid JSON"),
}


@pytest.mark.parametrize("case", list(BODIES))
def test_a_hostile_json_body_is_a_400_with_a_reason(case: str, client: FlaskClient,
                                                     engine_ctx: EngineContext) -> None:
    _, task = flow.reach_step(engine_ctx, 2)
    token = create_token(engine_ctx, "pembantu.dinkes", "uji")
    body, reason = BODIES[case]
    before = snapshot(engine_ctx)
    response = client.post(f"/api/v1/tasks/{task.id}/complete", data=body.encode("utf-8"),
                           content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400, (case, response.status_code)
    assert reason in response.get_json()["error"], (case, response.get_json())
    assert snapshot(engine_ctx) == before


def test_bytes_that_are_not_utf8_are_a_400(client: FlaskClient, engine_ctx: EngineContext) -> None:
    token = create_token(engine_ctx, "ppid.utama", "uji")
    response = client.post("/api/v1/instances", data=b'{"process": "\xff\xfe"}', content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and "UTF-8" in response.get_json()["error"]


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert nesting_depth('{"a": "[[[[{{{{\\"[[["}') == 1
    assert nesting_depth('[{"a": [1, {"b": []}]}]') == 5

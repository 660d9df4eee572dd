"""Hostile text in everything a page shows (comments, plan titles and summaries, step values, display names,
cancel reasons, diagram names and documentation, upload filenames, version notes) comes out as text: visible,
and without an element, attribute or script of its own. Every page, the error pages included, carries the
Content-Security-Policy."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from flask.testing import FlaskClient

from engine.context import EngineContext
from tests.hostile.inert import assert_inert, assert_policy, visible_text
from tests.hostile.payloads import HOSTILE_TASK_NAME, PAYLOAD, SHORT
from tests.hostile.world import HOSTILE_DISPLAY_NAME, HOSTILE_FILENAME, World, hostile_world


@pytest.fixture
def world(engine_ctx: EngineContext) -> World:
    return hostile_world(engine_ctx)


def shown(client: FlaskClient, path: str, *texts: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    html = response.get_data(as_text=True)
    assert_inert(html)
    assert_policy(response.headers)
    text = visible_text(html)
    for expected in texts:
        assert " ".join(expected.split()) in text, (path, expected)
    return html


def test_hostile_text_is_shown_as_text_on_every_page_that_shows_it(world: World, people: Any) -> None:
    utama, pembantu = people("ppid.utama"), people("pembantu.dinkes")
    auditor, owner, admin = people("auditor"), people("pemilik.proses"), people("admin")
    item = f"/instances/{world.item_id}"
    html = shown(utama, item, PAYLOAD, HOSTILE_FILENAME, HOSTILE_TASK_NAME)  # title, comment, file, step name
    assert html.count("pwn-img") >= 2  # the payload is on the page, as text
    shown(utama, f"/instances/{world.cancelled_id}", PAYLOAD, f"Dibatalkan {SHORT}")  # cancel reason
    shown(utama, f"/instances/{world.plan_id}", PAYLOAD, f"Dibatalkan {SHORT}")  # the plan's rows
    shown(utama, "/instances", PAYLOAD)
    shown(pembantu, f"/tasks/{world.step_3_id}", PAYLOAD)  # step 3 shows the item's title
    shown(pembantu, "/tasks", HOSTILE_DISPLAY_NAME)  # own name in the header
    users_page = lxml.html.fromstring(shown(admin, "/admin/users"))
    assert HOSTILE_DISPLAY_NAME in users_page.xpath('//input[@name="display_name"]/@value')
    shown(people("plid.utama"), f"/tasks/{world.step_3_id}", PAYLOAD)
    shown(people("plid.utama"), "/tasks", PAYLOAD)
    shown(auditor, f"/audit/instances/{world.item_id}/record", PAYLOAD, HOSTILE_TASK_NAME)
    shown(auditor, f"/audit/instances/{world.item_id}/replay")
    shown(auditor, f"/audit/instances/{world.cancelled_id}/record", PAYLOAD)
    shown(auditor, "/audit/", PAYLOAD)
    shown(auditor, "/audit/report")
    shown(owner, "/modeler/ppid_publikasi_item")
    shown(owner, "/modeler/ppid_publikasi_item/versions", f"Uji {PAYLOAD}")
    shown(owner, "/modeler/ppid_publikasi_item/sop", HOSTILE_TASK_NAME)


def test_step_form_values_come_back_as_values(world: World, people: Any, engine_ctx: EngineContext) -> None:
    """The form of step 2, reopened after the loop back, holds the hostile values as values."""
    from tests.engine import flow
    from tests.webapp.pages import open_task

    flow.complete(engine_ctx, open_task(engine_ctx, world.item_id), flow.BELUM)
    task = open_task(engine_ctx, world.item_id)
    html = shown(people("pembantu.dinkes"), f"/tasks/{task.id}", HOSTILE_TASK_NAME)
    doc = lxml.html.fromstring(html)
    assert doc.xpath('//textarea[@name="ringkasan"]')[0].text == PAYLOAD
    assert doc.xpath('//input[@name="pejabat_penguasa"]/@value') == [PAYLOAD]


@pytest.mark.parametrize("path", ["/no-such-page", "/instances/999999", "/tasks/nope", "/admin/users"])
def test_error_pages_carry_the_policy_and_no_script(people: Any, path: str) -> None:
    response = people("pembantu.dinkes").get(path)
    assert response.status_code in (403, 404)
    assert_policy(response.headers)
    assert_inert(response.get_data(as_text=True))
    assert "javascript:" not in response.get_data(as_text=True)


def test_login_page_static_files_and_api_carry_the_policy(client: FlaskClient) -> None:
    for path in ("/login", "/static/app.js", "/api/v1/tasks"):
        assert_policy(client.get(path).headers)

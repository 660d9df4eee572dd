"""Hostile diagrams sent by a process owner to the modeler (validate, save draft, deploy) and to the API's
validation: each is refused with an Indonesian message naming what is wrong, and nothing is stored."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.config import Settings
from engine.context import EngineContext
from engine.diagrams.validation import MAX_DOCUMENTATION_CHARS, MAX_NAME_CHARS
from engine.people.tokens import create_token
from engine.store import Definition, Draft
from tests.hostile.payloads import ITEM_DIAGRAM, TASK_2
from tests.webapp.conftest import login, post
from tests.webapp.pages import error_message, snapshot

CAP = 256 * 1024
ORIGINAL = ITEM_DIAGRAM.read_text(encoding="utf-8")
TASK_2_OPEN = (f'<bpmn:userTask id="{TASK_2}" '
               'name="Menyiapkan dan mengidentifikasi data informasi publik sesuai klasifikasi DIP">')


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The diagram size cap from the configuration, smaller than the default."""
    return replace(web_settings, diagram_max_bytes=CAP)


def _with(replacement: str, old: str = TASK_2_OPEN) -> str:
    assert old in ORIGINAL
    return ORIGINAL.replace(old, replacement, 1)


def _inside_task_2(fragment: str) -> str:
    return _with(TASK_2_OPEN + fragment)


DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>"
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
          '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]>')
HOSTILE: dict[str, tuple[str, str]] = {
    "xxe": (ORIGINAL.replace(DECLARATION, DECLARATION + '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
            .replace('name="Item rencana"', 'name="&x;"'), "DTD"),
    "billion laughs": (ORIGINAL.replace(DECLARATION, LAUGHS)
                       .replace('name="Item rencana"', 'name="&lol3;"'), "DTD"),
    "external entity without a DTD": (ORIGINAL.replace('name="Item rencana"', 'name="&x;"'), "XML"),
    "huge task name": (_with(TASK_2_OPEN.replace('name="Menyiapkan', 'name="' + "A" * 200_000)),
                       f"nama elemen {TASK_2} terlalu panjang: 200066 karakter, paling banyak {MAX_NAME_CHARS}"),
    "long task name": (_with(TASK_2_OPEN.replace('name="Menyiapkan', 'name="' + "A" * MAX_NAME_CHARS)),
                       f"nama elemen {TASK_2} terlalu panjang"),
    "huge documentation": (_inside_task_2(f"<bpmn:documentation>{'B' * (MAX_DOCUMENTATION_CHARS + 1)}"
                                          "</bpmn:documentation>"),
                           f"dokumentasi elemen {TASK_2} terlalu panjang"),
    "deep nesting": (_inside_task_2("<bpmn:documentation>" + "<x>" * 5000 + "</x>" * 5000 + "</bpmn:documentation>"),
                     "bukan XML yang valid"),
    "over the configured size": (_inside_task_2(f"<bpmn:documentation>{'C' * 4000}</bpmn:documentation>"
                                                * (CAP // 4000)), f"melebihi batas {CAP} byte"),
    "script task": (ORIGINAL.replace("<bpmn:userTask ", '<bpmn:scriptTask id="S1" scriptFormat="python">'
                                     "<bpmn:script>import os; os.system('id')</bpmn:script></bpmn:scriptTask>"
                                     "<bpmn:userTask ", 1), "S1"),
    "not utf-8": (ORIGINAL.replace("Item rencana", "Item r\udce9ncana"), "UTF-8"),
}


def _counts(ctx: EngineContext) -> dict[str, Any]:
    with ctx.db.session() as session:
        definitions = session.scalar(select(func.count()).select_from(Definition))
        drafts = session.scalar(select(func.count()).select_from(Draft))
    return {**snapshot(ctx), "definitions": definitions, "drafts": drafts}


@pytest.fixture
def tokens(engine_ctx: EngineContext) -> dict[str, str]:
    return {"pemilik.proses": create_token(engine_ctx, "pemilik.proses", "uji")}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_diagram_is_refused_everywhere_with_a_message_and_nothing_stored(
        case: str, client: FlaskClient, engine_ctx: EngineContext, tokens: dict[str, str]) -> None:
    xml, expected = HOSTILE[case]
    body = xml.encode("utf-8", errors="surrogateescape")
    login(client, "pemilik.proses")
    before = _counts(engine_ctx)
    api = client.post("/api/v1/processes/ppid_publikasi_item/validate", data=body, content_type="application/xml",
                      headers={"Authorization": f"Bearer {tokens['pemilik.proses']}"})
    assert api.status_code == 200 and api.get_json()["valid"] is False
    messages = [p["message"] for p in api.get_json()["problems"]]
    assert any(expected in message for message in messages), (case, messages)
    if case != "not utf-8":  # a form field is text: what a browser sends is UTF-8 by then
        path = "/modeler/ppid_publikasi_item"
        checked = post(client, f"{path}/validate", {"xml": xml})
        deployed = post(client, f"{path}/deploy", {"xml": xml, "note": "uji"})
        assert checked.status_code == 200 and any(expected in p["message"] for p in checked.get_json()["problems"])
        assert deployed.status_code == 422, (case, deployed.status_code)
        assert any(expected in p["message"] for p in deployed.get_json()["problems"]), case
    if case in ("xxe", "billion laughs", "deep nesting", "over the configured size"):
        drafted = post(client, "/modeler/ppid_publikasi_item/draft", {"xml": xml})
        assert drafted.status_code == 422 and expected in drafted.get_json()["error"], case
        imported = post(client, "/modeler/ppid_publikasi_item/import", {"file": (io.BytesIO(body), "x.bpmn")},
                        content_type="multipart/form-data")
        assert imported.status_code == 422 and expected in error_message(imported), case
    assert _counts(engine_ctx) == before

"""One language per page: every page a role sees in the Indonesian UI, on a world with data (a loop, a
breach, an incident, an attachment, a cancelled item, items at every step), and the error pages, show no
English message from the engine and no raw code: no ISO duration or month, no snake_case value, no English
engine words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import lxml.html
import pytest
from flask.testing import FlaskClient

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.runtime import comments, instances
from engine.runtime.attachments import add_attachment
from engine.runtime.services import ServiceCall
from engine.runtime.timers import fire_due_timers
from tests.engine import flow
from tests.hostile.payloads import ITEM_DIAGRAM
from tests.webapp.conftest import post
from tests.webapp.pages import advance_item, item_instances, open_task, pdf_bytes, plan_item, submit, website

ISO_DURATION = re.compile(r"\bP(T\d|\d+D)")
ISO_MONTH = re.compile(r"\b20\d\d-\d\d\b")
SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")
ENGLISH = re.compile(r"\b(cannot|already|belongs|not allowed|must|invalid|Errno|completed|claimed|cancelled|"
                     r"withdrawn|running|ready|is not|no such|unknown|refused|deployed?|instance|the|of|with|"
                     r"handler|timer|dry run|(?<!Camunda )modeler|\d+ min|\d+ h)\b", re.IGNORECASE)
ALLOWED_CODES = {"csrf_token"}  # none a person reads; usernames and e-mail addresses have no underscore
TITLES = ("Laporan keuangan semester I", "Daftar informasi berkala", "Profil pejabat", "Rencana strategis",
          "Laporan kinerja", "Agenda kegiatan")


@dataclass(frozen=True)
class World:
    plan_id: int
    looped_id: int
    cancelled_id: int
    step_ids: dict[int, str]
    completed_task: str
    attachment: str


def build_world(ctx: EngineContext, clock: ManualClock) -> World:
    """Items at steps 2 to 6, one looped back from 3 to 2 with a file and a comment, one cancelled, a plan
    waiting at step 1, and a breach of step 2's time standard."""
    with website():
        open_plan = flow.start_publication(ctx)
        plan = flow.start_with_plan(ctx, [plan_item(title, "Dinas Kesehatan", kelas)
                                          for title, kelas in zip(TITLES, ("berkala", "serta_merta", "setiap_saat",
                                                                          "berkala", "berkala", "berkala"),
                                                                  strict=True)])
        looped, *others, cancelled = item_instances(ctx, plan.id)
        step_2 = open_task(ctx, looped.id)
        attachment = add_attachment(ctx, looped.id, step_2.id, "data.pdf", pdf_bytes(), "pembantu.dinkes")
        flow.complete(ctx, step_2, flow.STEP_2)
        flow.complete(ctx, open_task(ctx, looped.id), flow.BELUM)
        comments.add_comment(ctx, looped.id, "Mohon lengkapi ringkasan.", "plid.utama")
        step_ids = {1: flow.the_task(ctx, open_plan.id, "Task_1_Arahan").id, 2: open_task(ctx, looped.id).id}
        for step, item in zip((3, 4, 5, 6), others, strict=True):
            step_ids[step] = advance_item(ctx, item.id, step).id
        instances.cancel_instance(ctx, cancelled.id, "ppid.utama", "Item ganda.")
    clock.advance(timedelta(days=3))
    breach = ctx.handlers["breach_handler"]

    def mail_server_refuses_step_6(call: ServiceCall) -> dict[str, Any]:
        if call.instance.id == others[-1].id:
            raise ConnectionRefusedError(111, "Connection refused")
        return breach(call)

    ctx.handlers["breach_handler"] = mail_server_refuses_step_6
    try:
        assert fire_due_timers(ctx) >= 1  # step 2 of the looped item breaches; step 6's breach is an incident
    finally:
        ctx.handlers["breach_handler"] = breach
    return World(plan.id, looped.id, cancelled.id, step_ids, step_2.id, str(attachment.id))


def visible_text(html: str) -> str:
    """What a person reads: the page without scripts, styles and attributes (input values, hrefs)."""
    tree = lxml.html.fromstring(html)
    for node in tree.xpath("//script|//style|//template"):
        node.drop_tree()
    return " ".join(" ".join(tree.itertext()).split())


def problems_of(text: str) -> list[str]:
    found = [f"ISO duration {m.group(0)!r}" for m in ISO_DURATION.finditer(text)]
    found += [f"ISO month/date {m.group(0)!r}" for m in ISO_MONTH.finditer(text)]
    found += [f"code {m.group(0)!r}" for m in SNAKE_CASE.finditer(text) if m.group(0) not in ALLOWED_CODES]
    found += [f"English {m.group(0)!r}" for m in ENGLISH.finditer(text)]
    return found


def _around(text: str, problem: str) -> str:
    needle = problem.split("'")[1]
    at = text.find(needle)
    return f"{problem}: …{text[max(0, at - 60):at + 60]}…"


def mixed_language(response: Any) -> list[str]:
    text = visible_text(response.get_data(as_text=True))
    return [_around(text, problem) for problem in problems_of(text)]


def assert_one_language(response: Any, path: str) -> None:
    assert mixed_language(response) == [], path


@pytest.fixture
def world(engine_ctx: EngineContext, clock: ManualClock) -> World:
    return build_world(engine_ctx, clock)


def _pages(world: World) -> dict[str, list[str]]:
    item, plan, cancelled = world.looped_id, world.plan_id, world.cancelled_id
    tasks = [f"/tasks/{task_id}" for task_id in world.step_ids.values()]
    return {
        "ppid.utama": ["/tasks", "/instances", f"/instances/{item}", f"/instances/{plan}",
                       f"/instances/{cancelled}", "/notifications", "/notifications/settings",
                       f"/tasks/{world.step_ids[1]}", f"/tasks/{world.step_ids[5]}", f"/tasks/{world.completed_task}"],
        "pembantu.dinkes": ["/tasks", f"/tasks/{world.step_ids[2]}", f"/instances/{item}", "/notifications"],
        "plid.utama": ["/tasks", *tasks[2:5], f"/instances/{item}", "/notifications"],
        "auditor": ["/audit/", "/audit/report", "/audit/report?by=month", "/audit/evaluation",
                    f"/audit/instances/{item}/record", f"/audit/instances/{item}/replay", "/audit/verify",
                    f"/audit/instances/{cancelled}/record"],
        "pemilik.proses": ["/modeler/", "/modeler/ppid_publikasi_item", "/modeler/ppid_publikasi_item/versions",
                           "/modeler/ppid_publikasi_item/sop", "/modeler/sop", "/modeler/tabel", "/incidents/"],
        "admin": ["/admin/users", "/admin/offices", "/admin/outbox", "/admin/tokens", "/incidents/"],
    }


def test_every_page_of_every_role_is_in_indonesian_without_raw_codes(world: World, people: Any) -> None:
    found: dict[str, list[str]] = {}
    for username, paths in _pages(world).items():
        client: FlaskClient = people(username)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (username, path)
            if mixed_language(response):
                found[f"{username} {path}"] = mixed_language(response)
    incidents = visible_text(people("pemilik.proses").get("/incidents/").get_data(as_text=True))
    assert "tidak menjawab atau menolak sambungan" in incidents  # "[Errno 111] Connection refused" in the log only
    assert not found, "\n".join(f"{where}: {problem}" for where, problems in found.items() for problem in problems)


def test_error_pages_are_in_indonesian(world: World, people: Any, engine_ctx: EngineContext) -> None:
    other_office = people("pembantu.disdik").get(f"/instances/{world.looped_id}")
    assert other_office.status_code == 403
    assert_one_language(other_office, "403 another office")
    missing = people("ppid.utama").get("/instances/99999")
    assert missing.status_code == 404
    assert_one_language(missing, "404")
    dinkes = people("pembantu.dinkes")
    task = world.step_ids[2]
    assert submit(dinkes, task, flow.STEP_2).status_code in (200, 302)
    stale = submit(dinkes, task, flow.STEP_2)
    assert stale.status_code == 409
    assert_one_language(stale, "409 stale submission")
    empty = post(people("plid.utama"), f"/instances/{world.looped_id}/comments", {"body": "  "})
    assert empty.status_code in (200, 400, 422)  # an inline answer on the same page is as good
    assert_one_language(empty, "empty comment")
    closed = post(people("ppid.utama"), f"/instances/{world.cancelled_id}/cancel", {"reason": "Lagi."})
    assert closed.status_code == 400
    assert_one_language(closed, "cancelling a cancelled item")


BROKEN_DIAGRAMS = {
    "not XML": "<bpmn:definitions",
    "deep nesting": "<a>" * 300 + "</a>" * 300,
    "no start event": ITEM_DIAGRAM.read_text(encoding="utf-8").replace(
        "<bpmn:startEvent ", "<bpmn:endEvent ").replace("</bpmn:startEvent>", "</bpmn:endEvent>"),
}


@pytest.mark.parametrize("case", list(BROKEN_DIAGRAMS))
def test_problems_of_a_broken_diagram_are_in_indonesian(case: str, people: Any) -> None:
    owner = people("pemilik.proses")
    answer = post(owner, "/modeler/ppid_publikasi_item/validate", {"xml": BROKEN_DIAGRAMS[case]})
    messages = [problem["message"] for problem in answer.get_json()["problems"]]
    assert messages and [m for m in messages if problems_of(m)] == [], messages

"""Who may do what: every role (and an anonymous visitor) against every route of the tasks and admin pages,
another OPD's items included. A refused request leaves the database exactly as it was."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.context import EngineContext
from engine.runtime import attachments, instances
from tests.conftest import PASSWORD, ROOT
from tests.engine import flow
from tests.webapp.conftest import csrf_token, login, post
from tests.webapp.pages import (
    advance_item,
    error_message,
    open_task,
    pdf_bytes,
    plan_item,
    snapshot,
    start_items,
    text_of,
    website,
)

DINKES, DISDIK = "Dinas Kesehatan", "Dinas Pendidikan"
USERS = ["ppid.utama", "plid.utama", "pembantu.dinkes", "pembantu.disdik", "pemilik.proses", "auditor", "admin"]
EVERYONE = frozenset(USERS)
OWNERS = frozenset({"pemilik.proses", "admin"})
READERS = frozenset({"auditor", "ppid.utama", "admin"})
DIAGRAM = (ROOT / "bpmn" / "ppid_publikasi.bpmn").read_text(encoding="utf-8")


@dataclass
class World:
    """One plan whose Dinas Kesehatan items each serve as the target of one action."""

    claim_task: str
    release_task: str
    complete_task: str
    url_task: str
    item_id: int
    cancel_id: int
    attachment_id: str
    removable_id: str  # uploaded by pembantu.dinkes with a step that is still open
    site: str


@pytest.fixture
def site() -> Iterator[str]:
    with website() as address:
        yield address


@pytest.fixture
def world(engine_ctx: EngineContext, site: str) -> World:
    claim, release, complete, url, cancel, _ = start_items(
        engine_ctx,
        plan_item("Item klaim", DINKES),
        plan_item("Item lepas", DINKES),
        plan_item("Item selesai", DINKES),
        plan_item("Item tautan", DINKES),
        plan_item("Item batal", DINKES),
        plan_item("Item pendidikan", DISDIK),
    )
    release_task = open_task(engine_ctx, release.id)
    instances.claim_task(engine_ctx, release_task.id, "pembantu.dinkes")
    stored = attachments.add_attachment(engine_ctx, claim.id, None, "laporan.pdf", pdf_bytes(), "pembantu.dinkes")
    removable = attachments.add_attachment(engine_ctx, release.id, release_task.id, "salah.pdf", pdf_bytes(),
                                           "pembantu.dinkes")
    return World(
        claim_task=open_task(engine_ctx, claim.id).id,
        release_task=release_task.id,
        complete_task=open_task(engine_ctx, complete.id).id,
        url_task=advance_item(engine_ctx, url.id, 6).id,
        item_id=claim.id,
        cancel_id=cancel.id,
        attachment_id=stored.id,
        removable_id=removable.id,
        site=site,
    )


@dataclass(frozen=True)
class Route:
    method: str
    path: Callable[[World], str]
    allowed: frozenset[str]
    ok: int = 200
    data: Callable[[World], dict[str, Any]] = lambda world: {}
    changes: bool | None = False  # an allowed request changes the stored state (None: only when there is any)
    refused: int = 403


ROUTES: dict[str, Route] = {
    "home": Route("GET", lambda w: "/", EVERYONE, ok=302),
    "inbox": Route("GET", lambda w: "/tasks", frozenset(USERS[:4])),
    "task page of a Dinkes item": Route("GET", lambda w: f"/tasks/{w.claim_task}", EVERYONE - {"pembantu.disdik"}),
    "claim a Dinkes step 2": Route("POST", lambda w: f"/tasks/{w.claim_task}/claim", frozenset({"pembantu.dinkes"}),
                                   ok=302, changes=True),
    "release a Dinkes step 2": Route("POST", lambda w: f"/tasks/{w.release_task}/release",
                                     frozenset({"pembantu.dinkes"}), ok=302, changes=True),
    "complete a Dinkes step 2": Route("POST", lambda w: f"/tasks/{w.complete_task}/complete",
                                      frozenset({"pembantu.dinkes"}), ok=302, data=lambda w: dict(flow.STEP_2),
                                      changes=True),
    "check the address at step 6": Route("POST", lambda w: f"/tasks/{w.url_task}/check-url",
                                         frozenset({"plid.utama"}),
                                         data=lambda w: {"tautan_publik": f"{w.site}/informasi/1"}),
    "upload to a Dinkes step 2": Route("POST", lambda w: f"/tasks/{w.claim_task}/attachments",
                                       frozenset({"pembantu.dinkes"}), changes=True,
                                       data=lambda w: {"file": (io.BytesIO(pdf_bytes()), "data.pdf")}),
    "remove an attachment of a Dinkes step 2": Route("POST", lambda w: f"/attachments/{w.removable_id}/remove",
                                                     frozenset({"pembantu.dinkes"}), ok=302, changes=True,
                                                     data=lambda w: {"reason": "Salah berkas."}),
    "download a Dinkes attachment": Route("GET", lambda w: f"/attachments/{w.attachment_id}",
                                          EVERYONE - {"pembantu.disdik"}),
    "publications": Route("GET", lambda w: "/instances", EVERYONE),
    "start a publication": Route("POST", lambda w: "/instances", frozenset({"ppid.utama"}), ok=302, changes=True,
                                 data=lambda w: {"process": "ppid_publikasi"}),
    "page of a Dinkes item": Route("GET", lambda w: f"/instances/{w.item_id}", EVERYONE - {"pembantu.disdik"}),
    "comment on a Dinkes item": Route("POST", lambda w: f"/instances/{w.item_id}/comments",
                                      frozenset({"ppid.utama", "plid.utama", "pembantu.dinkes"}), ok=302,
                                      data=lambda w: {"body": "Mohon dilengkapi."}, changes=True),
    "cancel a Dinkes item": Route("POST", lambda w: f"/instances/{w.cancel_id}/cancel", frozenset({"ppid.utama"}),
                                  ok=302, data=lambda w: {"reason": "Rencana berubah."}, changes=True),
    "notifications": Route("GET", lambda w: "/notifications", EVERYONE),
    "mark notifications read": Route("POST", lambda w: "/notifications/read", EVERYONE - {"auditor"}, ok=302,
                                     changes=None),
    "admin users": Route("GET", lambda w: "/admin/users", frozenset({"admin"})),
    "admin creates a user": Route("POST", lambda w: "/admin/users", frozenset({"admin"}), ok=302, changes=True,
                                  data=lambda w: {"username": "pembantu.dishub", "display_name": "Dishub",
                                                  "email": "dishub@ppid.test", "roles": "ppid_pembantu",
                                                  "opd": "Dinas Perhubungan", "password": "kata-sandi-baru"}),
    "admin edits a user": Route("POST", lambda w: "/admin/users/auditor", frozenset({"admin"}), ok=302, changes=True,
                                data=lambda w: {"display_name": "Inspektorat", "email": "auditor@ppid.test",
                                                "roles": "auditor", "active": "on"}),
    "modeler": Route("GET", lambda w: "/modeler/", OWNERS),
    "modeler editor": Route("GET", lambda w: "/modeler/ppid_publikasi", OWNERS),
    "save a draft": Route("POST", lambda w: "/modeler/ppid_publikasi/draft", OWNERS, data=lambda w: {"xml": DIAGRAM},
                          changes=None),
    "validate a diagram": Route("POST", lambda w: "/modeler/ppid_publikasi/validate", OWNERS,
                                data=lambda w: {"xml": DIAGRAM}),
    "deploy without a note": Route("POST", lambda w: "/modeler/ppid_publikasi/deploy", OWNERS, ok=422,
                                   data=lambda w: {"xml": DIAGRAM}),
    "versions": Route("GET", lambda w: "/modeler/ppid_publikasi/versions", OWNERS),
    "export a diagram": Route("GET", lambda w: "/modeler/ppid_publikasi/export", OWNERS),
    "migrate an item (dry run)": Route("GET", lambda w: f"/modeler/instances/{w.item_id}/migrate?to=1", OWNERS),
    "the SOP document": Route("GET", lambda w: "/modeler/sop", EVERYONE),
    "audit": Route("GET", lambda w: "/audit/", READERS),
    "verify the chain": Route("GET", lambda w: "/audit/verify", READERS),
    "replay a Dinkes item": Route("GET", lambda w: f"/audit/instances/{w.item_id}/replay", READERS),
    "record of a Dinkes item": Route("GET", lambda w: f"/audit/instances/{w.item_id}/record", READERS),
    "events of a Dinkes item": Route("GET", lambda w: f"/audit/instances/{w.item_id}/events", READERS),
    "time standard report": Route("GET", lambda w: "/audit/report", READERS),
    "monthly evaluation": Route("GET", lambda w: "/audit/evaluation", READERS),
}


def _request(client: FlaskClient, route: Route, world: World) -> Any:
    path = route.path(world)
    if route.method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": csrf_token(client), **route.data(world)},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("username", [*USERS, None], ids=[*USERS, "anonymous"])
def test_each_role_gets_exactly_the_routes_it_may_use(
    client: FlaskClient, engine_ctx: EngineContext, world: World, username: str | None
) -> None:
    if username is not None:
        login(client, username)
    wrong: list[str] = []
    for name, route in ROUTES.items():
        before = snapshot(engine_ctx)
        response = _request(client, route, world)
        allowed = username in route.allowed
        expected = (route.ok if allowed else route.refused) if username else 302
        if response.status_code != expected:
            wrong.append(f"{name}: {response.status_code}, expected {expected}")
            continue
        if username is None:
            assert response.headers["Location"].startswith("/login"), name
        elif not allowed:
            assert error_message(response), f"{name}: the refusal page says why"
        if not allowed or route.changes is False:
            assert snapshot(engine_ctx) == before, f"{name} changed the database for {username}"
        elif route.changes:
            assert snapshot(engine_ctx) != before, f"{name} did nothing for {username}"
    assert wrong == []


def test_another_office_sees_none_of_dinkes_items_in_lists(
    client: FlaskClient, engine_ctx: EngineContext, world: World
) -> None:
    login(client, "pembantu.disdik")
    inbox = text_of(client.get("/tasks?scope=all"))
    publications = text_of(client.get("/instances"))
    notifications = text_of(client.get("/notifications"))
    for listing in (inbox, publications):
        assert "Item pendidikan" in listing
    for listing in (inbox, publications, notifications):
        assert "Item klaim" not in listing and "Item tautan" not in listing
        assert DINKES not in listing


def test_another_office_cannot_act_on_or_download_a_dinkes_item(
    client: FlaskClient, engine_ctx: EngineContext, world: World
) -> None:
    login(client, "pembantu.disdik")
    before = snapshot(engine_ctx)
    refused = [
        client.get(f"/tasks/{world.claim_task}"),
        post(client, f"/tasks/{world.claim_task}/claim"),
        post(client, f"/tasks/{world.complete_task}/complete", dict(flow.STEP_2)),
        client.get(f"/attachments/{world.attachment_id}"),
        client.get(f"/instances/{world.item_id}"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert all("laporan.pdf" not in r.get_data(as_text=True) for r in refused)
    assert "%PDF" not in refused[3].get_data(as_text=True)
    assert snapshot(engine_ctx) == before


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing(
    client: FlaskClient, engine_ctx: EngineContext, world: World
) -> None:
    login(client, "pembantu.dinkes")
    before = snapshot(engine_ctx)
    missing = client.post(f"/tasks/{world.complete_task}/complete", data=dict(flow.STEP_2))
    forged = client.post(f"/tasks/{world.claim_task}/claim", data={"csrf_token": "bukan-token-asli"})
    other_session = csrf_token(client.application.test_client())
    stolen = client.post(f"/tasks/{world.claim_task}/claim", data={"csrf_token": other_session})
    admin = client.application.test_client()
    login(admin, "admin")
    no_user = admin.post("/admin/users", data={"username": "penyusup", "display_name": "X", "email": "x@ppid.test",
                                               "roles": "admin", "password": "kata-sandi-penyusup"})
    no_login = client.application.test_client().post("/login", data={"username": "admin", "password": PASSWORD})
    for response in (missing, forged, stolen, no_user, no_login):
        assert response.status_code == 400
        assert "CSRF" in error_message(response) and "Muat ulang halaman" in error_message(response)
    assert snapshot(engine_ctx) == before
    assert open_task(engine_ctx, world.item_id).claimed_by is None


API_ROUTES: dict[str, Route] = {
    "api inbox": Route("GET", lambda w: "/api/v1/tasks", frozenset(USERS[:4])),
    "api task of a Dinkes item": Route("GET", lambda w: f"/api/v1/tasks/{w.claim_task}",
                                       EVERYONE - {"pembantu.disdik"}),
    "api claim a Dinkes step 2": Route("POST", lambda w: f"/api/v1/tasks/{w.claim_task}/claim",
                                       frozenset({"pembantu.dinkes"}), changes=True),
    "api start a publication": Route("POST", lambda w: "/api/v1/instances", frozenset({"ppid.utama"}), ok=201,
                                     data=lambda w: {"process": "ppid_publikasi"}, changes=True),
    "api validate a diagram": Route("POST", lambda w: "/api/v1/processes/ppid_publikasi/validate", OWNERS),
    "api publications": Route("GET", lambda w: "/api/v1/instances", EVERYONE),
    "api a Dinkes item": Route("GET", lambda w: f"/api/v1/instances/{w.item_id}", EVERYONE - {"pembantu.disdik"}),
    "api events of a Dinkes item": Route("GET", lambda w: f"/api/v1/instances/{w.item_id}/events",
                                         EVERYONE - {"pembantu.disdik"}),
}


@pytest.mark.parametrize("username", USERS)
def test_each_role_gets_exactly_the_api_routes_it_may_use(
    client: FlaskClient, engine_ctx: EngineContext, world: World, username: str
) -> None:
    from engine.people.tokens import create_token

    headers = {"Authorization": f"Bearer {create_token(engine_ctx, username, 'matriks')}"}
    wrong: list[str] = []
    for name, route in API_ROUTES.items():
        before = snapshot(engine_ctx)
        path = route.path(world)
        if route.method == "GET":
            response = client.get(path, headers=headers)
        elif "validate" in name:
            response = client.post(path, data=DIAGRAM.encode(), headers={**headers, "Content-Type": "application/xml"})
        else:
            response = client.post(path, json=route.data(world), headers=headers)
        allowed = username in route.allowed
        expected = route.ok if allowed else route.refused
        if response.status_code != expected:
            wrong.append(f"{name}: {response.status_code}, expected {expected}")
            continue
        if not allowed:
            assert response.get_json()["error"], f"{name}: the refusal says why"
        if not allowed or route.changes is False:
            assert snapshot(engine_ctx) == before, f"{name} changed the database for {username}"
        elif route.changes:
            assert snapshot(engine_ctx) != before, f"{name} did nothing for {username}"
    assert wrong == []

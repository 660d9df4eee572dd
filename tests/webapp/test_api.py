"""The JSON API: bearer tokens, a whole publication by the three lanes, the pages' authorization, JSON errors,
and an OpenAPI document that describes every registered route."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.context import EngineContext
from engine.people.tokens import create_token
from engine.runtime import task_list
from engine.store import Event, Instance, WorkItem
from tests.conftest import ROOT
from tests.engine import flow
from tests.webapp.conftest import login
from tests.webapp.pages import website
from webapp import cli

API = "/api/v1"


class Api:
    """A client of the API as one user: each call carries the user's bearer token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(API + path, headers=self.headers, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        if body is not None:
            kwargs["json"] = body
        return self.client.post(API + path, headers=self.headers, **kwargs)


@pytest.fixture
def tokens(engine_ctx: EngineContext) -> dict[str, str]:
    return {name: create_token(engine_ctx, name, "test") for name in
            ("ppid.utama", "plid.utama", "pembantu.dinkes", "pembantu.disdik", "auditor", "admin",
             "pemilik.proses")}


@pytest.fixture
def as_user(client: FlaskClient, tokens: dict[str, str]) -> Any:
    return lambda username: Api(client, tokens[username])


def _events(ctx: EngineContext, instance_id: int, kind: str | None = None) -> int:
    with ctx.db.session() as session:
        statement = select(func.count()).select_from(Event).where(Event.instance_id == instance_id)
        if kind is not None:
            statement = statement.where(Event.type == kind)
        return int(session.scalar(statement) or 0)


def _inbox_task(api: Api, spec_id: str, opd: str | None = None) -> dict[str, Any]:
    listing = api.get("/tasks?per_page=100")
    assert listing.status_code == 200, listing.get_json()
    matches = [t for t in listing.get_json()["items"] if t["spec_id"] == spec_id and (opd is None or t["opd"] == opd)]
    assert len(matches) == 1, [(t["spec_id"], t["opd"]) for t in listing.get_json()["items"]]
    return matches[0]


def test_a_token_from_the_token_command_authenticates(engine_ctx: EngineContext, client: FlaskClient,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert client.get(API + "/tasks").status_code == 401
    monkeypatch.setenv("SOPFLOW_DATABASE_URL", engine_ctx.settings.database_url)
    assert cli.main(["token", "create", "ppid.utama", "--label", "integration"]) == 0
    token = capsys.readouterr().out.strip()
    assert cli.main(["token", "create", "nobody"]) == 2
    assert "no active user 'nobody'" in capsys.readouterr().err
    assert token.startswith("sfw_")
    answer = client.get(API + "/tasks", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["total"] == 0


def test_missing_malformed_and_unknown_tokens_get_401_json(client: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Basic cHBpZC51dGFtYTp4"}, {"Authorization": "Bearer "},
                    {"Authorization": "Bearer sfw_not-a-real-token"}):
        answer = client.get(API + "/tasks", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.is_json and answer.get_json()["error"]
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post(API + "/instances", json={"process": "ppid_publikasi"}).status_code == 401


def test_a_logged_in_browser_session_does_not_authenticate_the_api(client: FlaskClient,
                                                                     engine_ctx: EngineContext) -> None:
    login(client, "ppid.utama")
    assert client.get("/tasks").status_code == 200
    assert client.get(API + "/tasks").status_code == 401
    started = client.post(API + "/instances", json={"process": "ppid_publikasi"})
    assert started.status_code == 401
    with engine_ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Instance)) == 0


def test_the_openapi_document_is_public_and_lists_every_api_route(app: Flask, client: FlaskClient) -> None:
    answer = client.get(API + "/openapi.json")
    assert answer.status_code == 200
    document = answer.get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"]["bearer"][
            "description"]}
    assert set(document["components"]["schemas"]["Error"]["required"]) == {"error"}
    registered = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API + "/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(API):])
            for method in rule.methods or ():
                if method not in ("HEAD", "OPTIONS"):
                    registered.add((path, method.lower()))
    described = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert registered == described
    assert len(registered) == 13


def test_a_publication_from_plan_to_published_through_the_api(as_user: Any, engine_ctx: EngineContext) -> None:
    utama, plid, dinkes = as_user("ppid.utama"), as_user("plid.utama"), as_user("pembantu.dinkes")
    started = utama.post("/instances", {"process": "ppid_publikasi"})
    assert started.status_code == 201, started.get_json()
    plan = started.get_json()["instance"]
    assert started.headers["Location"].endswith(f"/api/v1/instances/{plan['id']}")
    [step_1] = started.get_json()["open_tasks"]
    detail = utama.get(f"/tasks/{step_1['id']}").get_json()
    assert detail["step"]["step"] == "1"
    assert {f["name"] for f in detail["step"]["fields"]} >= {"rencana_unggahan", "arahan_kerja"}

    done = utama.post(f"/tasks/{step_1['id']}/complete", {**flow.STEP_1, "rencana_unggahan": flow.PLAN[:1]})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["task"]["status"] == "completed"
    [item] = utama.get(f"/instances/{plan['id']}").get_json()["children"]
    assert item["opd"] == "Dinas Kesehatan"

    with website() as site:
        step_6 = {**flow.STEP_6, "tautan_publik": f"{site}/informasi/1"}
        for spec_id, api, data in (
            ("Task_2_Siapkan_Data", dinkes, flow.STEP_2),
            ("Task_3_Verifikasi", plid, flow.SESUAI),
            ("Task_4_Unggah", plid, flow.STEP_4),
            ("Task_5_Persetujuan", utama, flow.DISETUJUI),
            ("Task_6_Pastikan_Tayang", plid, step_6),
        ):
            task = _inbox_task(api, spec_id)
            assert task["instance_id"] == item["id"] and task["item"] == flow.PLAN[0]["judul"]
            claimed = api.post(f"/tasks/{task['id']}/claim")
            assert claimed.status_code == 200 and claimed.get_json()["task"]["claimed_by"] is not None
            completed = api.post(f"/tasks/{task['id']}/complete", data)
            assert completed.status_code == 200, (spec_id, completed.get_json())

    state = utama.get(f"/instances/{item['id']}").get_json()
    assert state["instance"]["status"] == "completed"
    assert state["open_tasks"] == []
    assert sorted(t["step"] for t in state["tasks"]) == ["2", "3", "4", "5", "6"]
    history = utama.get(f"/instances/{item['id']}/events").get_json()
    assert history["chain_intact"] is True
    events = history["events"]
    assert [e["type"] for e in events].count("task_completed") == 5
    assert events[0]["prev_hash"] == "0" * 64
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(events, events[1:], strict=False))
    checked = [e for e in events if e["type"] == "task_completed" and e["payload"]["step"] == "6"]
    assert checked[0]["payload"]["data"]["pemeriksaan_tautan"]["status"] == 200


def test_inbox_lists_the_callers_tasks_with_deadlines_and_filters(as_user: Any, engine_ctx: EngineContext) -> None:
    plan = flow.start_with_plan(engine_ctx)
    dinkes = as_user("pembantu.dinkes")
    listing = dinkes.get("/tasks").get_json()
    [task] = listing["items"]
    assert task["opd"] == "Dinas Kesehatan" and task["step"] == "2" and task["lane"] == "PPID Pembantu"
    assert task["time_standard"] == "PT90M" and task["overdue"] is False and task["due_at"] > task["ready_at"]
    assert listing["counts"] == {"mine": 0, "lanes": 1, "overdue": 0}
    utama = as_user("ppid.utama")
    assert utama.get("/tasks").get_json()["total"] == 0
    assert as_user("plid.utama").get("/tasks").get_json()["total"] == 0
    assert dinkes.post(f"/tasks/{task['id']}/claim").status_code == 200
    assert dinkes.get("/tasks?scope=mine").get_json()["total"] == 1
    assert dinkes.get("/tasks?scope=unclaimed").get_json()["total"] == 0
    assert dinkes.post(f"/tasks/{task['id']}/release").get_json()["task"]["claimed_by"] is None
    visible = as_user("pembantu.disdik").get("/instances").get_json()
    assert {row["opd"] for row in visible["items"]} == {"Dinas Pendidikan"}
    assert as_user("auditor").get("/instances").get_json()["total"] == 3
    assert flow.item_instance(engine_ctx, plan.id, "Dinas Kesehatan").id == task["instance_id"]


def test_wrong_role_other_office_and_auditor_posts_are_refused_with_403(as_user: Any,
                                                                        engine_ctx: EngineContext) -> None:
    plan = flow.start_with_plan(engine_ctx)
    step_2 = flow.the_task(engine_ctx, plan.id, "Task_2_Siapkan_Data", "Dinas Kesehatan")
    disdik, plid, auditor = as_user("pembantu.disdik"), as_user("plid.utama"), as_user("auditor")
    events_before = _events(engine_ctx, step_2.instance_id)
    refusals = [
        disdik.post(f"/tasks/{step_2.id}/claim"),
        disdik.post(f"/tasks/{step_2.id}/complete", flow.STEP_2),
        plid.post(f"/tasks/{step_2.id}/complete", flow.STEP_2),
        disdik.get(f"/tasks/{step_2.id}"),
        disdik.get(f"/instances/{step_2.instance_id}"),
        disdik.get(f"/instances/{step_2.instance_id}/events"),
        plid.post("/instances", {"process": "ppid_publikasi"}),
        as_user("pembantu.dinkes").post("/instances", {"process": "ppid_publikasi"}),
        auditor.post("/instances", {"process": "ppid_publikasi"}),
        auditor.post(f"/tasks/{step_2.id}/claim"),
        auditor.post(f"/tasks/{step_2.id}/release"),
        auditor.post(f"/tasks/{step_2.id}/complete", flow.STEP_2),
        auditor.get("/tasks"),
        as_user("admin").post(f"/tasks/{step_2.id}/complete", flow.STEP_2),
    ]
    for answer in refusals:
        assert answer.status_code == 403, answer.get_json()
        assert answer.is_json and answer.get_json()["error"]
    assert "Dinas Kesehatan" in refusals[0].get_json()["error"]
    assert _events(engine_ctx, step_2.instance_id) == events_before
    assert auditor.get(f"/instances/{step_2.instance_id}/events").status_code == 200
    assert auditor.get(f"/tasks/{step_2.id}").get_json()["task"]["status"] == "ready"


def test_completing_twice_is_refused_with_409_and_nothing_is_doubled(as_user: Any, engine_ctx: EngineContext) -> None:
    instance_id, task = flow.reach_step(engine_ctx, 2)
    dinkes = as_user("pembantu.dinkes")
    first = dinkes.post(f"/tasks/{task.id}/complete", flow.STEP_2)
    assert first.status_code == 200
    events_after_first = _events(engine_ctx, instance_id)
    second = dinkes.post(f"/tasks/{task.id}/complete", flow.STEP_2)
    assert second.status_code == 409
    assert "sudah diselesaikan" in second.get_json()["error"]
    assert _events(engine_ctx, instance_id) == events_after_first
    assert _events(engine_ctx, instance_id, "task_completed") == 1
    assert len(flow.open_tasks(engine_ctx, instance_id, "Task_3_Verifikasi")) == 1
    assert dinkes.post(f"/tasks/{task.id}/claim").status_code == 409


def test_invalid_step_data_gets_422_with_an_english_message_per_field(as_user: Any,
                                                                      engine_ctx: EngineContext) -> None:
    instance_id, task = flow.reach_step(engine_ctx, 3)
    plid = as_user("plid.utama")
    events_before = _events(engine_ctx, instance_id)
    answer = plid.post(f"/tasks/{task.id}/complete",
                       {"hasil_verifikasi": "belum_sesuai", "cek_lengkap": "ya", "warna": "merah"})
    assert answer.status_code == 422
    fields = answer.get_json()["fields"]
    assert fields == {"alasan_verifikasi": "is required", "cek_lengkap": "must be true or false",
                      "warna": "is not a field of this step"}
    assert _events(engine_ctx, instance_id) == events_before
    with engine_ctx.db.session() as session:
        item = session.get(WorkItem, task.id)
        assert item is not None and item.status == "ready"


def test_bodies_must_be_json_objects(as_user: Any, engine_ctx: EngineContext) -> None:
    _, task = flow.reach_step(engine_ctx, 2)
    dinkes = as_user("pembantu.dinkes")
    path = f"/tasks/{task.id}/complete"
    as_form = dinkes.post(path, data={"kelas_dip": "berkala"})
    assert as_form.status_code == 415 and "application/json" in as_form.get_json()["error"]
    broken = dinkes.post(path, data='{"kelas_dip": ', content_type="application/json")
    assert broken.status_code == 400 and "not valid JSON" in broken.get_json()["error"]
    listed = dinkes.post(path, [flow.STEP_2])
    assert listed.status_code == 400 and "JSON object" in listed.get_json()["error"]
    utama = as_user("ppid.utama")
    other = utama.post("/instances", {"process": "ppid_publikasi_item"})
    assert other.status_code == 422 and "process" in other.get_json()["fields"]
    assert utama.post("/instances", {}).status_code == 422
    assert task_list.list_tasks(engine_ctx, task_list.TaskFilter(instance_id=task.instance_id))[0].status == "ready"


def test_unknown_routes_ids_and_bad_queries_answer_json(as_user: Any, client: FlaskClient) -> None:
    utama = as_user("ppid.utama")
    for path, status in (("/nothing-here", 404), ("/tasks/00000000-0000-0000-0000-000000000000", 404),
                         ("/instances/999999", 404), ("/instances/999999/events", 404),
                         ("/tasks?scope=everything", 400), ("/tasks?after=two", 400), ("/tasks?per_page=1000", 400),
                         ("/instances?after=0", 400), ("/instances?before=dua", 400),
                         ("/instances?after=99999999999999999999", 400)):
        answer = utama.get(path)
        assert answer.status_code == status, path
        assert answer.is_json and answer.get_json()["error"], path
    assert client.get("/api/v2/tasks").get_json()["error"]
    assert utama.client.delete(API + "/tasks", headers=utama.headers).status_code == 405


def test_a_returned_item_shows_the_verifiers_reasons_in_the_task_data(as_user: Any,
                                                                      engine_ctx: EngineContext) -> None:
    instance_id, task = flow.reach_step(engine_ctx, 3)
    reasons = "Ringkasan belum menyebut periode anggaran."
    answer = as_user("plid.utama").post(f"/tasks/{task.id}/complete",
                                        {"hasil_verifikasi": "belum_sesuai", "alasan_verifikasi": reasons})
    assert answer.status_code == 200, answer.get_json()
    dinkes = as_user("pembantu.dinkes")
    again = _inbox_task(dinkes, "Task_2_Siapkan_Data")
    detail = dinkes.get(f"/tasks/{again['id']}").get_json()
    assert detail["data"]["alasan_verifikasi"] == reasons
    assert detail["step"]["time_standard"] == "PT90M" and detail["step"]["required_input"]
    kelas = next(f for f in detail["step"]["fields"] if f["name"] == "kelas_dip")
    assert kelas["required"] is True and "dikecualikan" in kelas["choices"]
    assert detail["instance"]["id"] == instance_id


def test_instances_are_paged_newest_first_by_cursor(as_user: Any, engine_ctx: EngineContext) -> None:
    first, second = flow.start_publication(engine_ctx), flow.start_publication(engine_ctx)
    auditor = as_user("auditor")
    page_1 = auditor.get("/instances?per_page=1").get_json()
    assert (page_1["total"], page_1["previous"], page_1["next"]) == (2, None, second.id)
    page_2 = auditor.get(f"/instances?per_page=1&after={page_1['next']}").get_json()
    assert (page_2["previous"], page_2["next"]) == (first.id, None)
    back = auditor.get(f"/instances?per_page=1&before={page_2['previous']}").get_json()
    assert [page_1["items"][0]["id"], page_2["items"][0]["id"], back["items"][0]["id"]] == [second.id, first.id,
                                                                                             second.id]
    assert (back["previous"], back["next"]) == (None, second.id)


def test_a_process_owner_validates_a_diagram_through_the_api(as_user: Any) -> None:
    owner = as_user("pemilik.proses")
    diagram = (ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_bytes()
    sound = owner.post("/processes/ppid_publikasi_item/validate", data=diagram,
                       content_type="application/xml")
    assert sound.status_code == 200 and sound.get_json() == {"valid": True, "problems": []}
    broken = diagram.replace(b'value="PT60M"', b'value="PT45M"', 1)
    answer = owner.post("/processes/ppid_publikasi_item/validate", data=broken, content_type="application/xml")
    problems = answer.get_json()["problems"]
    assert answer.get_json()["valid"] is False
    assert any(p["element_id"] == "Timer_Task_3_Verifikasi" and "harus sama" in p["message"] for p in problems)
    hostile = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "x">]><d>&x;</d>'
    refused = owner.post("/processes/ppid_publikasi_item/validate", data=hostile, content_type="application/xml")
    assert refused.status_code == 200 and refused.get_json()["valid"] is False
    assert owner.post("/processes/ppid_publikasi_item/validate", body={"x": 1}).status_code == 415
    assert as_user("plid.utama").post("/processes/ppid_publikasi_item/validate", data=diagram,
                                      content_type="application/xml").status_code == 403

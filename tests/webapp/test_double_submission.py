"""The same form sent twice (a double click, a reload, a second tab): the second is refused with 409 and a
message, and nothing is doubled."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.context import EngineContext
from engine.people import users
from engine.store import Instance, WorkItem
from tests.conftest import PASSWORD
from tests.engine import flow
from tests.webapp.conftest import csrf_token, login
from tests.webapp.pages import (
    error_message,
    event_count,
    item_instances,
    open_task,
    plan_item,
    snapshot,
    start_items,
    step_form,
)


def _work_items(ctx: EngineContext) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(WorkItem)) or 0)


def test_a_step_form_posted_twice_completes_once_and_the_second_gets_409(
    client: FlaskClient, engine_ctx: EngineContext
) -> None:
    (item,) = start_items(engine_ctx, plan_item("Laporan keuangan semester I", "Dinas Kesehatan"))
    task = open_task(engine_ctx, item.id)
    login(client, "pembantu.dinkes")
    form = {"csrf_token": csrf_token(client, f"/tasks/{task.id}"), **step_form(flow.STEP_2)}

    first = client.post(f"/tasks/{task.id}/complete", data=form)
    events, items = event_count(engine_ctx), _work_items(engine_ctx)
    second = client.post(f"/tasks/{task.id}/complete", data=form)

    assert first.status_code == 302
    assert second.status_code == 409
    assert "pembantu.dinkes" in error_message(second)
    assert (event_count(engine_ctx), _work_items(engine_ctx)) == (events, items)
    assert event_count(engine_ctx, "task_completed") == 2  # step 1 and this step 2, once
    assert open_task(engine_ctx, item.id).spec_id == "Task_3_Verifikasi"


def test_a_colleague_sending_the_step_after_it_was_completed_gets_409_and_nothing_doubles(
    app: Flask, engine_ctx: EngineContext
) -> None:
    (item,) = start_items(engine_ctx, plan_item("Laporan keuangan semester I", "Dinas Kesehatan"))
    flow.complete(engine_ctx, open_task(engine_ctx, item.id), flow.STEP_2)
    step_3 = open_task(engine_ctx, item.id)
    users.create_user(engine_ctx, "plid.kedua", PASSWORD, ["plid_utama"], "PLID kedua", "plid2@ppid.test", None)
    first, second = app.test_client(), app.test_client()
    login(first, "plid.utama")
    login(second, "plid.kedua")
    forms = [{"csrf_token": csrf_token(c, f"/tasks/{step_3.id}"), **step_form(flow.SESUAI)} for c in (first, second)]
    assert first.post(f"/tasks/{step_3.id}/complete", data=forms[0]).status_code == 302
    after_first = snapshot(engine_ctx)
    again = first.post(f"/tasks/{step_3.id}/complete", data=forms[0])
    late = second.post(f"/tasks/{step_3.id}/complete", data=forms[1])
    assert (again.status_code, late.status_code) == (409, 409)
    assert "plid.utama" in error_message(late)
    assert snapshot(engine_ctx) == after_first
    assert event_count(engine_ctx, "task_completed") == 3
    assert open_task(engine_ctx, item.id).spec_id == "Task_4_Unggah"


def test_the_plan_form_posted_twice_starts_each_item_once(client: FlaskClient, engine_ctx: EngineContext) -> None:
    plan = flow.start_publication(engine_ctx)
    task = open_task(engine_ctx, plan.id)
    login(client, "ppid.utama")
    form = {"csrf_token": csrf_token(client, f"/tasks/{task.id}"), **step_form(flow.STEP_1)}
    assert client.post(f"/tasks/{task.id}/complete", data=form).status_code == 302
    events = event_count(engine_ctx)
    second = client.post(f"/tasks/{task.id}/complete", data=form)
    assert second.status_code == 409 and error_message(second)
    assert event_count(engine_ctx) == events
    assert [child.title for child in item_instances(engine_ctx, plan.id)] == [row["judul"] for row in flow.PLAN]
    with engine_ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Instance)) == 1 + len(flow.PLAN)


def test_claiming_twice_records_one_claim(client: FlaskClient, engine_ctx: EngineContext) -> None:
    (item,) = start_items(engine_ctx, plan_item("Laporan keuangan semester I", "Dinas Kesehatan"))
    task = open_task(engine_ctx, item.id)
    login(client, "pembantu.dinkes")
    token = csrf_token(client, f"/tasks/{task.id}")
    first = client.post(f"/tasks/{task.id}/claim", data={"csrf_token": token})
    second = client.post(f"/tasks/{task.id}/claim", data={"csrf_token": token})
    assert first.status_code == 302
    assert second.status_code == 409
    assert error_message(second) == "Anda sudah mengambil tugas ini."
    assert event_count(engine_ctx, "task_claimed") == 1
    assert open_task(engine_ctx, item.id).claimed_by == "pembantu.dinkes"

"""A big plan through the web: its page follows the items starting in the background; other people's changes
never fail meanwhile; and a database that lets no writer in answers 503 "try again", never 500."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from typing import Any

from flask import Flask
from sqlalchemy import event

from engine.context import EngineContext
from engine.people.tokens import create_token
from engine.runtime import plans
from engine.store import Instance, WorkItem
from tests.engine.flow import STEP_1
from tests.webapp.conftest import post
from tests.webapp.pages import error_message, item_instances, open_task, page, snapshot, submit


def planned(count: int) -> list[dict[str, str]]:
    return [{"judul": f"Dokumen {n}", "opd": "Dinas Kesehatan", "kelas_dip": "berkala",
             "tanggal_target": "2026-11-30"} for n in range(1, count + 1)]


def start_plan(ctx: EngineContext, planner: Any, count: int) -> int:
    """PPID Utama starts a plan and completes its step 1 with `count` items, through the pages."""
    started = post(planner, "/instances", {"process": "ppid_publikasi"})
    assert started.status_code == 302
    task_id = started.headers["Location"].rsplit("/", 1)[-1]
    answer = submit(planner, task_id, {**STEP_1, "rencana_unggahan": planned(count)})
    assert answer.status_code == 302, error_message(answer)
    with ctx.db.session() as session:
        item = session.get(WorkItem, task_id)
        assert item is not None
        return item.instance_id


def short_busy_wait(ctx: EngineContext, milliseconds: int) -> None:
    """The app's connections wait at most this long for SQLite's write lock (the configured 30 s, scaled down
    with the plan)."""
    event.listen(ctx.db.engine, "connect", lambda connection, _: connection.execute(
        f"PRAGMA busy_timeout={milliseconds}"))
    ctx.db.engine.dispose()


def test_the_plan_page_shows_how_many_items_have_started_until_all_have(
        app: Flask, engine_ctx: EngineContext, people: Any) -> None:
    engine_ctx.settings = replace(engine_ctx.settings, plan_batch_size=3)
    engine_ctx.plan_worker = None  # no background worker yet: the test starts the batches itself
    planner = people("ppid.utama")
    plan_id = start_plan(engine_ctx, planner, 8)
    shown = page(planner.get(f"/instances/{plan_id}"))
    assert " ".join(shown.xpath('//*[@id="plan-progress"]//p')[0].text_content().split()) == "3 dari 8 item dimulai"
    assert shown.xpath('//*[@id="plan-progress"]//progress/@value') == ["3"]
    assert len(shown.xpath('//*[@id="children"]//tr')) == 3
    assert planner.get(f"/instances/{plan_id}/progress").get_json() == {
        "started": 3, "total": 8, "done": False, "text": "3 dari 8 item dimulai"}
    assert plans.start_batch(engine_ctx, plan_id) == 3
    assert people("plid.utama").get(f"/instances/{plan_id}/progress").get_json()["text"] == "6 dari 8 item dimulai"
    plans.start_queued(engine_ctx)
    shown = page(planner.get(f"/instances/{plan_id}"))
    assert "Semua 8 item sudah dimulai." in shown.xpath('//*[@id="plan-progress"]')[0].text_content()
    assert len(shown.xpath('//*[@id="children"]//tr')) == 8
    assert shown.xpath('//*[@data-event="plan_items_started"]/text()')[1].strip() == "Item rencana dimulai"
    item = item_instances(engine_ctx, plan_id)[0]
    assert planner.get(f"/instances/{item.id}/progress").status_code == 404
    assert planner.get("/instances/999999/progress").status_code == 404


def test_other_peoples_changes_never_fail_while_a_big_plan_starts(
        app: Flask, engine_ctx: EngineContext, people: Any, item: Instance) -> None:
    """A real concurrent writer (a PPID Pembantu claiming and releasing a task through the app) while 300 items
    start. Each write waits for at most one batch; none gets "database is locked". The 30 s SQLite wait is
    scaled down with the plan: all 300 items in one transaction hold the lock about 3 s, and then this writer
    gets 503s."""
    engine_ctx.settings = replace(engine_ctx.settings, plan_batch_size=10)
    short_busy_wait(engine_ctx, 1500)
    task_id = open_task(engine_ctx, item.id).id
    pembantu, planner = people("pembantu.dinkes"), people("ppid.utama")
    answers: list[int] = []
    planning_done = threading.Event()

    def writer() -> None:
        while not planning_done.is_set() or len(answers) < 10:
            for action in ("claim", "release"):
                answers.append(post(pembantu, f"/tasks/{task_id}/{action}").status_code)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        plan_id = start_plan(engine_ctx, planner, 300)
        assert engine_ctx.plan_worker is not None and engine_ctx.plan_worker.wait(timeout=300)
    finally:
        planning_done.set()
        thread.join(timeout=60)
    assert len(item_instances(engine_ctx, plan_id)) == 300
    assert plans.progress(engine_ctx, plan_id, "ppid.utama") == plans.Progress(300, 300)
    assert set(answers) == {302}, sorted(set(answers))
    assert len(answers) >= 10


def test_a_locked_database_answers_503_try_again_and_keeps_everything(
        app: Flask, engine_ctx: EngineContext, people: Any, item: Instance) -> None:
    short_busy_wait(engine_ctx, 100)
    task_id = open_task(engine_ctx, item.id).id
    pembantu = people("pembantu.dinkes")
    token = create_token(engine_ctx, "pembantu.dinkes", "test")
    before = snapshot(engine_ctx)
    holder = sqlite3.connect(engine_ctx.settings.database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds SQLite's one write lock
    try:
        answer = post(pembantu, f"/tasks/{task_id}/claim")
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "5"
        assert "Sedang sibuk." in page(answer).xpath("//h1")[0].text_content()
        assert error_message(answer) == "Sedang sibuk, coba lagi sebentar lagi. Tidak ada yang tersimpan."
        api = app.test_client().post(f"/api/v1/tasks/{task_id}/claim", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 503 and api.headers["Retry-After"] == "5"
        assert api.get_json() == {"error": "Sedang sibuk, coba lagi sebentar lagi. Tidak ada yang tersimpan."}
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert snapshot(engine_ctx) == before
    assert post(pembantu, f"/tasks/{task_id}/claim").status_code == 302
    assert open_task(engine_ctx, item.id).claimed_by == "pembantu.dinkes"

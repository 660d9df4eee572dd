"""Several processes on one PostgreSQL database: two app processes (`sopflow serve --no-scheduler`) and two
`sopflow scheduler`s, real subprocesses. Timers fire exactly once and wake a scheduler at once (NOTIFY, not
the resync, which is set to an hour); logins, sessions and the login throttle are shared; a workflow cached
by one process is never saved over another process's newer change."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.people.tokens import create_token
from engine.store import Event, Timer, WorkItem
from handlers import HANDLERS
from tests.conftest import PASSWORD, make_settings, scratch_database
from tests.engine.flow import BELUM, PLAN, STEP_1, STEP_2, complete, start_publication, the_task
from tests.pg_server import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
SOPFLOW = [sys.executable, "-c", "import sys; from webapp.cli import main; sys.exit(main())"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll another process's effect until `check` returns something true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def cluster(postgres_template: str, smtp_server: tuple[int, Any]) -> Iterator[tuple[EngineContext, list[str]]]:
    """The database, and the base URLs of two app processes; two schedulers run beside them."""
    with scratch_database(postgres_template, template="sopflow_template") as url:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "SOPFLOW_DATABASE_URL": url,
               "SOPFLOW_SECRET_KEY": "the same key in every process", "SOPFLOW_SMTP_HOST": "127.0.0.1",
               "SOPFLOW_SMTP_PORT": str(smtp_server[0]), "SOPFLOW_SCHEDULER_RESYNC_SECONDS": "3600"}
        ports = [free_port(), free_port()]
        processes = [subprocess.Popen([*SOPFLOW, "serve", "--no-scheduler", "--port", str(port)], cwd=ROOT, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for port in ports]
        processes += [subprocess.Popen([*SOPFLOW, "scheduler"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE) for _ in range(2)]
        ctx = EngineContext.create(make_settings(url, smtp_server[0]), clock=ManualClock(datetime.now(UTC)),
                                   handlers=HANDLERS)
        try:
            bases = [f"http://127.0.0.1:{port}" for port in ports]
            for base in bases:
                wait_for(lambda base=base: _status(base + "/login") == 200, f"{base} to answer")
            wait_for(lambda: _listeners(ctx) == 2, "both schedulers to LISTEN")
            wait_for(lambda: _start_fired(ctx), "the overdue monthly start (both schedulers have read the timers)")
            yield ctx, bases
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(30)
            ctx.db.dispose()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except (urllib.error.URLError, ConnectionError):
        return 0


def _listeners(ctx: EngineContext) -> int:
    with ctx.db.engine.connect() as connection:
        return int(connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN sopflow_timers'").scalar() or 0)


def _item_at_step_2(ctx: EngineContext) -> WorkItem:
    """A one-item plan, due long after the real clock's today, whose item waits at step 2 (Dinas Kesehatan)."""
    plan = start_publication(ctx)
    wait_for(lambda: _fired(ctx, plan.id), "the plan's overdue timers (else they fire while step 1 completes)")
    complete(ctx, the_task(ctx, plan.id, "Task_1_Arahan"),
             {**STEP_1, "rencana_unggahan": [{**PLAN[0], "tanggal_target": "2099-12-31"}]})
    return the_task(ctx, plan.id, "Task_2_Siapkan_Data")


def _fired(ctx: EngineContext, instance_id: int) -> bool:
    overdue = Timer.due_at <= datetime.now(UTC)  # the schedulers run on the real clock
    with ctx.db.session() as session:
        return session.scalar(select(func.count()).where(Timer.instance_id == instance_id, Timer.status == "pending",
                                                         overdue)) == 0


def _start_fired(ctx: EngineContext) -> bool:
    with ctx.db.session() as session:
        return session.scalar(select(func.count()).where(Timer.kind == "start", Timer.status == "fired")) == 1


def _count(ctx: EngineContext, type: str, instance_id: int) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).where(Event.type == type, Event.instance_id == instance_id))
                   or 0)


def test_a_timer_written_by_one_process_wakes_the_schedulers_at_once_and_fires_once(
        cluster: tuple[EngineContext, list[str]]) -> None:
    ctx, _ = cluster
    ctx.clock = ManualClock(datetime.now(UTC) - timedelta(hours=2))  # its time standard ran out an hour ago
    task = _item_at_step_2(ctx)
    started = time.monotonic()
    wait_for(lambda: _count(ctx, "time_standard_breached", task.instance_id), "the breach", timeout=20)
    assert time.monotonic() - started < 20  # the resync is an hour away: only the NOTIFY explains it
    time.sleep(1)  # room for a second firing, which must not come
    with ctx.db.session() as session:
        fired_by = session.scalars(select(Timer.fired_by).where(Timer.instance_id == task.instance_id,
                                                                Timer.status == "fired")).all()
    assert len(fired_by) == 2 and all(by is not None and by.startswith("scheduler@") for by in fired_by)
    assert _count(ctx, "time_standard_breached", task.instance_id) == 1
    assert _count(ctx, "reminder_sent", task.instance_id) == 1


class Browser:
    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, url: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(url))

    def login(self, base: str, username: str, password: str) -> int:
        _, page = self.get(base + "/login")
        token = CSRF.search(page)
        assert token is not None
        body = urllib.parse.urlencode({"csrf_token": token.group(1), "username": username, "password": password})
        return self._open(urllib.request.Request(base + "/login", data=body.encode()))[0]

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=10) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def test_sessions_and_the_login_throttle_are_shared_by_the_app_processes(
        cluster: tuple[EngineContext, list[str]]) -> None:
    _, (a, b) = cluster
    person = Browser()
    assert person.login(a, "plid.utama", PASSWORD) == 200  # redirected to the home page
    status, page = person.get(b + "/tasks")  # the session made by A is valid on B
    assert status == 200 and "plid.utama" in page
    guesser = Browser()
    statuses = [guesser.login(base, "ppid.utama", "salah-sandi") for base in (a, b, a, b, a)]
    assert statuses == [401] * 5
    assert guesser.login(b, "ppid.utama", PASSWORD) == 429  # five failures across A and B: the sixth waits
    assert guesser.login(a, "ppid.utama", PASSWORD) == 429


def _api(base: str, token: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(f"{base}/api/v1{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _open_task(ctx: EngineContext, instance_id: int) -> WorkItem:
    with ctx.db.session() as session:
        return session.scalars(select(WorkItem).where(WorkItem.instance_id == instance_id,
                                                      WorkItem.finished_at.is_(None))).one()


def test_a_workflow_cached_by_one_process_is_not_used_after_another_changed_it(
        cluster: tuple[EngineContext, list[str]]) -> None:
    ctx, (a, b) = cluster
    task = _item_at_step_2(ctx)
    pembantu, plid = create_token(ctx, "pembantu.dinkes"), create_token(ctx, "plid.utama")
    assert _api(a, pembantu, f"/tasks/{task.id}/complete", STEP_2)[0] == 200  # A keeps the workflow it saved
    step_3 = _open_task(ctx, task.instance_id)
    assert step_3.spec_id == "Task_3_Verifikasi"
    assert _api(b, plid, f"/tasks/{step_3.id}/complete", BELUM)[0] == 200  # B sends it back to step 2
    again = _open_task(ctx, task.instance_id)
    assert again.spec_id == "Task_2_Siapkan_Data" and again.id != task.id
    # A's cached workflow still has step 3 open: used, it would not know this task, or would save over B.
    status, answer = _api(a, pembantu, f"/tasks/{again.id}/complete", STEP_2)
    assert status == 200, answer
    with ctx.db.session() as session:
        completed = session.scalars(select(Event.task_id).where(Event.instance_id == task.instance_id,
                                                                Event.type == "task_completed")
                                    .order_by(Event.id)).all()
    assert completed == [task.id, step_3.id, again.id]
    assert _open_task(ctx, task.instance_id).spec_id == "Task_3_Verifikasi"

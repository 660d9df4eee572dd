"""Pages flat at any size (issue 14 §2): the inbox pages by keyset and counts in one pass; a finished item keeps its
log, not its workflow state, and still replays and verifies."""

from __future__ import annotations

import json
from base64 import urlsafe_b64encode
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import select, text, update

from engine.audit.audit_replay import replay_instance
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.runtime import instances, task_list
from engine.runtime.inbox import InboxQuery, inbox
from engine.schema import alembic_config, upgrade
from engine.store import Instance, WorkItem
from tests.engine.flow import (
    BELUM,
    PLAN,
    STEP_2,
    complete,
    item_instance,
    publish_item,
    reach_step,
    start_with_plan,
    the_task,
)
from webapp.cli import main

DINKES = "Dinas Kesehatan"


def _plan_of(count: int, label: str) -> list[dict[str, str]]:
    return [{**PLAN[0], "judul": f"{label} {n:02d}", "opd": DINKES} for n in range(count)]


def _walk(ctx: EngineContext, username: str, per_page: int, between: list[object]) -> list[str]:
    """Every row id met paging forward; `between` holds a callable run after each page."""
    seen: list[str] = []
    after: str | None = None
    while True:
        page = inbox(ctx, InboxQuery(username, after=after, per_page=per_page))
        seen.extend(item.id for item in page.items)
        if between:
            between.pop(0)()  # type: ignore[operator]
        if page.next is None:
            return seen
        after = page.next


def test_keyset_pages_never_skip_or_repeat_a_row_when_rows_arrive_between_pages(ctx: EngineContext,
                                                                                 clock: ManualClock) -> None:
    start_with_plan(ctx, _plan_of(7, "Awal"))
    with ctx.db.session() as session:  # one undated row: it pages last
        undated = session.scalars(select(WorkItem.id).where(WorkItem.role == "ppid_pembantu").limit(1)).one()
        session.execute(update(WorkItem).where(WorkItem.id == undated).values(due_at=None))
    before = {t.id for t in task_list.list_tasks(ctx, task_list.TaskFilter(role="ppid_pembantu", opd=DINKES))}

    def arrive() -> None:
        clock.advance(timedelta(minutes=1))
        start_with_plan(ctx, _plan_of(2, "Baru"))

    seen = _walk(ctx, "pembantu.dinkes", 3, [arrive, arrive])
    assert len(seen) == len(set(seen)), "a row was shown twice"
    assert before <= set(seen), "a row that was there from the start was skipped"
    assert len(seen) == 7 + 4 and seen[-1] == undated
    every = [i.id for i in inbox(ctx, InboxQuery("pembantu.dinkes", per_page=100)).items]
    assert seen == every  # the same order as one long page

    backwards: list[str] = []
    pages = [inbox(ctx, InboxQuery("pembantu.dinkes", per_page=4))]
    while pages[-1].next:
        pages.append(inbox(ctx, InboxQuery("pembantu.dinkes", per_page=4, after=pages[-1].next)))
    assert pages[0].previous is None and pages[-1].next is None
    cursor = pages[-1].previous
    while cursor:
        page = inbox(ctx, InboxQuery("pembantu.dinkes", per_page=4, before=cursor))
        backwards = [i.id for i in page.items] + backwards
        cursor = page.previous
    assert backwards + [i.id for i in pages[-1].items] == every


def test_counts_of_one_pass_match_each_scope(ctx: EngineContext, clock: ManualClock) -> None:
    plan = start_with_plan(ctx, _plan_of(3, "Hitung"))
    clock.advance(timedelta(minutes=40))
    start_with_plan(ctx, _plan_of(2, "Kemudian"))
    [first, *_] = task_list.list_tasks(ctx, task_list.TaskFilter(plan_id=plan.id))
    instances.claim_task(ctx, first.id, "pembantu.dinkes")
    clock.advance(timedelta(minutes=60))  # the first plan's three are past 90 minutes, the later two not
    page = inbox(ctx, InboxQuery("pembantu.dinkes"))
    assert (page.counts.lanes, page.counts.mine, page.counts.overdue, page.total) == (5, 1, 3, 5)
    assert [(scope, inbox(ctx, InboxQuery("pembantu.dinkes", scope=scope)).total)
            for scope in ("mine", "unclaimed", "overdue")] == [("mine", 1), ("unclaimed", 4), ("overdue", 3)]
    filtered = inbox(ctx, InboxQuery("pembantu.dinkes", scope="overdue", lane="PLID Utama"))
    assert (filtered.total, filtered.counts.lanes, filtered.items) == (0, 5, [])
    assert inbox(ctx, InboxQuery("plid.utama")).counts.lanes == 0


def test_a_cursor_that_is_not_ours_is_refused(ctx: EngineContext) -> None:
    naive = urlsafe_b64encode(json.dumps(["2026-11-23T09:00:00", "2026-11-23T09:00:00", 1, "x"]).encode()).decode()
    for bad in ("bukan-kursor", "W10", "WyJ4IiwgInkiLCAieiJd", naive):  # garbage, "[]", ["x", "y", "z"], no offset
        with pytest.raises(InvalidInput, match="page link is not valid"):
            inbox(ctx, InboxQuery("pembantu.dinkes", after=bad))


def test_a_finished_item_keeps_its_log_not_its_state_and_still_replays_and_verifies(
        ctx: EngineContext, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    plan = start_with_plan(ctx, PLAN[:1])
    item = item_instance(ctx, plan.id)
    publish_item(ctx, plan.id, PLAN[0]["opd"])
    with ctx.db.session() as session:
        finished = session.get(Instance, item.id)
        assert finished is not None and finished.status == "completed" and finished.state == ""
        step_6 = session.scalars(select(WorkItem).where(WorkItem.instance_id == item.id,
                                                        WorkItem.spec_id == "Task_6_Pastikan_Tayang")).one()
    assert instances.get_task(ctx, step_6.id).data["dapat_diakses"] == "ya"  # read from the log
    result = replay_instance(ctx, item.id)
    assert result.equal, result.divergence
    monkeypatch.setenv("SOPFLOW_DATABASE_URL", ctx.settings.database_url)
    assert main(["audit", "verify"]) == 0
    assert "every chain is intact" in capsys.readouterr().out


def test_migration_0012_drops_the_states_of_finished_items_only(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx)
    finished, running = item_instance(ctx, plan.id, PLAN[0]["opd"]), item_instance(ctx, plan.id, PLAN[1]["opd"])
    publish_item(ctx, plan.id, PLAN[0]["opd"])
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", PLAN[1]["opd"]), STEP_2)
    url = ctx.settings.database_url
    ctx.db.dispose()
    command.downgrade(alembic_config(url), "0011")
    with ctx.db.engine.begin() as connection:  # as a finished item was stored before 0012
        connection.execute(text("UPDATE instances SET state = 'old state' WHERE id = :id"), {"id": finished.id})
        kept = connection.execute(text("SELECT state FROM instances WHERE id = :id"), {"id": running.id}).scalar()
    upgrade(url)
    with ctx.db.engine.begin() as connection:
        states = dict(connection.execute(text("SELECT id, state FROM instances WHERE id IN (:a, :b)"),
                                         {"a": finished.id, "b": running.id}).tuples().all())
    assert states == {finished.id: "", running.id: kept} and kept
    assert replay_instance(ctx, finished.id).equal and replay_instance(ctx, running.id).equal


def test_an_open_task_page_reads_its_row_not_the_workflow(ctx: EngineContext) -> None:
    """Returned to step 2 with the verifier's reason: the page's data come from the work item's row (the
    instance's stored state is made unreadable to prove it), a closed task keeps no copy, and a row from before
    migration 0015 (no data) still reads the workflow."""
    instance_id, step_3 = reach_step(ctx, 3)
    complete(ctx, step_3, BELUM)
    returned = the_task(ctx, instance_id, "Task_2_Siapkan_Data")
    with ctx.db.session() as session:
        state = session.scalar(select(Instance.state).where(Instance.id == instance_id))
        session.execute(update(Instance).where(Instance.id == instance_id).values(state="{not a workflow"))
        closed = session.scalars(select(WorkItem.data).where(WorkItem.id == step_3.id)).one()
    detail = instances.get_task(ctx, returned.id)
    assert detail.data["alasan_verifikasi"] == BELUM["alasan_verifikasi"]
    assert detail.data["ringkasan"] == STEP_2["ringkasan"] and closed is None
    with ctx.db.session() as session:
        session.execute(update(Instance).where(Instance.id == instance_id).values(state=state))
        session.execute(update(WorkItem).where(WorkItem.id == returned.id).values(data=None))
    assert instances.get_task(ctx, returned.id).data == detail.data

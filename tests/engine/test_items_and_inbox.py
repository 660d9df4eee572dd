"""One publication per planned item; the inbox by lane, office and deadline; in-app notices; several roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit.events import instance_history
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import InvalidInput, NotAllowed, SopflowError
from engine.people import users
from engine.runtime import inbox, instances, notices
from engine.runtime.inbox import InboxQuery, InstanceQuery
from engine.store import Event, Instance
from tests.engine.flow import PLAN, STEP_2, complete, item_instance, start_publication, start_with_plan, the_task


def test_each_planned_item_becomes_its_own_publication_with_its_data(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx)
    for item in PLAN:
        child = item_instance(ctx, plan.id, item["opd"])
        assert (child.parent_id, child.title, child.process_id) == (plan.id, item["judul"], "ppid_publikasi_item")
        with ctx.db.session() as session:
            started = instance_history(session, child.id)[0]
        assert started.type == "instance_started" and started.payload["parent_id"] == plan.id
        assert started.payload["data"]["item"] == item


def test_an_item_process_is_never_started_by_hand(ctx: EngineContext) -> None:
    with pytest.raises(NotAllowed, match="started by the engine only"):
        instances.start_instance(ctx, "ppid_publikasi_item", "pembantu.dinkes")
    with ctx.db.session() as session:
        assert session.scalar(select(Instance.id).limit(1)) is None


def test_inbox_shows_only_my_lanes_and_office_overdue_first_with_counts(ctx: EngineContext, clock: ManualClock) -> None:
    start_with_plan(ctx)
    clock.advance(timedelta(minutes=30))
    start_with_plan(ctx)
    page = inbox.inbox(ctx, InboxQuery("pembantu.dinkes"))
    assert page.total == 2 and {t.opd for t in page.items} == {"Dinas Kesehatan"}
    assert {t.dip_class for t in page.items} == {"berkala"}  # the class the plan gave the item
    assert page.counts.overdue == 0
    clock.advance(timedelta(minutes=70))  # the first plan's step 2 is past its 90 minutes, the second's not
    page = inbox.inbox(ctx, InboxQuery("pembantu.dinkes"))
    assert page.counts.overdue == 1
    assert page.items[0].due_at is not None and page.items[0].due_at <= clock.now() < page.items[1].due_at
    assert inbox.inbox(ctx, InboxQuery("plid.utama")).total == 0
    assert inbox.inbox(ctx, InboxQuery("pembantu.dinkes", scope="mine")).total == 0
    first = inbox.inbox(ctx, InboxQuery("pembantu.dinkes", per_page=1))
    assert inbox.inbox(ctx, InboxQuery("pembantu.dinkes", per_page=1, after=first.next)).items[0].id == page.items[1].id


def test_another_office_cannot_see_an_item(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx)
    theirs = item_instance(ctx, plan.id, "Dinas Kesehatan")
    with ctx.db.session() as session, pytest.raises(NotAllowed, match="another office"):
        ctx.policy.viewable_instance(session, users.get_user(session, "pembantu.disdik"), theirs.id)
    visible = inbox.list_instances(ctx, InstanceQuery("pembantu.disdik"))
    assert visible.total == 1 and [i.opd for i in visible.items] == ["Dinas Pendidikan"]
    assert inbox.list_instances(ctx, InstanceQuery("auditor")).total == 3


def _ids(page: inbox.InstancePage) -> list[int]:
    return [instance.id for instance in page.items]


def test_the_item_list_pages_forwards_and_back_by_the_rows_it_showed(ctx: EngineContext) -> None:
    started = [start_publication(ctx).id for _ in range(12)]
    newest_first = started[::-1]
    pages = [inbox.list_instances(ctx, InstanceQuery("auditor", per_page=5))]
    while pages[-1].next is not None:
        pages.append(inbox.list_instances(ctx, InstanceQuery("auditor", per_page=5, after=pages[-1].next)))
    assert [_ids(page) for page in pages] == [newest_first[:5], newest_first[5:10], newest_first[10:]]
    assert [page.previous is not None for page in pages] == [False, True, True]
    assert all(page.total == 12 for page in pages)
    back = [pages[-1]]
    while back[-1].previous is not None:
        back.append(inbox.list_instances(ctx, InstanceQuery("auditor", per_page=5, before=back[-1].previous)))
    assert [_ids(page) for page in back] == [newest_first[10:], newest_first[5:10], newest_first[:5]]
    assert back[-1].next == newest_first[4]


def test_an_item_started_between_two_pages_is_neither_skipped_nor_shown_twice(ctx: EngineContext) -> None:
    started = [start_publication(ctx).id for _ in range(6)]
    first = inbox.list_instances(ctx, InstanceQuery("auditor", per_page=3))
    newer = start_publication(ctx).id
    second = inbox.list_instances(ctx, InstanceQuery("auditor", per_page=3, after=first.next))
    assert _ids(first) + _ids(second) == started[::-1] and second.next is None
    again = inbox.list_instances(ctx, InstanceQuery("auditor", per_page=3, before=second.previous))
    assert _ids(again) == _ids(first) and again.previous == first.items[0].id  # the new one is a page back
    assert _ids(inbox.list_instances(ctx, InstanceQuery("auditor", per_page=3, before=again.previous))) == [newer]


def test_filters_hold_across_pages(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx)
    for _ in range(3):
        start_publication(ctx)
    running = inbox.list_instances(ctx, InstanceQuery("auditor", process_id="ppid_publikasi_item", per_page=1))
    rest = inbox.list_instances(ctx, InstanceQuery("auditor", process_id="ppid_publikasi_item", per_page=1,
                                                   after=running.next))
    items = running.items + rest.items
    assert {i.process_id for i in items} == {"ppid_publikasi_item"} and {i.parent_id for i in items} == {plan.id}
    assert len(items) == running.total == len(PLAN) and rest.next is None


def test_a_page_link_must_name_an_item_id() -> None:
    assert inbox.page_cursor(None) is None and inbox.page_cursor("") is None and inbox.page_cursor("42") == 42
    for bad in ("0", "-1", "dua", "1e3", " 4", "9" * 19):
        with pytest.raises(InvalidInput, match="page link is not valid"):
            inbox.page_cursor(bad)


def test_people_are_told_of_waiting_and_returned_tasks(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx, PLAN[:1])
    assert inbox.inbox(ctx, InboxQuery("pembantu.dinkes", scope="unclaimed")).total == 1  # waiting for me
    assert notices.list_notifications(ctx, "pembantu.dinkes") == []
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data"), STEP_2)
    complete(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi"),
             {"hasil_verifikasi": "belum_sesuai", "alasan_verifikasi": "Ringkasan kosong."})
    [returned] = notices.list_notifications(ctx, "pembantu.dinkes")
    assert returned.subject.startswith("Dikembalikan: langkah 2")
    assert notices.list_notifications(ctx, "pembantu.disdik") == []
    assert notices.unread_count(ctx, "pembantu.dinkes") == 1
    assert notices.mark_all_read(ctx, "pembantu.dinkes") == 1 and notices.unread_count(ctx, "pembantu.dinkes") == 0
    with ctx.db.session() as session:
        returned = session.scalars(select(Event).where(Event.type == "task_ready")).all()
    assert [e.payload["returned"] for e in returned if e.payload["spec"] == "Task_2_Siapkan_Data"] == [False, True]


def test_a_user_may_hold_several_roles_and_changes_are_recorded(ctx: EngineContext) -> None:
    users.create_user(ctx, "rina", "rahasia-uji-789", ["plid_utama", "auditor"], "Rina", "rina@ppid.test",
                      actor="admin")
    assert users.authenticate(ctx, "rina", "rahasia-uji-789").roles == {"plid_utama", "auditor"}
    users.update_user(ctx, "rina", "admin", ["auditor"], "Rina S.", "rina@ppid.test", None, True,
                      password="kata-sandi-baru")
    assert users.authenticate(ctx, "rina", "kata-sandi-baru").roles == {"auditor"}
    with pytest.raises(SopflowError, match="at least one role"):
        users.update_user(ctx, "rina", "admin", [], "Rina", "rina@ppid.test", None, True)
    with pytest.raises(SopflowError, match="cannot deactivate yourself"):
        users.update_user(ctx, "admin", "admin", ["admin"], "Admin", "a@ppid.test", None, False)
    with ctx.db.session() as session:
        recorded = session.scalars(select(Event).where(Event.type.in_(("user_created", "user_updated")),
                                                      Event.payload["user"].as_string() == "rina")).all()
        assert [e.type for e in recorded] == ["user_created", "user_updated"]
        assert session.scalar(select(Instance.id).limit(1)) is None

"""One publication per planned item; the inbox by lane, office and deadline; in-app notices; several roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit.events import instance_history
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.errors import NotAllowed, SopflowError
from engine.people import users
from engine.runtime import inbox, instances, notices
from engine.runtime.inbox import InboxQuery, InstanceQuery
from engine.store import Event, Instance
from tests.engine.flow import PLAN, STEP_2, complete, item_instance, start_with_plan, the_task


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
    visible, total = inbox.list_instances(ctx, InstanceQuery("pembantu.disdik"))
    assert total == 1 and [i.opd for i in visible] == ["Dinas Pendidikan"]
    assert inbox.list_instances(ctx, InstanceQuery("auditor"))[1] == 3


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

"""One rule for who may see and do what: office confinement belongs to a role, so the inbox, the item pages and
the engine's completion agree, and a Pembantu without an office, or an item without one, opens nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from engine.context import EngineContext
from engine.errors import NotAllowed
from engine.people import users
from engine.people.records import User
from engine.runtime import inbox, instances
from engine.runtime.inbox import InboxQuery, InstanceQuery
from tests.conftest import PASSWORD
from tests.engine.flow import STEP_2, complete, item_instance, start_with_plan, the_task


def test_a_pembantu_without_an_office_sees_and_completes_nothing(ctx: EngineContext) -> None:
    # Such an account can no longer be made (engine.people.users refuses it); one from before that rule may remain.
    users.create_user(ctx, "pembantu.tanpa", PASSWORD, ["ppid_pembantu"], "Tanpa kantor", "t@ppid.test",
                      "Dinas Kesehatan")
    with ctx.db.session() as session:
        session.execute(update(User).where(User.username == "pembantu.tanpa").values(opd=None))
    plan = start_with_plan(ctx)
    task = the_task(ctx, item_instance(ctx, plan.id, "Dinas Kesehatan").id, "Task_2_Siapkan_Data")
    assert inbox.inbox(ctx, InboxQuery("pembantu.tanpa")).total == 0
    assert inbox.list_instances(ctx, InstanceQuery("pembantu.tanpa")).total == 0
    with pytest.raises(NotAllowed, match="no office"):
        instances.complete_task(ctx, task.id, dict(STEP_2), "pembantu.tanpa")
    assert the_task(ctx, task.instance_id, "Task_2_Siapkan_Data").status == "ready"


def test_a_plid_who_is_also_a_pembantu_works_every_office_at_step_3_and_only_their_own_at_step_2(
    ctx: EngineContext,
) -> None:
    users.create_user(ctx, "staf.ganda", PASSWORD, ["plid_utama", "ppid_pembantu"], "Staf ganda", "g@ppid.test",
                      "Dinas Kesehatan")
    plan = start_with_plan(ctx)
    disdik = item_instance(ctx, plan.id, "Dinas Pendidikan")
    step_2 = the_task(ctx, disdik.id, "Task_2_Siapkan_Data")
    listed = {item.id for item in inbox.inbox(ctx, InboxQuery("staf.ganda")).items}
    assert step_2.id not in listed
    with pytest.raises(NotAllowed, match="Dinas Pendidikan"):
        instances.complete_task(ctx, step_2.id, dict(STEP_2), "staf.ganda")
    complete(ctx, step_2, STEP_2)
    step_3 = the_task(ctx, disdik.id, "Task_3_Verifikasi")
    assert step_3.id in {item.id for item in inbox.inbox(ctx, InboxQuery("staf.ganda")).items}
    instances.claim_task(ctx, step_3.id, "staf.ganda")  # what the inbox lists, the engine lets them do
    assert the_task(ctx, disdik.id, "Task_3_Verifikasi").claimed_by == "staf.ganda"


def test_an_item_without_an_office_is_open_to_no_pembantu(ctx: EngineContext) -> None:
    policy = ctx.policy
    with ctx.db.session() as session:
        pembantu = users.get_user(session, "pembantu.dinkes")
        plid = users.get_user(session, "plid.utama")
    assert not policy.may_view(pembantu, None) and not policy.may_work(pembantu, "ppid_pembantu", None)
    with pytest.raises(NotAllowed):
        policy.check_work(pembantu, "PPID Pembantu", None)
    assert policy.may_view(plid, None) and policy.may_work(plid, "plid_utama", None)


def test_no_role_is_named_outside_the_policy_and_the_configuration() -> None:
    import re

    from tests.conftest import ROOT

    roles = ("ppid_utama", "plid_utama", "ppid_pembantu", "process_owner", "auditor", "admin")
    pattern = re.compile("[\"'](" + "|".join(roles) + ")[\"']")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("engine", "webapp", "handlers")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in (".py", ".html") and path.name != "policy.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line) and "Blueprint(" not in line
    ]
    assert offenders == []

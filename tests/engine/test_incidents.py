"""A failing step never answers 500 nor leaves an instance stuck without a trace: a person's completion is
refused with nothing changed; a step the engine runs by itself opens an incident that is listed and retried."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, func, inspect, select, update

from engine.audit.audit_replay import replay_instance
from engine.audit.events import append_event
from engine.clock import ManualClock
from engine.context import EngineContext, WorkflowCache
from engine.diagrams import definitions
from engine.diagrams.migration import migrate_instance
from engine.errors import NotAllowed, StepFailed
from engine.runtime import instances
from engine.runtime.incidents import list_incidents, retry_incident
from engine.runtime.services import ServiceCall
from engine.runtime.timers import fire_due_timers, pending_timers
from engine.schema import alembic_config
from engine.store import Event, Instance, Notification, Timer, WorkItem
from handlers import HANDLERS
from tests.conftest import ROOT
from tests.engine.flow import DISETUJUI, PLAN, STEP_2, complete, item_instance, reach_step, start_with_plan, the_task
from webapp.cli import main

ITEM = (ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_bytes()
DIVIDES_BY_DATA = (b'keputusan_persetujuan == "disetujui" and 1 / (len(paraf_nama) - len(paraf_nama)) == 0')


def _events(ctx: EngineContext, instance_id: int) -> list[tuple[str, dict[str, Any]]]:
    with ctx.db.session() as session:
        rows = session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.id))
        return [(event.type, event.payload) for event in rows]


def _snapshot(ctx: EngineContext, instance_id: int, task_id: str) -> tuple[Any, ...]:
    with ctx.db.session() as session:
        instance, item = session.get(Instance, instance_id), session.get(WorkItem, task_id)
        assert instance is not None and item is not None
        count = session.scalar(select(func.count()).select_from(Event))
        return instance.state, instance.revision, instance.current_task, item.status, item.revision, count


def test_a_condition_failing_on_the_data_refuses_the_completion_and_changes_nothing(ctx: EngineContext) -> None:
    definitions.deploy(ctx, ITEM.replace(b'keputusan_persetujuan == "disetujui"', DIVIDES_BY_DATA),
                       note="kondisi keliru")
    instance_id, step_5 = reach_step(ctx, 5)
    before = _snapshot(ctx, instance_id, step_5.id)
    with pytest.raises(StepFailed) as refused:
        complete(ctx, step_5, DISETUJUI)
    assert refused.value.params["step"] == "Konten disetujui?"
    assert "pembagian dengan nol" in str(refused.value)
    assert _snapshot(ctx, instance_id, step_5.id) == before
    assert list_incidents(ctx) == []


def _failing_breach(fail_for: set[int]) -> Any:
    """The breach handler, except that for the given instances it writes a notice and an event, then fails."""

    def handler(call: ServiceCall) -> dict[str, Any]:
        if call.instance.id not in fail_for:
            return HANDLERS["breach_handler"](call)
        call.session.add(Notification(username="ppid.utama", instance_id=call.instance.id, subject="setengah",
                                      body="jadi", created_at=call.now))
        append_event(call.session, process_id=call.instance.process_id, type="half_done", actor=call.actor,
                     at=call.now, instance=call.instance)
        raise ConnectionError("layanan surat tidak menjawab")

    return handler


def test_a_failing_handler_opens_an_incident_other_timers_fire_and_retry_resolves_it(
    ctx: EngineContext, clock: ManualClock
) -> None:
    plan = start_with_plan(ctx)
    failing = item_instance(ctx, plan.id, PLAN[0]["opd"])
    other = item_instance(ctx, plan.id, PLAN[1]["opd"])
    ctx.handlers["breach_handler"] = _failing_breach({failing.id})
    clock.advance(timedelta(minutes=91))

    fire_due_timers(ctx)

    [row] = list_incidents(ctx)
    incident = row.incident
    assert (incident.instance_id, incident.element_id, incident.status) == (failing.id, "Breach_Task_2_Siapkan_Data",
                                                                          "open")
    assert "tidak menjawab atau menolak sambungan" in incident.message and row.instance_title == PLAN[0]["judul"]
    history = _events(ctx, failing.id)
    assert ("incident_opened", incident.id) in [(kind, payload.get("incident")) for kind, payload in history]
    assert "half_done" not in [kind for kind, _ in history]  # what the handler wrote before failing is undone
    with ctx.db.session() as session:
        assert not session.scalars(select(Notification).where(Notification.subject == "setengah")).all()
        step_2 = session.scalars(select(WorkItem).where(WorkItem.instance_id == failing.id)).one()
        assert step_2.breached_at is None and step_2.status == "ready"
        other_step_2 = session.scalars(select(WorkItem).where(WorkItem.instance_id == other.id)).one()
        assert other_step_2.breached_at is not None  # the other timer still fired
        assert {t.status for t in session.scalars(select(Timer).where(Timer.instance_id == other.id))} == {"fired"}

    with pytest.raises(NotAllowed):
        retry_incident(ctx, incident.id, "ppid.utama")
    again = retry_incident(ctx, incident.id, "admin")  # not fixed yet: still open, one more attempt
    assert (again.status, again.attempts) == ("open", 2)

    ctx.handlers["breach_handler"] = HANDLERS["breach_handler"]
    resolved = retry_incident(ctx, incident.id, "pemilik.proses")
    assert (resolved.status, resolved.resolved_by) == ("resolved", "pemilik.proses")
    kinds = [kind for kind, _ in _events(ctx, failing.id)]
    assert kinds[-3:] == ["time_standard_breached", "service_completed", "incident_resolved"]
    assert list_incidents(ctx) == []
    with ctx.db.session() as session:
        assert session.scalars(select(WorkItem).where(WorkItem.instance_id == failing.id)).one().breached_at
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", PLAN[0]["opd"]), STEP_2)  # the instance goes on
    assert the_task(ctx, plan.id, "Task_3_Verifikasi", PLAN[0]["opd"])
    replayed = replay_instance(ctx, failing.id)  # the failures, the retries and what followed re-execute alike
    assert replayed.equal, replayed.divergence


def test_a_failing_service_task_after_a_completion_keeps_the_completion(ctx: EngineContext) -> None:
    def broken(call: ServiceCall) -> dict[str, Any]:
        raise LookupError("proses item belum siap")

    ctx.handlers["start_item_instances"] = broken
    plan = start_with_plan(ctx)
    [row] = list_incidents(ctx)
    assert (row.incident.instance_id, row.incident.element_id) == (plan.id, "Task_Buat_Item")
    with ctx.db.session() as session:
        assert session.scalars(select(Instance).where(Instance.parent_id == plan.id)).all() == []
    ctx.handlers["start_item_instances"] = HANDLERS["start_item_instances"]
    assert retry_incident(ctx, row.incident.id, "admin").status == "resolved"
    assert item_instance(ctx, plan.id, PLAN[0]["opd"]).status == "running"
    assert instances.get_instance(ctx, plan.id).instance.status == "completed"
    replayed = replay_instance(ctx, plan.id)
    assert replayed.equal, replayed.divergence



def test_the_cli_lists_and_retries_incidents(ctx: EngineContext, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    def broken(call: ServiceCall) -> dict[str, Any]:
        raise LookupError("proses item belum siap")

    ctx.handlers["start_item_instances"] = broken
    plan = start_with_plan(ctx)
    [row] = list_incidents(ctx)
    monkeypatch.setenv("SOPFLOW_DATABASE_URL", ctx.settings.database_url)

    assert main(["incidents", "list"]) == 0
    listing = capsys.readouterr().out
    assert f"instance {plan.id}" in listing and "Task_Buat_Item" in listing
    assert "kesalahan tak terduga (LookupError)" in listing
    assert main(["incidents", "retry", str(row.incident.id), "--as", "auditor"]) == 2
    assert "Only a process owner or an administrator" in capsys.readouterr().err
    assert main(["incidents", "retry", str(row.incident.id), "--as", "admin"]) == 0  # the CLI's handlers work
    assert f"incident {row.incident.id} resolved" in capsys.readouterr().out
    assert main(["incidents", "list"]) == 0 and "no open incidents" in capsys.readouterr().out
    assert item_instance(ctx, plan.id, PLAN[0]["opd"]).status == "running"


def test_a_timer_whose_firing_fails_is_set_aside_with_an_incident_and_fires_on_retry(
    ctx: EngineContext, clock: ManualClock
) -> None:
    plan = start_with_plan(ctx)
    broken, other = item_instance(ctx, plan.id, PLAN[0]["opd"]), item_instance(ctx, plan.id, PLAN[1]["opd"])
    with ctx.db.session() as session:
        saved = session.get(Instance, broken.id).state  # type: ignore[union-attr]
        session.execute(update(Instance).where(Instance.id == broken.id).values(state='{"kaput": '))
    ctx.workflows = WorkflowCache()
    clock.advance(timedelta(minutes=91))

    # the other item's deadline fires all the same, and both items' 80 % reminders (they need no workflow)
    assert fire_due_timers(ctx) == 3

    [row] = list_incidents(ctx)
    assert (row.incident.instance_id, row.incident.element_name) == (broken.id, "Melewati standar waktu")
    assert row.incident.timer_id is not None and "JSONDecodeError" in row.incident.message
    assert row.incident.timer_id not in {timer_id for timer_id, _ in pending_timers(ctx)}  # no refiring loop
    assert fire_due_timers(ctx) == 0
    assert "incident_opened" in [kind for kind, _ in _events(ctx, broken.id)]
    with ctx.db.session() as session:
        session.execute(update(Instance).where(Instance.id == broken.id).values(state=saved))
    assert retry_incident(ctx, row.incident.id, "admin").status == "resolved"
    with ctx.db.session() as session:
        assert session.scalars(select(WorkItem).where(WorkItem.instance_id == broken.id)).one().breached_at
        assert session.get(Timer, row.incident.timer_id).status == "fired"  # type: ignore[union-attr]
    kinds = [kind for kind, _ in _events(ctx, broken.id)]
    assert kinds[-4:] == ["timer_fired", "time_standard_breached", "service_completed", "incident_resolved"]
    replayed = replay_instance(ctx, broken.id)
    assert replayed.equal, replayed.divergence
    assert other.status == "running"


def test_the_incidents_migration_goes_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    command.upgrade(alembic_config(url), "head")
    command.downgrade(alembic_config(url), "0006")
    engine = create_engine(url)
    assert "incidents" not in inspect(engine).get_table_names()
    command.upgrade(alembic_config(url), "head")
    assert {"instance_id", "element_id", "message", "status", "attempts"} <= {
        c["name"] for c in inspect(engine).get_columns("incidents")}
    engine.dispose()


def test_after_a_fixed_version_is_deployed_and_the_instance_migrated_retry_resolves(
    ctx: EngineContext, clock: ManualClock
) -> None:
    broken = ITEM.replace(b'<spiffworkflow:parameters/>', b'<spiffworkflow:parameters><spiffworkflow:parameter '
                          b'id="catatan" type="str" value="kelas_dip"/></spiffworkflow:parameters>', 1)  # not in data
    assert definitions.deploy(ctx, broken, note="parameter keliru").definition.version == 2
    [item] = [item_instance(ctx, start_with_plan(ctx, PLAN[:1]).id)]
    clock.advance(timedelta(minutes=91))
    fire_due_timers(ctx)
    [row] = list_incidents(ctx)
    assert row.incident.element_id == "Breach_Task_2_Siapkan_Data"
    assert "nama 'kelas_dip' tidak ada dalam data" in row.incident.message

    assert definitions.deploy(ctx, ITEM, note="parameter diperbaiki").definition.version == 3
    report = migrate_instance(ctx, item.id, 3, "pemilik.proses", dry_run=False)
    assert report.applied, report.reasons
    resolved = retry_incident(ctx, row.incident.id, "pemilik.proses")
    assert resolved.status == "resolved"
    with ctx.db.session() as session:
        assert session.scalars(select(WorkItem).where(WorkItem.instance_id == item.id)).one().breached_at


def test_cancelling_an_instance_closes_its_open_incident(ctx: EngineContext, clock: ManualClock) -> None:
    plan = start_with_plan(ctx, PLAN[:1])
    item = item_instance(ctx, plan.id)
    ctx.handlers["breach_handler"] = _failing_breach({item.id})
    clock.advance(timedelta(minutes=91))
    fire_due_timers(ctx)
    [row] = list_incidents(ctx)
    instances.cancel_instance(ctx, item.id, "ppid.utama", "Dokumen ditarik OPD.")
    assert list_incidents(ctx) == []
    [closed] = list_incidents(ctx, status="resolved")
    assert (closed.incident.id, closed.incident.resolved_by) == (row.incident.id, "ppid.utama")
    kinds = [(kind, payload.get("instance_cancelled")) for kind, payload in _events(ctx, item.id)]
    assert kinds[-2:] == [("instance_cancelled", None), ("incident_resolved", True)]
    replayed = replay_instance(ctx, item.id)
    assert replayed.equal, replayed.divergence

"""Versions: the list with notes, diffs, drafts, and migrating a running instance with a dry run first."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from engine.audit.audit_replay import replay_instance
from engine.clock import ManualClock
from engine.config import load_settings
from engine.context import EngineContext
from engine.diagrams import definitions, drafts, migration, versions
from engine.diagrams.validation import DiagramProblems
from engine.errors import InvalidDiagram, NotAllowed
from engine.runtime import instances, timers
from engine.store import Draft, Event, Instance, Timer
from handlers import HANDLERS
from tests.conftest import ROOT, START
from tests.engine.flow import PLAN, STEP_2, complete, item_instance, start_with_plan, the_task
from webapp.cli import main

ITEM = (ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_bytes()
PROCESS = "ppid_publikasi_item"
OWNER = "pemilik.proses"


def _faster_step_2(xml: bytes = ITEM, minutes: int = 45) -> bytes:
    new = f"PT{minutes}M".encode()
    return xml.replace(b'name="standar_waktu" value="PT90M"', b'name="standar_waktu" value="' + new + b'"').replace(
        b'>"PT90M"</bpmn:timeDuration>', b'>"' + new + b'"</bpmn:timeDuration>')


def _item_at_step_2(ctx: EngineContext) -> Instance:
    plan = start_with_plan(ctx, PLAN[:1])
    return item_instance(ctx, plan.id)


def _events(ctx: EngineContext, type: str) -> list[Event]:
    with ctx.db.session() as session:
        return list(session.scalars(select(Event).where(Event.type == type).order_by(Event.id)))


def test_versions_list_who_when_and_the_note(ctx: EngineContext, clock: ManualClock) -> None:
    clock.advance(timedelta(days=1))
    definitions.deploy(ctx, _faster_step_2(), OWNER, note="Langkah 2 dipercepat menjadi 45 menit")
    newest, first = versions.list_versions(ctx, PROCESS)
    assert (newest.version, newest.deployed_by, newest.note) == (2, OWNER, "Langkah 2 dipercepat menjadi 45 menit")
    assert newest.deployed_at == clock.now() and first.version == 1 and first.note is None
    assert _events(ctx, "definition_deployed")[-1].payload["note"] == "Langkah 2 dipercepat menjadi 45 menit"


def test_diff_names_changed_elements_and_time_standards(ctx: EngineContext) -> None:
    changed = _faster_step_2().replace(b'name="Tim Pengelola"', b'name="Tim Pengelola"')
    changed = changed.replace(b'<bpmn:endEvent id="End_Dikecualikan" name="',
                              b'<bpmn:endEvent id="End_Dikecualikan" name="Ditolak: ')
    definitions.deploy(ctx, changed, OWNER, note="uji")
    diff = versions.diff_versions(ctx, PROCESS, 1, 2)
    assert [(c.element_id, c.old, c.new) for c in diff.time_standards] == [("Task_2_Siapkan_Data", "PT90M", "PT45M")]
    changed_ids = {c.element_id for c in diff.changed}
    assert {"Task_2_Siapkan_Data", "Timer_Task_2_Siapkan_Data", "End_Dikecualikan"} <= changed_ids
    assert diff.added == [] and diff.removed == []


def test_diff_lists_added_and_removed_elements(ctx: EngineContext) -> None:
    renamed = ITEM.replace(b"End_Dikecualikan", b"End_Informasi_Dikecualikan")
    definitions.deploy(ctx, renamed, OWNER, note="uji")
    diff = versions.diff_versions(ctx, PROCESS, 1, 2)
    assert [c.element_id for c in diff.added] == ["End_Informasi_Dikecualikan"]
    assert [c.element_id for c in diff.removed] == ["End_Dikecualikan"]


def test_running_instances_keep_their_version_and_new_ones_use_the_new_standard(ctx: EngineContext) -> None:
    old = _item_at_step_2(ctx)
    definitions.deploy(ctx, _faster_step_2(), OWNER, note="uji")
    new = _item_at_step_2(ctx)
    old_task, new_task = the_task(ctx, old.id, "Task_2_Siapkan_Data"), the_task(ctx, new.id, "Task_2_Siapkan_Data")
    assert (old_task.time_standard, new_task.time_standard) == ("PT90M", "PT45M")
    assert old_task.due_at is not None and new_task.due_at is not None
    assert old_task.due_at - old_task.ready_at == timedelta(minutes=90)
    assert new_task.due_at - new_task.ready_at == timedelta(minutes=45)


def test_dry_run_reports_without_changing_anything(ctx: EngineContext) -> None:
    item = _item_at_step_2(ctx)
    definitions.deploy(ctx, _faster_step_2(), OWNER, note="uji")
    report = migration.migrate_instance(ctx, item.id, 2, OWNER, dry_run=True)
    assert report.possible and not report.applied
    [move] = report.tasks
    assert (move.spec_id, move.time_standard, move.new_time_standard) == ("Task_2_Siapkan_Data", "PT90M", "PT45M")
    assert move.due_at is not None and move.new_due_at == move.due_at - timedelta(minutes=45)
    assert instances.get_instance(ctx, item.id).instance.definition_id == item.definition_id
    assert the_task(ctx, item.id, "Task_2_Siapkan_Data").time_standard == "PT90M"
    assert _events(ctx, "instance_migrated") == []


def test_migration_moves_the_task_and_its_timer_to_the_new_standard(ctx: EngineContext, clock: ManualClock) -> None:
    item = _item_at_step_2(ctx)
    task_before = the_task(ctx, item.id, "Task_2_Siapkan_Data")
    new_definition = definitions.deploy(ctx, _faster_step_2(), OWNER, note="uji").definition
    clock.advance(timedelta(minutes=10))
    report = migration.migrate_instance(ctx, item.id, 2, OWNER, dry_run=False)
    assert report.applied
    task = the_task(ctx, item.id, "Task_2_Siapkan_Data")
    assert task.id == task_before.id and task.time_standard == "PT45M"
    assert task.due_at == task_before.ready_at + timedelta(minutes=45)
    assert instances.get_instance(ctx, item.id).instance.definition_id == new_definition.id
    [event] = _events(ctx, "instance_migrated")
    assert (event.instance_id, event.actor, event.payload["from_version"], event.payload["to_version"]) == (
        item.id, OWNER, 1, 2)
    with ctx.db.session() as session:
        [timer] = session.scalars(select(Timer).where(Timer.instance_id == item.id, Timer.status == "pending",
                                                      Timer.kind == "event"))
        assert timer.due_at == task.due_at
        [reminder] = session.scalars(select(Timer).where(Timer.instance_id == item.id, Timer.status == "pending",
                                                         Timer.kind == "reminder"))
        assert reminder.due_at == task_before.ready_at + timedelta(minutes=36)  # 80 % of the new 45 minutes
    clock.advance(timedelta(minutes=40))
    assert timers.fire_due_timers(ctx) == 2  # the reminder and the breach
    assert the_task(ctx, item.id, "Task_2_Siapkan_Data").breached_at is not None
    complete(ctx, the_task(ctx, item.id, "Task_2_Siapkan_Data"), STEP_2)
    assert the_task(ctx, item.id, "Task_3_Verifikasi").time_standard == "PT60M"


def test_migration_is_refused_when_the_current_step_no_longer_exists(ctx: EngineContext) -> None:
    item = _item_at_step_2(ctx)
    definitions.deploy(ctx, ITEM.replace(b"Task_2_Siapkan_Data", b"Task_2_Data_Baru"), OWNER, note="uji")
    report = migration.migrate_instance(ctx, item.id, 2, OWNER, dry_run=True)
    assert not report.possible and "Task_2_Siapkan_Data" in report.reasons[0]
    with pytest.raises(migration.MigrationRefused, match="tidak ada di versi 2"):
        migration.migrate_instance(ctx, item.id, 2, OWNER, dry_run=False)
    assert instances.get_instance(ctx, item.id).instance.definition_id == item.definition_id


def test_migration_only_goes_forward_and_only_for_process_owners(ctx: EngineContext) -> None:
    item = _item_at_step_2(ctx)
    definitions.deploy(ctx, _faster_step_2(), OWNER, note="uji")
    migration.migrate_instance(ctx, item.id, 2, OWNER, dry_run=False)
    assert "lebih baru" in migration.migrate_instance(ctx, item.id, 1, OWNER).reasons[0]
    with pytest.raises(NotAllowed):
        migration.migrate_instance(ctx, item.id, 2, "ppid.utama")


def test_a_draft_is_saved_over_and_opened_instead_of_the_deployed_version(ctx: EngineContext) -> None:
    assert drafts.open_diagram(ctx, PROCESS).is_draft is False
    drafts.save_draft(ctx, PROCESS, b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'/>",
                      OWNER)
    drafts.save_draft(ctx, PROCESS, _faster_step_2(), OWNER)
    opened = drafts.open_diagram(ctx, PROCESS)
    assert opened.is_draft and opened.version == 1 and "PT45M" in opened.xml
    assert [e.actor for e in _events(ctx, "draft_saved")] == [OWNER, OWNER]
    drafts.deploy_diagram(ctx, PROCESS, opened.xml.encode(), OWNER, "dari draf")
    assert drafts.get_draft(ctx, PROCESS) is None
    assert drafts.open_diagram(ctx, PROCESS).version == 2


def test_a_hostile_draft_is_refused_and_nothing_is_stored(ctx: EngineContext) -> None:
    with pytest.raises(DiagramProblems, match="DTD"):
        drafts.save_draft(ctx, PROCESS, b'<!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>', OWNER)
    with pytest.raises(DiagramProblems, match="bukan diagram BPMN"):
        drafts.save_draft(ctx, PROCESS, b"<html><body>bukan diagram</body></html>", OWNER)
    with ctx.db.session() as session:
        assert session.scalars(select(Draft)).all() == []


def test_only_process_owners_and_admins_save_drafts(ctx: EngineContext) -> None:
    with pytest.raises(NotAllowed):
        drafts.save_draft(ctx, PROCESS, ITEM, "ppid.utama")
    drafts.save_draft(ctx, PROCESS, ITEM, "admin")


def test_deploy_from_the_modeler_needs_a_note_and_no_problem(ctx: EngineContext) -> None:
    with pytest.raises(InvalidDiagram, match="version note is required"):
        drafts.deploy_diagram(ctx, PROCESS, _faster_step_2(), OWNER, "  ")
    broken = ITEM.replace(b'name="standar_waktu" value="PT60M"', b'name="standar_waktu" value="PT45M"')
    with pytest.raises(DiagramProblems) as refused:
        drafts.deploy_diagram(ctx, PROCESS, broken, OWNER, "uji")
    assert [p.element_id for p in refused.value.problems] == ["Timer_Task_3_Verifikasi"]
    with pytest.raises(DiagramProblems, match="bukan 'ppid_publikasi'"):
        drafts.deploy_diagram(ctx, "ppid_publikasi", ITEM, OWNER, "uji")
    assert [v.version for v in versions.list_versions(ctx, PROCESS)] == [1]


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.setenv("SOPFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SOPFLOW_DEMO_PASSWORD", "demo-password-1")
    assert main(["init", "--demo"]) == 0
    capsys.readouterr()
    return tmp_path


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_lists_versions_diffs_and_migrates_with_a_dry_run(cli_env: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    faster = cli_env / "item.bpmn"
    faster.write_bytes(_faster_step_2())
    assert _cli(capsys, "deploy", str(faster), "--as", OWNER)[0] == 0
    status, out, _ = _cli(capsys, "versions", PROCESS)
    assert status == 0 and out.startswith("v2\t") and f"\t{OWNER}\t" in out and "\nv1\t" in out
    status, out, _ = _cli(capsys, "diff", PROCESS, "1", "2")
    assert status == 0 and "standar waktu 'Menyiapkan" in out and "PT90M -> PT45M" in out
    status, err_out, err = _cli(capsys, "migrate", "99", "--to-version", "2", "--dry-run")
    assert status == 2 and err.count("\n") == 1 and "99" in err


def test_cli_migrate_reports_then_applies(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(environ=dict(os.environ))
    ctx = EngineContext.create(settings, clock=ManualClock(START), handlers=HANDLERS)  # the plan's dates lie ahead
    item = _item_at_step_2(ctx)
    faster = cli_env / "item.bpmn"
    faster.write_bytes(_faster_step_2())
    assert _cli(capsys, "deploy", str(faster))[0] == 0
    status, out, _ = _cli(capsys, "migrate", str(item.id), "--to-version", "2", "--dry-run", "--as", OWNER)
    assert status == 0 and "(dry run)" in out and "PT90M -> PT45M" in out
    assert instances.get_instance(ctx, item.id).instance.definition_id == item.definition_id
    status, out, _ = _cli(capsys, "migrate", str(item.id), "--to-version", "2", "--as", OWNER)
    assert status == 0 and "(migrated)" in out
    assert instances.get_instance(ctx, item.id).instance.definition_id != item.definition_id
    status, _, err = _cli(capsys, "migrate", str(item.id), "--to-version", "1", "--as", OWNER)
    assert status == 2 and "lebih baru" in err
    ctx.db.dispose()


def test_a_migrated_item_replays_across_the_migration_to_its_stored_state(ctx: EngineContext,
                                                                           clock: ManualClock) -> None:
    item = _item_at_step_2(ctx)
    definitions.deploy(ctx, _faster_step_2(), OWNER, note="uji")
    clock.advance(timedelta(minutes=10))
    migration.migrate_instance(ctx, item.id, 2, OWNER, dry_run=False)
    clock.advance(timedelta(minutes=40))  # past the new 45 minutes: the breach is on the new version's timer
    assert timers.fire_due_timers(ctx) == 2
    complete(ctx, the_task(ctx, item.id, "Task_2_Siapkan_Data"), STEP_2)
    assert _events(ctx, "instance_migrated") and _events(ctx, "time_standard_breached")
    result = replay_instance(ctx, item.id)
    assert result.equal, result.divergence
    assert "task states and data" in result.checked


def test_a_log_whose_migration_was_altered_is_named_at_that_event(ctx: EngineContext, clock: ManualClock) -> None:
    item = _item_at_step_2(ctx)
    definitions.deploy(ctx, _faster_step_2(), OWNER, note="uji")
    migration.migrate_instance(ctx, item.id, 2, OWNER, dry_run=False)
    [event] = _events(ctx, "instance_migrated")
    with ctx.db.engine.begin() as connection:  # a forged target version that the instance never ran on
        if ctx.db.engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER events_no_change ON events"))
        else:
            connection.execute(text("DROP TRIGGER events_no_update"))
        forged = {**event.payload, "tasks": [{**event.payload["tasks"][0], "task_id": "bukan-tugas"}]}
        connection.execute(text("UPDATE events SET payload = :p WHERE id = :id"),
                           {"p": json.dumps(forged), "id": event.id})
    result = replay_instance(ctx, item.id)
    assert result.divergence is not None and result.divergence.event_id == event.id
    assert "tidak terbuka dalam pemutaran ulang" in str(result.divergence)

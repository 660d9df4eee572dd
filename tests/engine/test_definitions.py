"""Deploying diagrams: versions, no-op redeploys, and refusals that store nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.context import EngineContext
from engine.diagrams import definitions
from engine.diagrams.validation import read_diagram
from engine.errors import InvalidDiagram
from engine.store import Definition, Event
from tests.conftest import ROOT

PUBLIKASI = (ROOT / "bpmn" / "ppid_publikasi.bpmn").read_bytes()
ITEM = (ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_bytes()
MONITORING = (ROOT / "bpmn" / "ppid_monitoring.bpmn").read_bytes()


def _stored(ctx: EngineContext) -> tuple[int, int]:
    with ctx.db.session() as session:
        return (
            int(session.scalar(select(func.count()).select_from(Definition)) or 0),
            int(session.scalar(select(func.count()).select_from(Event)) or 0),
        )


def test_both_diagrams_are_deployed_with_version_hash_and_author(ctx: EngineContext) -> None:
    with ctx.db.session() as session:
        rows = session.scalars(select(Definition).order_by(Definition.process_id)).all()
        assert [(d.process_id, d.version, d.deployed_by) for d in rows] == [
            ("ppid_monitoring", 1, "setup"),
            ("ppid_publikasi", 1, "setup"),
            ("ppid_publikasi_item", 1, "setup"),
        ]
        assert all(len(d.content_hash) == 64 for d in rows)


def test_identical_content_is_a_noop_and_a_change_is_a_new_version(ctx: EngineContext) -> None:
    before = _stored(ctx)
    again = definitions.deploy(ctx, PUBLIKASI, "ppid.utama", "ppid_publikasi.bpmn")
    assert not again.created and again.definition.version == 1
    assert _stored(ctx) == before
    changed = _edited(b"Rencana unggahan tersedia", b"Rencana unggahan siap")
    second = definitions.deploy(ctx, changed, "ppid.utama", "ppid_publikasi.bpmn")
    assert second.created and second.definition.version == 2 and second.definition.deployed_by == "ppid.utama"
    with ctx.db.session() as session:
        deployed = session.scalars(select(Event).where(Event.type == "definition_deployed",
                                                       Event.process_id == "ppid_publikasi")).all()
    assert [e.payload["version"] for e in deployed] == [1, 2]


def test_new_instances_use_the_newest_version(ctx: EngineContext) -> None:
    from engine.runtime import instances

    renamed = _edited(b"Memberikan arahan kepada tim pengelola konten", b"Memberi arahan publikasi")
    definitions.deploy(ctx, renamed, "ppid.utama")
    instance = instances.start_instance(ctx, "ppid_publikasi", "ppid.utama")
    assert instance.current_task == "Memberi arahan publikasi"


DTD = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ELEMENT definitions ANY>]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>"""
ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</definitions>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</definitions>"""


def _edited(old: bytes, new: bytes, count: int = -1, xml: bytes = PUBLIKASI) -> bytes:
    assert old in xml, old
    return xml.replace(old, new, count)


def _item_edited(old: bytes, new: bytes, count: int = -1) -> bytes:
    return _edited(old, new, count, ITEM)


def _without_lane(task_id: bytes) -> bytes:
    start = ITEM.index(b"<bpmn:flowNodeRef>" + task_id + b"</bpmn:flowNodeRef>")
    end = ITEM.index(b"</bpmn:flowNodeRef>", start) + len(b"</bpmn:flowNodeRef>")
    return ITEM[:start] + ITEM[end:]


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (b"<definitions><process", "bukan XML yang valid"),
        (b"", "bukan XML yang valid"),
        (DTD, "memuat DTD"),
        (ENTITY, "DTD|entit"),
        (EXTERNAL, "DTD|entit|eksternal"),
        ("<?xml version='1.0' encoding='latin-1'?><a>é</a>".encode("latin-1"), "UTF-8"),
        (b"<definitions xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL'/>", "tepat satu proses"),
        (_without_lane(b"Task_3_Verifikasi"), "tidak berada di lane mana pun"),
        (_item_edited(b'value="PT60M"', b'value="PT45M"', 1), "keduanya harus sama"),
        (_item_edited(b"|required|Hasil verifikasi", b"|wajib|Hasil verifikasi"), "unknown requirement"),
        (_item_edited(b'hasil_verifikasi == "sesuai" and', b"hasil_verifikasi === and"), "tidak valid"),
        (_edited(b'id="breach_handler"', b'id="os_system"', 1), "handler 'os_system' yang tidak terdaftar"),
        (_item_edited(b'name="PLID Utama"', b'name="Tim Siluman"'), "tidak dipetakan ke peran"),
        (_item_edited(b'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT30M"</bpmn:timeDuration>',
                 b'<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R3/PT30M"</bpmn:timeCycle>'),
         "timer siklus hanya didukung pada start event"),
    ],
    ids=["truncated", "empty", "dtd", "entity", "external-entity", "not-utf8", "no-process", "no-lane",
         "timer-disagrees", "bad-form", "bad-condition", "unknown-handler", "lane-without-role",
         "cycle-on-boundary"],
)
def test_refused_diagram_gives_the_reason_and_stores_nothing(ctx: EngineContext, xml: bytes, reason: str) -> None:
    before = _stored(ctx)
    with pytest.raises(InvalidDiagram, match=reason):
        definitions.deploy(ctx, xml, "ppid.utama", "upload.bpmn")
    assert _stored(ctx) == before


@pytest.mark.parametrize(
    "injected",
    [
        b'<bpmn:scriptTask id="Script_Evil" name="evil"><bpmn:script>__import__("os").system("id")'
        b"</bpmn:script></bpmn:scriptTask>",
        b'<bpmn:task id="Pre_Evil" name="evil"><bpmn:extensionElements><spiffworkflow:preScript>'
        b'__import__("os").system("id")</spiffworkflow:preScript></bpmn:extensionElements></bpmn:task>',
    ],
    ids=["script-task", "pre-script"],
)
def test_scripts_are_refused(injected: bytes) -> None:
    scripted = _edited(b'<bpmn:userTask id="Task_1_Arahan"', injected + b'<bpmn:userTask id="Task_1_Arahan"')
    with pytest.raises(InvalidDiagram, match="'evil' memuat skrip"):
        read_diagram(scripted)


def test_every_user_task_reads_its_requirements_from_the_diagram() -> None:
    plan, item = read_diagram(PUBLIKASI), read_diagram(ITEM)
    steps = sorted([*plan.steps.values(), *item.steps.values()], key=lambda s: s.step or "")
    assert [(s.step, s.lane, s.time_standard) for s in steps] == [
        ("1", "PPID Utama", "PT15M"),
        ("2", "PPID Pembantu", "PT90M"),
        ("3", "PLID Utama", "PT60M"),
        ("4", "PLID Utama", "PT30M"),
        ("5", "PPID Utama", "PT20M"),
        ("6", "PLID Utama", "PT15M"),
    ]
    assert all(s.required_input and s.output and s.fields for s in steps)
    assert steps[2].required_input == "Formulir validasi data"
    monitoring = read_diagram(MONITORING)
    [step_7] = monitoring.steps.values()
    assert (step_7.step, step_7.lane, step_7.time_standard, step_7.output) == (
        "7", "PPID Utama", "PT60M", "Laporan evaluasi")
    assert monitoring.start_cycle == "R/P1M"


def test_oversized_diagram_is_refused(ctx: EngineContext) -> None:
    with pytest.raises(InvalidDiagram, match="melebihi batas"):
        definitions.deploy(ctx, b" " * (3 * 1024 * 1024), "ppid.utama")


def test_deploy_file_reports_a_missing_file(ctx: EngineContext, tmp_path: Path) -> None:
    with pytest.raises(InvalidDiagram, match="Cannot read"):
        definitions.deploy_file(ctx, tmp_path / "nope.bpmn")

"""The diagram is the one source of the SOP's rules: the time standard is stated once and its timer must match,
reports find steps and loops by their properties, and no step number, flow name or field name of the seed
diagrams is written in the engine's or the handlers' Python."""

from __future__ import annotations

import ast
import re
from datetime import timedelta

from lxml import etree

from engine.audit.audit_evaluation import monthly_evaluation
from engine.audit.audit_reports import time_standard_report
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.diagrams import definitions
from engine.diagrams.diagram_properties import REGISTRY
from engine.diagrams.diagram_xml import NS, properties_of
from engine.diagrams.interchange import import_diagram
from engine.diagrams.validation import validate_diagram
from handlers import HANDLERS
from tests.conftest import ROOT, START
from tests.engine.flow import (
    BELUM,
    DISETUJUI,
    PLAN,
    SESUAI,
    STEP_2,
    STEP_4,
    STEP_6,
    complete,
    item_instance,
    start_with_plan,
    the_task,
)
from tests.engine.test_validation import SETTINGS

ITEM = (ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_bytes()
TIMER_6 = re.compile(rb'<bpmn:boundaryEvent id="Timer_Task_6_Pastikan_Tayang".*?</bpmn:boundaryEvent>')


def _problems(xml: bytes) -> list[tuple[str | None, str]]:
    return [(p.element_id, p.rule) for p in validate_diagram(xml, SETTINGS, set(HANDLERS)).problems]


def test_a_step_without_its_timer_has_no_deadline_and_is_refused_on_that_step() -> None:
    without = TIMER_6.sub(b"", ITEM)
    without = re.sub(rb'<bpmn:sequenceFlow id="Flow_Timer_Task_6_Pastikan_Tayang"[^>]*/>', b"", without)
    without = re.sub(rb'<bpmn:incoming>Flow_Timer_Task_6_Pastikan_Tayang</bpmn:incoming>', b"", without)
    assert ("Task_6_Pastikan_Tayang", "timer-missing") in _problems(without)


def test_a_timer_that_differs_from_the_time_standard_or_a_second_timer_is_refused() -> None:
    slower = ITEM.replace(b'"PT15M"</bpmn:timeDuration>', b'"PT20M"</bpmn:timeDuration>')
    assert ("Timer_Task_6_Pastikan_Tayang", "timer-standard") in _problems(slower)
    timer = TIMER_6.search(ITEM)
    assert timer is not None
    second = timer.group(0).replace(b'id="Timer_Task_6_Pastikan_Tayang"', b'id="Timer_Kedua"').replace(
        b'id="TimerDef_Task_6_Pastikan_Tayang"', b'id="TimerDef_Kedua"')
    assert ("Task_6_Pastikan_Tayang", "timer-count") in _problems(ITEM.replace(timer.group(0), timer.group(0) + second))
    interrupting = ITEM.replace(b'cancelActivity="false" attachedToRef="Task_6_Pastikan_Tayang"',
                                b'cancelActivity="true" attachedToRef="Task_6_Pastikan_Tayang"')
    assert ("Timer_Task_6_Pastikan_Tayang", "timer-interrupting") in _problems(interrupting)


def test_unknown_misplaced_and_wrong_valued_properties_are_named_on_their_element() -> None:
    unknown = ITEM.replace(b'<spiffworkflow:property name="langkah" value="6"/>',
                           b'<spiffworkflow:property name="langkah" value="6"/>'
                           b'<spiffworkflow:property name="tenggat" value="PT15M"/>')
    assert ("Task_6_Pastikan_Tayang", "property") in _problems(unknown)
    marked = ITEM.replace(b'<spiffworkflow:property name="langkah" value="6"/>',
                          b'<spiffworkflow:property name="langkah" value="6"/>'
                          b'<spiffworkflow:property name="penanda" value="bulanan"/>')
    assert ("Task_6_Pastikan_Tayang", "property") in _problems(marked)
    misplaced = ITEM.replace(b'<spiffworkflow:property name="mulai" value="otomatis"/>',
                             b'<spiffworkflow:property name="mulai" value="otomatis"/>'
                             b'<spiffworkflow:property name="putaran_ulang" value="ya"/>')
    assert ("ppid_publikasi_item", "property") in _problems(misplaced)


def test_import_keeps_every_property_of_the_registry() -> None:
    root = etree.fromstring(ITEM)
    task = root.find(".//bpmn:userTask[@id='Task_6_Pastikan_Tayang']", NS)
    assert task is not None
    holder = task.find("bpmn:extensionElements/spiffworkflow:properties", NS)
    assert holder is not None
    for spec in REGISTRY:
        name = spec.name + "x" if spec.prefix else spec.name
        if name not in properties_of(task):
            etree.SubElement(holder, f"{{{NS['spiffworkflow']}}}property", name=name, value="v")
    result = import_diagram(etree.tostring(root), SETTINGS, set(HANDLERS))
    kept = properties_of(etree.fromstring(result.xml).find(".//bpmn:userTask[@id='Task_6_Pastikan_Tayang']", NS))
    assert {spec.name + "x" if spec.prefix else spec.name for spec in REGISTRY} <= set(kept)
    assert {"kelas_dip", "mulai", "penanda", "putaran_ulang", "standar_waktu"} <= set(kept)


def _renumbered_and_renamed(xml: bytes) -> bytes:
    """The process owner renumbers every step (2 -> 12...) and renames every flow and decision in the modeler."""
    xml = re.sub(rb'name="langkah" value="(\d)"', lambda m: b'name="langkah" value="1' + m.group(1) + b'"', xml)
    for old, new in ((b'name="Belum sesuai"', b'name="Perlu perbaikan"'), (b'name="Dikembalikan"', b'name="Revisi"'),
                     (b'name="Tidak"', b'name="Belum tayang"'), (b'name="Sesuai"', b'name="Lengkap"')):
        xml = xml.replace(old, new)
    return xml


def _walk_with_loops(ctx: EngineContext, clock: ManualClock) -> None:
    plan = start_with_plan(ctx, PLAN[:1])
    opd = PLAN[0]["opd"]
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", opd), STEP_2)
    complete(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi", opd), BELUM)
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", opd), STEP_2)
    complete(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi", opd), SESUAI)
    complete(ctx, the_task(ctx, plan.id, "Task_4_Unggah", opd), STEP_4)
    complete(ctx, the_task(ctx, plan.id, "Task_5_Persetujuan", opd),
             {"keputusan_persetujuan": "dikembalikan", "alasan_pengembalian": "Tautan salah."})
    complete(ctx, the_task(ctx, plan.id, "Task_4_Unggah", opd), STEP_4)
    complete(ctx, the_task(ctx, plan.id, "Task_5_Persetujuan", opd), DISETUJUI)
    complete(ctx, the_task(ctx, plan.id, "Task_6_Pastikan_Tayang", opd), STEP_6)
    assert item_instance(ctx, plan.id, opd).status == "completed"


def test_renumbering_and_renaming_steps_and_flows_changes_no_report(ctx: EngineContext, clock: ManualClock) -> None:
    _walk_with_loops(ctx, clock)
    day = START.date()
    before = time_standard_report(ctx, day, day + timedelta(days=1), "lane")
    evaluation = monthly_evaluation(ctx, day.year, day.month)
    assert evaluation.loops == 2 and len(evaluation.published) == 1

    definitions.deploy(ctx, _renumbered_and_renamed(ITEM), "pemilik.proses", note="langkah dinomori ulang")
    _walk_with_loops(ctx, clock)
    after = time_standard_report(ctx, day, day + timedelta(days=1), "lane")
    again = monthly_evaluation(ctx, day.year, day.month)
    assert again.loops == 2 * evaluation.loops and len(again.published) == 2
    assert [row.loops for row in after.rows] == [2 * row.loops for row in before.rows]


def _seed_names() -> set[str]:
    """Flow names, form field names and element ids of the shipped diagrams; not the names sopflow itself
    defines for diagrams to use (the property registry, handler operations and their parameters)."""
    names: set[str] = set()
    interface = {spec.name for spec in REGISTRY}
    for path in (ROOT / "bpmn").glob("*.bpmn"):
        root = etree.parse(str(path)).getroot()
        names |= {str(f.get("name")) for f in root.iterfind(".//bpmn:sequenceFlow", NS) if f.get("name")}
        names |= {str(e.get("id")) for e in root.iter() if e.get("id")}
        interface |= {str(e.get("id")) for e in root.iterfind(".//spiffworkflow:serviceTaskOperator", NS)}
        interface |= {str(e.get("id")) for e in root.iterfind(".//spiffworkflow:parameter", NS)}
        for node in root.iter():
            names |= {key.removeprefix("form.") for key in properties_of(node) if key.startswith("form.")}
    return names - interface


# Still written in Python (issue 12 leftover, named in the closing note): the columns of a plan row (the
# `items` field kind of step 1) and the one name the plan hands to each item besides its row.
PLAN_ROW_VOCABULARY = {
    ("engine/diagrams/forms.py", "kelas_dip"), ("engine/diagrams/forms.py", "ringkasan"),
    ("engine/runtime/case_file.py", "kelas_dip"), ("engine/runtime/case_file.py", "ringkasan"),
    ("engine/diagrams/expressions.py", "arahan_kerja"),
}


def test_no_flow_name_field_name_or_element_id_of_the_seed_diagrams_is_written_in_python() -> None:
    seeds = _seed_names()
    found = []
    for folder in ("engine", "handlers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            where = str(path.relative_to(ROOT))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in seeds
                        and (where, node.value) not in PLAN_ROW_VOCABULARY):
                    found.append(f"{where}:{node.lineno}: {node.value!r}")
    assert found == []

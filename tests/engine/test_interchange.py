"""Importing diagrams exported by other tools, exporting a version, and the SOP document read from diagrams."""

from __future__ import annotations

import pytest

from engine.context import EngineContext
from engine.diagrams import definitions
from engine.diagrams.durations import words
from engine.diagrams.interchange import export_diagram, import_diagram
from engine.diagrams.sop_document import build_sop_document
from engine.diagrams.validation import DiagramProblems
from engine.runtime import instances, task_list
from handlers import HANDLERS
from tests.conftest import ROOT
from tests.engine.test_validation import SETTINGS

IMPORTS = ROOT / "tests" / "fixtures" / "imports"


def _import(name: str, target: str | None = None) -> tuple[bytes, list[str], list[str]]:
    result = import_diagram((IMPORTS / name).read_bytes(), SETTINGS, set(HANDLERS), target)
    return result.xml, result.notes, [str(p) for p in result.problems]


def test_a_camunda_modeler_export_becomes_a_runnable_sopflow_diagram(ctx: EngineContext) -> None:
    result = import_diagram((IMPORTS / "camunda_permohonan.bpmn").read_bytes(), SETTINGS, set(HANDLERS))
    assert result.tool == "Camunda Modeler" and result.problems == []
    assert any("camunda:property" in note for note in result.notes)
    assert any("JUEL" in note for note in result.notes)
    assert b"camunda:properties" not in result.xml and b'"PT30M"' in result.xml
    definitions.deploy(ctx, result.xml, "pemilik.proses", note="impor Camunda")
    instance = instances.start_instance(ctx, "Process_1permohonan", "plid.utama")
    [task] = task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=instance.id))
    assert (task.lane, task.time_standard, task.step) == ("PLID Utama", "PT30M", "1")
    instances.complete_task(ctx, task.id, {"nama_pemohon": "Siti", "putusan": "diterima"}, "plid.utama")
    [answer] = task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=instance.id))
    assert (answer.spec_id, answer.lane, answer.time_standard) == ("Activity_1jawab", "PPID Utama", "P1D")


def test_a_signavio_export_becomes_a_runnable_sopflow_diagram(ctx: EngineContext) -> None:
    result = import_diagram((IMPORTS / "signavio_keberatan.bpmn").read_bytes(), SETTINGS, set(HANDLERS),
                            "keberatan_informasi")
    assert result.tool == "Signavio" and result.problems == []
    assert b"signavio:signavioMetaData" not in result.xml and b'isExecutable="true"' in result.xml
    definitions.deploy(ctx, result.xml, "pemilik.proses", note="impor Signavio")
    instance = instances.start_instance(ctx, "keberatan_informasi", "ppid.utama")
    [task] = task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=instance.id))
    assert (task.step, task.time_standard, task.name) == ("1", "PT2H", "Memeriksa keberatan pemohon")
    instances.complete_task(ctx, task.id, {"putusan": "ditolak", "alasan": "Informasi dikecualikan."}, "ppid.utama")
    assert instances.get_instance(ctx, instance.id).instance.status == "completed"


def test_elements_sopflow_cannot_execute_are_each_named_never_an_error() -> None:
    _, _, problems = _import("camunda_unsupported.bpmn")
    text = "\n".join(problems)
    for element in ("Activity_0kirim", "Activity_1hitung", "Activity_0skrip", "Event_0surat"):
        assert f"[{element}]" in text
    assert "camunda:class" in text and "camunda:expression" in text and "memuat skrip" in text
    assert "event pesan" in text


def test_a_bpmn_io_sketch_gets_a_problem_per_missing_piece() -> None:
    _, notes, problems = _import("bpmnio_sederhana.bpmn")
    assert any("isExecutable" in note for note in notes)
    assert any("[Gateway_0rumit]" in p and "gateway kompleks" in p for p in problems)
    assert any("[Activity_0arsip]" in p and "lane" in p for p in problems)
    assert any("[Activity_0arsip]" in p and "standar_waktu" in p for p in problems)


def test_a_file_that_is_not_bpmn_is_refused_with_a_reason() -> None:
    with pytest.raises(DiagramProblems, match="bukan diagram BPMN"):
        import_diagram(b"<html><body>bukan diagram</body></html>")
    with pytest.raises(DiagramProblems, match="DTD"):
        import_diagram(b'<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>')


def test_export_gives_the_deployed_xml_of_a_version(ctx: EngineContext) -> None:
    filename, xml = export_diagram(ctx, "ppid_publikasi_item")
    assert filename == "ppid_publikasi_item_v1.bpmn"
    assert xml == (ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_bytes()


def test_the_sop_document_has_a_row_per_step_with_lane_symbol_and_mutu_baku(ctx: EngineContext) -> None:
    document = build_sop_document(ctx)
    assert [row.number for row in document.rows] == ["1", "2", "3", "4", "5", "6", "7"]
    assert document.lanes == ["PPID Utama", "PLID Utama", "PPID Pembantu"]
    by_number = {row.number: row for row in document.rows}
    assert (by_number["2"].lane, by_number["2"].time_text, by_number["2"].symbol) == (
        "PPID Pembantu", "1 jam 30 menit", "process")
    assert by_number["3"].symbol == "decision" and "Belum sesuai: ke langkah 2" in by_number["3"].note
    assert by_number["1"].symbol == "terminator"
    assert by_number["3"].required_input == "Formulir validasi data"


def test_a_new_time_standard_shows_in_the_sop_document_once_deployed(ctx: EngineContext) -> None:
    item = (ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_bytes()
    faster = item.replace(b'name="standar_waktu" value="PT60M"', b'name="standar_waktu" value="PT45M"').replace(
        b'>"PT60M"</bpmn:timeDuration>', b'>"PT45M"</bpmn:timeDuration>')
    definitions.deploy(ctx, faster, "pemilik.proses", note="verifikasi 45 menit")
    row = next(r for r in build_sop_document(ctx, ["ppid_publikasi_item"]).rows if r.number == "3")
    assert (row.time_standard, row.time_text) == ("PT45M", "45 menit")
    old = next(r for r in build_sop_document(ctx, ["ppid_publikasi_item"], version=1).rows if r.number == "3")
    assert old.time_text == "1 jam"


def test_identity_fields_come_from_the_process_properties(ctx: EngineContext) -> None:
    item = (ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_bytes()
    engine_started = b'<spiffworkflow:property name="mulai" value="otomatis"/>'
    assert engine_started in item
    with_identity = item.replace(
        engine_started,
        engine_started
        + b'<spiffworkflow:property name="sop.nomor" value="500.12.11/01/DISKOMINFO-INFOKOM/2025"/>'
        b'<spiffworkflow:property name="sop.dasar_hukum" value="UU 14/2008; PP 61/2010"/>')
    definitions.deploy(ctx, with_identity, "pemilik.proses", note="identitas")
    document = build_sop_document(ctx, ["ppid_publikasi_item"])
    assert ("Nomor SOP", "500.12.11/01/DISKOMINFO-INFOKOM/2025") in document.identity
    assert ("Dasar hukum", ["UU 14/2008", "PP 61/2010"]) in document.sections


@pytest.mark.parametrize(("iso", "text"), [("PT15M", "15 menit"), ("PT90M", "1 jam 30 menit"), ("P1D", "1 hari"),
                                           (None, "-"), ("kapan-kapan", "kapan-kapan")])
def test_durations_read_in_indonesian(iso: str | None, text: str) -> None:
    assert words(iso) == text


def test_connectors_run_from_each_step_to_the_next_across_lanes(ctx: EngineContext) -> None:
    rows = {row.number: row for row in build_sop_document(ctx).rows}
    # step 1 (PPID Utama) -> step 2 (PPID Pembantu): an elbow across PLID Utama
    assert rows["1"].connectors == {"PPID Utama": ("drop", "right"), "PLID Utama": ("across",),
                                    "PPID Pembantu": ("left", "tail")}
    # step 3 -> step 4 stay in PLID Utama: a straight line down; its Belum sesuai goes right, across PPID
    # Pembantu, up the loop column and left into step 2 (which shows the arrowhead)
    assert rows["3"].connectors["PLID Utama"] == ("down", "mid-right", "up")
    assert rows["3"].connectors["PPID Utama"] == () and rows["3"].connectors["PPID Pembantu"] == ("mid-across",)
    assert rows["3"].connectors[""] == ("mid-left", "up") and rows["3"].loop_names == ("Belum sesuai",)
    assert rows["2"].connectors[""] == ("down", "mid-left") and rows["2"].loop_in and not rows["3"].loop_in
    assert "down" not in rows["7"].connectors["PPID Utama"] and "up" in rows["7"].connectors["PPID Utama"]

"""Diagram validation: one test per rule, every problem with the element to mark and an Indonesian message."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import Settings, load_settings
from engine.diagrams.diagram_xml import Problem
from engine.diagrams.validation import MAX_DIAGRAM_BYTES, validate_diagram
from handlers import HANDLERS
from tests.conftest import ROOT
from webapp.cli import main

ITEM = (ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_bytes()
PUBLIKASI = (ROOT / "bpmn" / "ppid_publikasi.bpmn").read_bytes()
MONITORING = (ROOT / "bpmn" / "ppid_monitoring.bpmn").read_bytes()
SETTINGS: Settings = load_settings(ROOT / "config.yaml", environ={"SOPFLOW_DATABASE_URL": "sqlite:///:memory:"})


def _edit(xml: bytes, old: bytes, new: bytes, count: int = -1) -> bytes:
    assert old in xml, old
    return xml.replace(old, new, count)


def _problems(xml: bytes) -> list[Problem]:
    return validate_diagram(xml, SETTINGS, set(HANDLERS)).problems


def _only(xml: bytes, rule: str) -> list[Problem]:
    problems = _problems(xml)
    assert problems, "expected a problem"
    assert {p.rule for p in problems} == {rule}, problems
    return problems


def _before_task_3(fragment: bytes) -> bytes:
    return _edit(ITEM, b'<bpmn:userTask id="Task_3_Verifikasi"', fragment + b'<bpmn:userTask id="Task_3_Verifikasi"')


@pytest.mark.parametrize("xml", [PUBLIKASI, ITEM, MONITORING], ids=["publikasi", "item", "monitoring"])
def test_the_shipped_diagrams_have_no_problem(xml: bytes) -> None:
    result = validate_diagram(xml, SETTINGS, set(HANDLERS))
    assert result.problems == []
    assert result.model is not None and result.model.steps


def test_oversized_diagram_is_a_size_problem() -> None:
    [problem] = _only(b" " * (MAX_DIAGRAM_BYTES + 1), "size")
    assert "melebihi batas" in problem.message and problem.element_id is None


def test_non_utf8_diagram_is_an_encoding_problem() -> None:
    _only("<?xml version='1.0' encoding='latin-1'?><a>é</a>".encode("latin-1"), "encoding")


@pytest.mark.parametrize(
    ("xml", "rule"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE d [<!ELEMENT d ANY>]><d/>', "dtd"),
        (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>', "dtd"),
        (b"<definitions><process", "xml"),
    ],
    ids=["dtd", "entity", "truncated"],
)
def test_dtds_entities_and_broken_xml_are_refused_before_parsing(xml: bytes, rule: str) -> None:
    [problem] = _problems(xml)
    assert problem.rule in (rule, "entity")
    assert "ditolak" in problem.message or "bukan XML" in problem.message


def test_a_diagram_needs_exactly_one_executable_process() -> None:
    [problem] = _only(b"<definitions xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL'/>", "process")
    assert "tepat satu proses" in problem.message


def test_a_script_task_is_refused_and_marked() -> None:
    scripted = _before_task_3(b'<bpmn:scriptTask id="Script_Evil" name="jahat"><bpmn:script>import os'
                              b"</bpmn:script></bpmn:scriptTask>")
    [problem] = _only(scripted, "script")
    assert problem.element_id == "Script_Evil" and "memuat skrip" in problem.message


def test_pre_and_post_scripts_are_refused_on_their_task() -> None:
    scripted = _edit(ITEM, b"<spiffworkflow:properties><spiffworkflow:property name=\"langkah\" value=\"4\"/>",
                     b"<spiffworkflow:postScript>x = 1</spiffworkflow:postScript><spiffworkflow:properties>"
                     b"<spiffworkflow:property name=\"langkah\" value=\"4\"/>")
    [problem] = _only(scripted, "script")
    assert problem.element_id == "Task_4_Unggah"


@pytest.mark.parametrize(
    ("fragment", "element_id", "named"),
    [
        (b'<bpmn:complexGateway id="Gateway_Rumit" name="Rumit"/>', "Gateway_Rumit", "gateway kompleks"),
        (b'<bpmn:intermediateCatchEvent id="Catch_Pesan" name="Tunggu surat"><bpmn:messageEventDefinition/>'
         b"</bpmn:intermediateCatchEvent>", "Catch_Pesan", "event pesan"),
        (b'<bpmn:serviceTask id="Service_Java" name="Kirim" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
         b'camunda:class="org.example.Kirim"/>', "Service_Java", "camunda:class"),
        (b'<bpmn:serviceTask id="Service_Expr" name="Hitung" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
         b'camunda:expression="${hitung}"/>', "Service_Expr", "camunda:expression"),
        (b'<bpmn:callActivity id="Call_Lain" name="Proses lain" calledElement="x"/>', "Call_Lain", "call activity"),
    ],
    ids=["complex-gateway", "message-event", "camunda-class", "camunda-expression", "call-activity"],
)
def test_elements_sopflow_cannot_execute_are_named(fragment: bytes, element_id: str, named: str) -> None:
    [problem] = _only(_before_task_3(fragment), "unsupported")
    assert problem.element_id == element_id and named in problem.message


def test_a_user_task_outside_every_lane_is_a_lane_problem() -> None:
    xml = _edit(ITEM, b"<bpmn:flowNodeRef>Task_3_Verifikasi</bpmn:flowNodeRef>", b"")
    [problem] = _only(xml, "lane")
    assert problem.element_id == "Task_3_Verifikasi"


def test_a_lane_without_a_role_is_reported_on_each_of_its_user_tasks() -> None:
    problems = _only(_edit(ITEM, b'name="PLID Utama"', b'name="Tim Siluman"'), "lane-role")
    assert {p.element_id for p in problems} == {"Task_3_Verifikasi", "Task_4_Unggah", "Task_6_Pastikan_Tayang"}
    assert all("Tim Siluman" in p.message and "tidak dipetakan ke peran" in p.message for p in problems)


def test_a_user_task_without_a_time_standard_is_reported() -> None:
    xml = _edit(ITEM, b'<spiffworkflow:property name="standar_waktu" value="PT30M"/>', b"")
    problems = _problems(xml)
    assert [(p.element_id, p.rule) for p in problems] == [("Task_4_Unggah", "time-standard")]
    assert "tidak memiliki standar_waktu" in problems[0].message


def test_a_time_standard_that_is_not_iso_8601_is_reported() -> None:
    xml = _edit(ITEM, b'name="standar_waktu" value="PT30M"', b'name="standar_waktu" value="30 menit"')
    assert ("Task_4_Unggah", "time-standard") in [(p.element_id, p.rule) for p in _problems(xml)]


def test_a_boundary_timer_must_agree_with_the_time_standard() -> None:
    xml = _edit(ITEM, b'name="standar_waktu" value="PT60M"', b'name="standar_waktu" value="PT45M"')
    [problem] = _only(xml, "timer-standard")
    assert problem.element_id == "Timer_Task_3_Verifikasi"
    assert "PT60M" in problem.message and "PT45M" in problem.message


@pytest.mark.parametrize(
    ("expression", "words"),
    [(b'"PT30 menit"', "bukan nilai ISO 8601"), (b"PT30M", "bertanda kutip")],
    ids=["not-iso", "unquoted"],
)
def test_timers_must_be_quoted_iso_8601(expression: bytes, words: str) -> None:
    xml = _edit(ITEM, b'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT30M"</bpmn:timeDuration>',
                b'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">' + expression + b"</bpmn:timeDuration>")
    [problem] = _only(xml, "timer")
    assert problem.element_id == "Timer_Task_4_Unggah" and words in problem.message


def test_a_cycle_timer_is_only_allowed_on_a_start_event() -> None:
    xml = _edit(ITEM, b'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT30M"</bpmn:timeDuration>',
                b'<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R3/PT30M"</bpmn:timeCycle>')
    [problem] = _only(xml, "timer")
    assert "hanya didukung pada start event" in problem.message


def test_a_gateway_flow_without_condition_or_default_is_reported() -> None:
    xml = _edit(ITEM, b'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">kelas_dip == "dikecualikan"'
                      b"</bpmn:conditionExpression>", b"")
    [problem] = _only(xml, "gateway")
    assert problem.element_id == "Gateway_Verifikasi" and "'Dikecualikan'" in problem.message


def test_a_default_flow_needs_no_condition() -> None:
    xml = _edit(ITEM, b'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">kelas_dip == "dikecualikan"'
                      b"</bpmn:conditionExpression>", b"")
    xml = _edit(xml, b'<bpmn:exclusiveGateway id="Gateway_Verifikasi"',
                b'<bpmn:exclusiveGateway default="Flow_Dikecualikan" id="Gateway_Verifikasi"')
    assert _problems(xml) == []


def test_a_condition_that_is_not_an_expression_is_reported_on_its_flow() -> None:
    xml = _edit(ITEM, b'hasil_verifikasi == "sesuai" and', b"hasil_verifikasi === and")
    [problem] = _only(xml, "expression")
    assert problem.element_id == "Flow_Sesuai" and "tidak valid" in problem.message


def test_a_malformed_form_field_is_reported() -> None:
    [problem] = _only(_edit(ITEM, b"|required|Hasil verifikasi", b"|wajib|Hasil verifikasi"), "form")
    assert problem.element_id == "Task_3_Verifikasi"


def test_service_tasks_may_only_call_registered_handlers() -> None:
    [problem] = _only(_edit(ITEM, b'id="breach_handler"', b'id="os_system"', 1), "handler")
    assert "'os_system'" in problem.message and "tidak terdaftar" in problem.message


def test_a_timer_start_needs_a_monthly_cycle_and_a_schedule() -> None:
    weekly = _edit(MONITORING, b'"R/P1M"', b'"R/P1W"')
    [problem] = _only(weekly, "schedule")
    assert problem.element_id == "StartEvent_Bulanan"
    renamed = _edit(MONITORING, b'id="ppid_monitoring"', b'id="ppid_lain"')
    renamed = _edit(renamed, b'processRef="ppid_monitoring"', b'processRef="ppid_lain"')
    assert [p.rule for p in _problems(renamed)] == ["schedule"]


def test_a_process_without_user_tasks_is_reported() -> None:
    xml = (b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">'
           b'<bpmn:process id="kosong" isExecutable="true"><bpmn:startEvent id="S"/></bpmn:process>'
           b"</bpmn:definitions>")
    assert "user-task" in [p.rule for p in _problems(xml)]


def test_what_spiffworkflow_cannot_parse_is_a_bpmn_problem() -> None:
    xml = _edit(ITEM, b'targetRef="Task_3_Verifikasi"', b'targetRef="Task_Hilang"')
    assert "bpmn" in [p.rule for p in _problems(xml)]


def test_every_problem_is_reported_at_once() -> None:
    xml = _edit(ITEM, b'name="standar_waktu" value="PT60M"', b'name="standar_waktu" value="PT45M"')
    xml = _edit(xml, b'id="breach_handler"', b'id="os_system"', 1)
    xml = _edit(xml, b"<bpmn:flowNodeRef>Task_4_Unggah</bpmn:flowNodeRef>", b"")
    assert sorted(p.rule for p in _problems(xml)) == ["handler", "lane", "timer-standard"]


def test_without_settings_only_the_installation_free_rules_run() -> None:
    xml = _edit(ITEM, b'name="PLID Utama"', b'name="Tim Siluman"')
    assert validate_diagram(xml).problems == []


def test_the_process_id_must_be_the_one_being_edited() -> None:
    result = validate_diagram(ITEM, SETTINGS, set(HANDLERS), expected_process_id="ppid_publikasi")
    assert [p.rule for p in result.problems] == ["process"]


def test_cli_validate_lists_each_problem_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOPFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    broken = tmp_path / "rusak.bpmn"
    broken.write_bytes(_edit(ITEM, b'name="standar_waktu" value="PT60M"', b'name="standar_waktu" value="PT45M"'))
    assert main(["validate", str(broken)]) == 2
    out, err = capsys.readouterr()
    assert out.startswith("Timer_Task_3_Verifikasi\ttimer-standard\t")
    assert err.count("\n") == 1 and "1 masalah" in err
    good = tmp_path / "baik.bpmn"
    good.write_bytes(ITEM)
    assert main(["validate", str(good)]) == 0
    assert "tidak ada masalah: ppid_publikasi_item" in capsys.readouterr().out
    assert main(["validate", str(tmp_path / "tidak-ada.bpmn")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_the_checked_link_must_be_a_url_field_of_the_step() -> None:
    xml = _edit(ITEM, b'<spiffworkflow:property name="standar_waktu" value="PT30M"/>',
                b'<spiffworkflow:property name="standar_waktu" value="PT30M"/>'
                b'<spiffworkflow:property name="periksa_tautan" value="catatan_tidak_ada"/>')
    [problem] = _only(xml, "form")
    assert problem.element_id == "Task_4_Unggah" and "periksa_tautan" in problem.message

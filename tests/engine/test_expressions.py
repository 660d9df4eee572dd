"""Expressions are checked when a diagram is validated (so at deploy and in the modeler), and evaluated under
the same limits when an instance runs."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from simpleeval import InvalidExpression, NumberTooHigh  # type: ignore[import-untyped]

from engine.diagrams.diagram_xml import Problem
from engine.diagrams.expressions import evaluate, expression_problem, known_names
from engine.diagrams.validation import validate_diagram
from engine.runtime.spiff import SERIALIZER, RestrictedScriptEngine, dump_workflow, load_workflow
from handlers import HANDLERS
from tests.engine.test_validation import ITEM, SETTINGS, _edit

APPROVED = b'keputusan_persetujuan == "disetujui"'


def _condition_problems(condition: bytes) -> list[Problem]:
    xml = _edit(ITEM, APPROVED, condition)
    return validate_diagram(xml, SETTINGS, set(HANDLERS)).problems


@pytest.mark.parametrize(
    ("condition", "says"),
    [
        (b'keputusan_persetujan == "disetujui"', "nama 'keputusan_persetujan' tidak dikenal"),
        (b"999999**999999 &gt; 0", "melampaui batas perpangkatan"),
        (b"().__class__.__bases__[0].__subclasses__()", "diawali garis bawah"),
        (b'__import__("os") == keputusan_persetujuan', "'__import__' (diawali garis bawah) tidak diizinkan"),
        (b"rand() &gt; 0.5", "fungsi acak 'rand' tidak diizinkan"),
        (b"randint(10) &gt; 5", "fungsi acak 'randint' tidak diizinkan"),
        (b'"x" * 1000000000 == keputusan_persetujuan', "hasilnya terlalu panjang"),
        (b"[k for k in keputusan_persetujuan] == []", "'comprehension' tidak diizinkan"),
        (b'f"{keputusan_persetujuan:&gt;999999999}" == ""', "'f-string' tidak diizinkan"),
        (b'keputusan_persetujuan.zfill(999999999) == ""', "atribut 'zfill' tidak diizinkan"),
    ],
    ids=["typo", "power", "dunder-attribute", "import", "rand", "randint", "repeat", "comprehension", "f-string",
         "method"],
)
def test_a_hostile_or_unknown_condition_is_refused_on_its_flow_in_indonesian(condition: bytes, says: str) -> None:
    started = time.perf_counter()
    problems = _condition_problems(condition)
    assert time.perf_counter() - started < 2.0  # nothing unbounded was evaluated
    [problem] = [p for p in problems if p.rule == "expression"]
    assert problem.element_id == "Flow_Disetujui"
    assert "kondisi alur 'Disetujui' dari gateway 'Konten disetujui?'" in problem.message
    assert "ditolak" in problem.message and says in problem.message, problem.message


def test_the_shipped_conditions_use_only_declared_names() -> None:
    names = known_names({"keputusan_persetujuan", "kelas_dip"})
    assert expression_problem('keputusan_persetujuan == "disetujui"', names) is None
    assert expression_problem('item["opd"].strip().lower() in ("a", "b") and len(kelas_dip) > 2', names) is None
    assert expression_problem("2 ** 10 > 1000", names) is None


def test_a_service_task_parameter_is_checked_like_a_condition() -> None:
    xml = _edit(ITEM, b'<spiffworkflow:parameters/>', b'<spiffworkflow:parameters><spiffworkflow:parameter '
                b'id="catatan" type="str" value="__import__(&quot;os&quot;)"/></spiffworkflow:parameters>', count=1)
    [problem] = [p for p in validate_diagram(xml, SETTINGS, set(HANDLERS)).problems if p.rule == "expression"]
    assert problem.element_id == "Breach_Task_2_Siapkan_Data"
    assert "parameter 'catatan'" in problem.message and "garis bawah" in problem.message


def test_a_property_expression_with_an_unknown_item_key_or_name_is_refused() -> None:
    opd = b'<spiffworkflow:property name="opd" value="item[&quot;opd&quot;]"/>'
    xml = _edit(ITEM, opd, b'<spiffworkflow:property name="opd" value="item[&quot;opdd&quot;]"/>', count=1)
    xml = _edit(xml, b'name="judul" value="item[&quot;judul&quot;]"', b'name="judul" value="itme[&quot;judul&quot;]"',
                count=1)
    problems = [p for p in validate_diagram(xml, SETTINGS, set(HANDLERS)).problems if p.rule == "expression"]
    assert {p.element_id for p in problems} == {"Task_2_Siapkan_Data"}
    messages = " | ".join(p.message for p in problems)
    assert "properti opd" in messages and "kunci tidak dikenal" in messages
    assert "properti judul" in messages and "nama 'itme' tidak dikenal" in messages


def test_the_evaluator_keeps_the_limits_at_run_time() -> None:
    started = time.perf_counter()
    with pytest.raises(NumberTooHigh):
        evaluate("x ** x > 0", {"x": 999999})
    with pytest.raises(InvalidExpression):
        evaluate("rand() > 0.5", {})
    with pytest.raises(InvalidExpression):
        evaluate("x.__class__", {"x": 1})
    assert time.perf_counter() - started < 1.0
    assert evaluate('item["opd"].lower() == "dinkes"', {"item": {"opd": "DINKES"}}) is True


def test_a_loaded_workflow_carries_the_restricted_evaluator() -> None:
    model = validate_diagram(ITEM, SETTINGS, set(HANDLERS)).raise_if_problems()
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    workflow = load_workflow(dump_workflow(BpmnWorkflow(model.spec, model.subprocess_specs)), model.spec,
                             model.subprocess_specs)
    assert isinstance(workflow.script_engine, RestrictedScriptEngine)
    task = workflow.get_next_task()
    assert task is not None
    with pytest.raises(Exception, match="__import__"):
        workflow.script_engine.evaluate(task, '__import__("os")')


@pytest.mark.parametrize("value", [datetime(2026, 12, 5, 8, 30, tzinfo=UTC), 10**30, "Dinas Kesehatan — 𝔖 \u2028"])
def test_the_stored_state_is_what_spiffworkflow_itself_would_store(value: object) -> None:
    """The state is encoded faster than SpiffWorkflow's serializer does it, to the same JSON: dates still typed,
    an integer beyond 64 bits and any text kept exactly."""
    model = validate_diagram(ITEM, SETTINGS, set(HANDLERS)).raise_if_problems()
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    workflow = BpmnWorkflow(model.spec, model.subprocess_specs)
    task = workflow.get_next_task()
    assert task is not None
    task.data["nilai"] = value
    stored = dump_workflow(workflow)
    assert json.loads(stored) == json.loads(SERIALIZER.serialize_json(workflow))
    restored = load_workflow(stored, model.spec, model.subprocess_specs).get_task_from_id(task.id)
    assert restored is not None and restored.data["nilai"] == value

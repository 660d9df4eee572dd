"""Library errors about a diagram reach a person as an Indonesian sentence naming the place, never as the
library's English (lxml, expat, SpiffWorkflow, the XML schema, Python's expression syntax)."""

from __future__ import annotations

import re

import pytest
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.diagrams.diagram_problems import bpmn_problem
from engine.diagrams.validation import validate_diagram
from tests.hostile.payloads import ITEM_DIAGRAM
from tests.hostile.test_diagrams import HOSTILE

ORIGINAL = ITEM_DIAGRAM.read_text(encoding="utf-8")
CONDITION = re.search(r"<bpmn:conditionExpression[^>]*>([^<]*)<", ORIGINAL)
assert CONDITION is not None
ENGLISH = re.compile(r"Excessive|XML_PARSE_HUGE|invalid syntax|not well-formed|No start event|undefined entity|"
                     r"Multiple outgoing|not expected|was never closed|\bthe\b|\bfound\b", re.IGNORECASE)
BROKEN = {
    "deep nesting": (HOSTILE["deep nesting"][0], "bersarang lebih dari 256 tingkat elemen pada baris 11"),
    "undefined entity": (HOSTILE["external entity without a DTD"][0],
                         "entitas XML yang tidak dideklarasikan pada baris 11"),
    "bad token": (ORIGINAL.replace("<bpmn:process ", "<bpmn:process x=", 1), "tanda yang tidak sah pada baris 5"),
    "truncated": (ORIGINAL[:500], "kosong atau terpotong"),
    "condition syntax": (ORIGINAL.replace(CONDITION.group(1), "status ==== 'x'", 1), "penulisan tidak sah"),
    "condition unclosed": (ORIGINAL.replace(CONDITION.group(1), "(1 + ", 1), "tanda kurung atau kutip tidak ditutup"),
    "no start event": (re.sub(r"<bpmn:startEvent .*?</bpmn:startEvent>", "", ORIGINAL, count=1, flags=re.S),
                       "proses 'Pengolahan per item informasi publik' tidak memiliki start event"),
    "schema": (ORIGINAL.replace("<bpmn:userTask ", '<bpmn:userTask foo="1" ', 1),
               "elemen di baris 11 tidak sesuai skema BPMN 2.0"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_library_error_is_an_indonesian_sentence_naming_the_place(case: str) -> None:
    xml, expected = BROKEN[case]
    messages = [problem.message for problem in validate_diagram(xml.encode()).problems]
    assert any(expected in message for message in messages), messages
    assert not any(ENGLISH.search(message) for message in messages), messages


def test_two_outgoing_flows_from_a_task_name_the_task() -> None:
    error = ValidationException("Multiple outgoing flows are not supported for tasks of type", id="Task_1",
                                name="Verifikasi")
    assert bpmn_problem(error) == ("diagram bukan BPMN yang valid: 'Verifikasi' memiliki lebih dari satu "
                                   "alur keluar; gunakan gateway untuk percabangan")
    unknown = bpmn_problem(ValidationException("Something new went wrong", id="Gateway_9"))
    assert unknown == "diagram bukan BPMN yang valid: tidak dapat dibaca pada Gateway_9"

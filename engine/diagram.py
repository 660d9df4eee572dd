"""Reading a BPMN diagram safely and learning from it what sopflow needs: steps, lanes, forms, timers.

Hostile XML is refused before SpiffWorkflow sees it; everything a step requires is read from the
diagram's extension properties, never from Python.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as defused
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from SpiffWorkflow.spiff.specs.mixins.service_task import ServiceTask

from engine.errors import InvalidDiagram
from engine.forms import FormField, fields_from_properties
from engine.spiff import CLOCKED_TIMERS, ScheduledStartTimer, SopflowParser, iso_duration

MAX_DIAGRAM_BYTES = 2 * 1024 * 1024
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_HARDENED = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class StepSpec:
    """One user task as the diagram describes it."""

    spec_id: str
    name: str
    lane: str | None
    step: str | None
    required_input: str | None
    output: str | None
    time_standard: str | None
    opd_expression: str | None
    label_expression: str | None
    fields: tuple[FormField, ...]


@dataclass
class ProcessModel:
    """A parsed, validated diagram with one executable process."""

    process_id: str
    name: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    steps: dict[str, StepSpec]
    flow_names: dict[tuple[str, str], str]
    start_lane: str | None
    start_cycle: str | None
    service_operations: frozenset[str]
    names: dict[str, str] = field(default_factory=dict)


def _screen(xml: bytes) -> etree._Element:
    """Refuse DTDs, entities and external references, then parse with a hardened lxml parser."""
    if len(xml) > MAX_DIAGRAM_BYTES:
        raise InvalidDiagram(f"the diagram is {len(xml)} bytes; the limit is {MAX_DIAGRAM_BYTES} bytes")
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidDiagram("the diagram must be encoded as UTF-8") from error
    try:
        defused.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden as error:
        raise InvalidDiagram("the diagram declares a DTD (<!DOCTYPE ...>); DTDs are refused") from error
    except EntitiesForbidden as error:
        raise InvalidDiagram(f"the diagram declares the XML entity {error.name!r}; entities are refused") from error
    except ExternalReferenceForbidden as error:
        raise InvalidDiagram("the diagram refers to an external resource; refused") from error
    except ParseError as error:
        raise InvalidDiagram(f"the diagram is not well-formed XML: {error}") from error
    try:
        return etree.fromstring(xml, parser=_HARDENED)
    except etree.XMLSyntaxError as error:
        raise InvalidDiagram(f"the diagram is not well-formed XML: {error}") from error


def _refuse_scripts(root: etree._Element) -> None:
    """Scripts anywhere in the document, reachable or not, would be code from an upload: refused."""
    scripted = root.xpath(
        ".//bpmn:scriptTask | .//spiffworkflow:preScript | .//spiffworkflow:postScript",
        namespaces={**NS, "spiffworkflow": SPIFF_NS},
    )
    if scripted:
        node = scripted[0] if scripted[0].tag.endswith("scriptTask") else scripted[0].getparent().getparent()
        name = node.get("name") or node.get("id")
        raise InvalidDiagram(f"{name!r} carries a script; sopflow runs no code from diagrams")


def _executable_process(root: etree._Element) -> etree._Element:
    processes = root.xpath("bpmn:process[not(@isExecutable='false')]", namespaces=NS)
    if len(processes) != 1:
        raise InvalidDiagram(f"a diagram must hold exactly one executable process; this one has {len(processes)}")
    return processes[0]


def _all_specs(model_spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> list[Any]:
    return [ts for spec in (model_spec, *subprocess_specs.values()) for ts in spec.task_specs.values()]


def _check_expression(where: str, expression: str) -> None:
    try:
        ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise InvalidDiagram(f"{where}: the expression {expression!r} is not valid ({error.msg})") from error


def _step(task_spec: UserTask) -> StepSpec:
    properties: dict[str, str] = dict(task_spec.extensions.get("properties", {}))
    where = f"user task {task_spec.bpmn_name or task_spec.bpmn_id!r}"
    if task_spec.lane is None:
        raise InvalidDiagram(f"{where} is in no lane; every user task must be in the lane of the role doing it")
    try:
        fields = fields_from_properties(properties)
    except ValueError as error:
        raise InvalidDiagram(f"{where}: {error}") from error
    time_standard = properties.get("standar_waktu")
    if time_standard is not None:
        try:
            iso_duration(time_standard, datetime.now(UTC))
        except ValueError as error:
            raise InvalidDiagram(f"{where}: standar_waktu {error}") from error
    for name in ("opd", "judul"):
        if name in properties:
            _check_expression(f"{where}, property {name}", properties[name])
    return StepSpec(
        spec_id=task_spec.bpmn_id,
        name=task_spec.bpmn_name or task_spec.bpmn_id,
        lane=task_spec.lane,
        step=properties.get("langkah"),
        required_input=properties.get("kelengkapan"),
        output=properties.get("output"),
        time_standard=time_standard,
        opd_expression=properties.get("opd"),
        label_expression=properties.get("judul"),
        fields=fields,
    )


def _literal(expression: str) -> str:
    """The text of a quoted string expression such as "PT15M"."""
    return expression.strip().strip("\"'")


def _check_task_spec(task_spec: Any, steps: dict[str, StepSpec], attached: dict[str, str]) -> None:
    where = f"{task_spec.bpmn_name or task_spec.bpmn_id!r}"
    if isinstance(task_spec, ExclusiveGateway):
        for condition, _target in task_spec.cond_task_specs:
            if condition is not None:
                _check_expression(f"gateway {where}", condition.args[0])
    if isinstance(getattr(task_spec, "event_definition", None), CycleTimerEventDefinition):
        raise InvalidDiagram(f"{where}: cycle timers are supported on start events only")
    if isinstance(task_spec, BoundaryEvent) and isinstance(task_spec.event_definition, CLOCKED_TIMERS):
        step = steps.get(attached.get(task_spec.bpmn_id, ""))
        expression = _literal(task_spec.event_definition.expression)
        if step is not None and step.time_standard is not None and expression != step.time_standard:
            raise InvalidDiagram(
                f"timer {where} on {step.name!r} is {expression} but the step's standar_waktu is "
                f"{step.time_standard}; they must agree"
            )


def read_diagram(xml: bytes, filename: str = "diagram.bpmn") -> ProcessModel:
    """Parse and validate a diagram. Raises InvalidDiagram with the reason; never executes anything."""
    root = _screen(xml)
    _refuse_scripts(root)
    process = _executable_process(root)
    process_id = process.get("id")
    parser = SopflowParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(etree.ElementTree(root), filename)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as error:
        raise InvalidDiagram(f"the diagram is not valid BPMN: {error}") from error
    except Exception as error:  # SpiffWorkflow raises bare exceptions for some malformed input
        raise InvalidDiagram(f"the diagram cannot be parsed: {error}") from error

    task_specs = _all_specs(spec, subprocess_specs)
    steps = {ts.bpmn_id: _step(ts) for ts in task_specs if isinstance(ts, UserTask)}
    if not steps:
        raise InvalidDiagram("the process has no user task")
    attached = {
        node.get("id"): node.get("attachedToRef") for node in root.xpath(".//bpmn:boundaryEvent", namespaces=NS)
    }
    for task_spec in task_specs:
        _check_task_spec(task_spec, steps, attached)

    start_events = [ts for ts in spec.task_specs.values() if isinstance(ts, StartEvent)]
    start_cycle = next(
        (
            _literal(ts.event_definition.expression)
            for ts in start_events
            if isinstance(ts.event_definition, ScheduledStartTimer)
        ),
        None,
    )
    flow_names = {
        (flow.get("sourceRef"), flow.get("targetRef")): flow.get("name")
        for flow in root.xpath(".//bpmn:sequenceFlow[@name]", namespaces=NS)
    }
    return ProcessModel(
        process_id=process_id,
        name=process.get("name") or process_id,
        spec=spec,
        subprocess_specs=subprocess_specs,
        steps=steps,
        flow_names=flow_names,
        start_lane=start_events[0].lane if start_events else None,
        start_cycle=start_cycle,
        service_operations=frozenset(
            ts.operation_name for ts in task_specs if isinstance(ts, ServiceTask)
        ),
        names={ts.bpmn_id: ts.bpmn_name or ts.bpmn_id for ts in task_specs if getattr(ts, "bpmn_id", None)},
    )

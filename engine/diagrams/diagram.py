"""Learning from a diagram what sopflow needs: steps, lanes, forms, timers.

Every rule a diagram must satisfy lives in engine.diagrams.validation; this module builds the model of a diagram that
passed them. Everything a step requires is read from the diagram's extension properties, never from Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.spiff.specs.mixins.service_task import ServiceTask

from engine.diagrams.diagram_properties import COUNTING, ENGINE_STARTED, LOOP_BACK, WORKING_DAYS
from engine.diagrams.diagram_xml import NS, literal, properties_of
from engine.diagrams.durations import words
from engine.diagrams.forms import FormField, fields_from_properties
from engine.runtime.spiff import ScheduledStartTimer


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
    dip_class_expression: str | None = None  # property kelas_dip: the item's DIP class, for the inbox
    url_check_field: str | None = None  # property periksa_tautan: the server requests this field's address
    url_check_when: tuple[str, str] | None = None  # periksa_tautan.wajib_lolos FIELD=VALUE: must answer 2xx then
    url_same_as: str | None = None  # periksa_tautan.sama_dengan: the earlier step's field the address should equal
    url_differs_reason: str | None = None  # periksa_tautan.alasan_beda: the field that says why it differs
    marker: str | None = None  # property penanda: what the reports need to know (e.g. evaluasi_bulanan)
    working_days: bool = False  # property hitungan_waktu = hari_kerja: the time standard counts working days

    @property
    def time_standard_words(self) -> str:
        """ "1 jam 30 menit", "10 hari kerja"."""
        return words(self.time_standard, self.working_days)

    def url_check_must_pass(self, data: dict[str, Any]) -> bool:
        """Whether, with these answers, the address must answer 2xx for the step to complete."""
        return self.url_check_when is None or data.get(self.url_check_when[0]) == self.url_check_when[1]


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
    engine_started: bool = False
    loop_flows: frozenset[tuple[str, str]] = frozenset()  # (source, target) of flows marked putaran_ulang

    def steps_marked(self, marker: str) -> list[str]:
        return [spec_id for spec_id, step in self.steps.items() if step.marker == marker]


def _all_specs(model_spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> list[Any]:
    return [ts for spec in (model_spec, *subprocess_specs.values()) for ts in spec.task_specs.values()]


def _step(task_spec: UserTask) -> StepSpec:
    properties: dict[str, str] = dict(task_spec.extensions.get("properties", {}))
    return StepSpec(
        spec_id=task_spec.bpmn_id,
        name=task_spec.bpmn_name or task_spec.bpmn_id,
        lane=task_spec.lane,
        step=properties.get("langkah"),
        required_input=properties.get("kelengkapan"),
        output=properties.get("output"),
        time_standard=properties.get("standar_waktu"),
        opd_expression=properties.get("opd"),
        label_expression=properties.get("judul"),
        fields=fields_from_properties(properties),
        url_check_field=properties.get("periksa_tautan"),
        url_check_when=_condition(properties.get("periksa_tautan.wajib_lolos")),
        url_same_as=properties.get("periksa_tautan.sama_dengan"),
        url_differs_reason=properties.get("periksa_tautan.alasan_beda"),
        dip_class_expression=properties.get("kelas_dip"),
        marker=properties.get("penanda"),
        working_days=properties.get(COUNTING) == WORKING_DAYS,
    )


def _condition(text: str | None) -> tuple[str, str] | None:
    name, _, value = (text or "").partition("=")
    return (name.strip(), value.strip()) if name.strip() and value.strip() else None


def build_model(
    root: etree._Element, process: etree._Element, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
) -> ProcessModel:
    """The model of a diagram that passed engine.diagrams.validation (which calls this)."""
    task_specs = _all_specs(spec, subprocess_specs)
    start_events = [ts for ts in spec.task_specs.values() if isinstance(ts, StartEvent)]
    start_cycle = next(
        (
            literal(ts.event_definition.expression)
            for ts in start_events
            if isinstance(ts.event_definition, ScheduledStartTimer)
        ),
        None,
    )
    flows = root.xpath(".//bpmn:sequenceFlow", namespaces=NS)
    flow_names = {(flow.get("sourceRef"), flow.get("targetRef")): flow.get("name")
                  for flow in flows if flow.get("name")}
    loop_flows = frozenset((str(flow.get("sourceRef")), str(flow.get("targetRef"))) for flow in flows
                           if properties_of(flow).get("putaran_ulang") == LOOP_BACK)
    process_id = str(process.get("id"))
    return ProcessModel(
        process_id=process_id,
        name=process.get("name") or process_id,
        spec=spec,
        subprocess_specs=subprocess_specs,
        steps={ts.bpmn_id: _step(ts) for ts in task_specs if isinstance(ts, UserTask)},
        flow_names=flow_names,
        start_lane=start_events[0].lane if start_events else None,
        start_cycle=start_cycle,
        service_operations=frozenset(
            ts.operation_name for ts in task_specs if isinstance(ts, ServiceTask)
        ),
        names={ts.bpmn_id: ts.bpmn_name or ts.bpmn_id for ts in task_specs if getattr(ts, "bpmn_id", None)},
        engine_started=properties_of(process).get("mulai") == ENGINE_STARTED,
        loop_flows=loop_flows,
    )

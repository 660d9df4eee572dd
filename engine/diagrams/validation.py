"""Rule-by-rule validation of a diagram: every problem found, each with the element it concerns, a rule code
and a message in Indonesian. The modeler page, the CLI (`sopflow validate`), the API and deploy all call
`validate_diagram`; a diagram with any problem is never deployed.

Rules read the XML with a hardened parser, so a problem is reported even when SpiffWorkflow could not parse
the document; parsing in SpiffWorkflow is one rule among the others.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as defused
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from engine.diagrams.diagram import ProcessModel, build_model
from engine.diagrams.diagram_problems import bpmn_problem, xml_problem
from engine.diagrams.diagram_xml import (
    BPMN_NS,
    CAMUNDA_NS,
    NS,
    Problem,
    executable_processes,
    lanes_of,
    literal,
    local_name,
    name_of,
    properties_of,
)
from engine.diagrams.expression_rules import expression_problems
from engine.diagrams.forms import fields_from_properties
from engine.diagrams.property_rules import deadline_problems, loop_flow_problems, property_problems
from engine.errors import InvalidDiagram
from engine.runtime.spiff import SopflowParser, iso_duration

if TYPE_CHECKING:
    from engine.config import Settings

MAX_DIAGRAM_BYTES = 2 * 1024 * 1024  # when no settings are given; config.yaml diagrams.max_bytes otherwise
MAX_NAME_CHARS = 200  # a name is a label on the diagram, a step in the SOP table and a page title
MAX_DOCUMENTATION_CHARS = 5000
SUPPORTED_START_CYCLE = "R/P1M"
_HARDENED = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)

# Elements SpiffWorkflow could parse (or not) but that sopflow cannot run: nothing would deliver their
# messages, evaluate their rules or call their processes. Tag -> what the message calls it.
UNSUPPORTED_ELEMENTS = {
    "complexGateway": "gateway kompleks (complexGateway)",
    "callActivity": "call activity (memanggil proses lain)",
    "businessRuleTask": "business rule task (DMN)",
    "manualTask": "manual task (gunakan userTask di lane peran yang mengerjakannya)",
    "sendTask": "send task (pengiriman pesan)",
    "receiveTask": "receive task (penerimaan pesan)",
    "adHocSubProcess": "sub-proses ad hoc",
    "transaction": "sub-proses transaksi",
}
UNSUPPORTED_EVENT_DEFINITIONS = {
    "messageEventDefinition": "event pesan (message) tanpa penangan",
    "signalEventDefinition": "event sinyal (signal) tanpa penangan",
    "conditionalEventDefinition": "event kondisional",
}
CAMUNDA_CODE_ATTRIBUTES = ("class", "expression", "delegateExpression", "type", "topic")
EVENT_TAGS = ("startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent")


@dataclass
class Validation:
    """The problems of a diagram and, when there are none, its parsed model."""

    problems: list[Problem] = field(default_factory=list)
    process_id: str | None = None
    process_name: str | None = None
    model: ProcessModel | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_if_problems(self) -> ProcessModel:
        if self.problems or self.model is None:
            raise DiagramProblems(self.problems or [Problem(None, "bpmn", "diagram tidak dapat dibaca")])
        return self.model


class DiagramProblems(InvalidDiagram):
    """InvalidDiagram carrying every problem found, for pages that mark each element."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        listed = "; ".join(str(problem) for problem in self.problems)
        super().__init__(listed if count == 1 else f"{count} masalah: {listed}")


def screen(xml: bytes, max_bytes: int = MAX_DIAGRAM_BYTES) -> tuple[etree._Element | None, list[Problem]]:
    """Refuse oversized, non-UTF-8 or hostile XML (DTDs, entities, external references) before any parsing
    that could act on them; then parse with a hardened lxml parser."""
    if len(xml) > max_bytes:
        return None, [Problem(None, "size", f"ukuran diagram {len(xml)} byte melebihi batas {max_bytes} byte")]
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(None, "encoding", "diagram harus berkode UTF-8")]
    try:
        defused.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden:
        return None, [Problem(None, "dtd", "diagram memuat DTD (<!DOCTYPE ...>); DTD ditolak")]
    except EntitiesForbidden as error:
        return None, [Problem(None, "entity", f"diagram mendeklarasikan entitas XML {error.name!r}; entitas ditolak")]
    except ExternalReferenceForbidden:
        return None, [Problem(None, "entity", "diagram merujuk sumber eksternal; ditolak")]
    except ParseError as error:
        return None, [Problem(None, "xml", xml_problem(error))]
    try:
        return etree.fromstring(xml, parser=_HARDENED), []
    except etree.XMLSyntaxError as error:
        return None, [Problem(None, "xml", xml_problem(error))]


def _lengths(root: etree._Element) -> Iterator[Problem]:
    """Names and documentation short enough for the pages and documents that show them."""
    for node in root.iter(etree.Element):
        name = node.get("name") or ""
        if len(name) > MAX_NAME_CHARS:
            element_id = node.get("id")
            yield Problem(element_id, "length", f"nama elemen {element_id or local_name(node)} terlalu panjang: "
                                                f"{len(name)} karakter, paling banyak {MAX_NAME_CHARS}")
        text = node.text or ""
        if local_name(node) == "documentation" and len(text) > MAX_DOCUMENTATION_CHARS:
            parent = node.getparent()
            owner = parent.get("id") if parent is not None else None
            yield Problem(owner, "length", f"dokumentasi elemen {owner or 'diagram'} terlalu panjang: {len(text)} "
                                           f"karakter, paling banyak {MAX_DOCUMENTATION_CHARS}")


def _scripts(root: etree._Element) -> Iterator[Problem]:
    """Scripts anywhere in the document, reachable or not, would be code from an upload: refused."""
    for node in root.xpath(".//bpmn:scriptTask", namespaces=NS):
        yield Problem(node.get("id"), "script", f"{name_of(node)!r} memuat skrip; sopflow tidak menjalankan kode dari "
                                                "diagram")
    for script in root.xpath(".//spiffworkflow:preScript | .//spiffworkflow:postScript | .//camunda:script",
                             namespaces=NS):
        owner = next((a for a in script.iterancestors() if etree.QName(a).namespace == BPMN_NS
                      and local_name(a) != "extensionElements"), None)
        owner_id = owner.get("id") if owner is not None else None
        owner_name = name_of(owner) if owner is not None else local_name(script)
        yield Problem(owner_id, "script", f"{owner_name!r} memuat skrip; sopflow tidak menjalankan kode dari diagram")


def _unsupported(root: etree._Element) -> Iterator[Problem]:
    for tag, what in UNSUPPORTED_ELEMENTS.items():
        for node in root.xpath(f".//bpmn:{tag}", namespaces=NS):
            yield Problem(node.get("id"), "unsupported",
                          f"{name_of(node)!r}: {what} tidak dapat dijalankan oleh sopflow")
    for tag, what in UNSUPPORTED_EVENT_DEFINITIONS.items():
        for definition in root.xpath(f".//bpmn:{tag}", namespaces=NS):
            event = definition.getparent()
            yield Problem(event.get("id"), "unsupported",
                          f"{name_of(event)!r}: {what} tidak dapat dijalankan oleh sopflow")
    for task in root.xpath(".//bpmn:serviceTask", namespaces=NS):
        used = [a for a in CAMUNDA_CODE_ATTRIBUTES if task.get(f"{{{CAMUNDA_NS}}}{a}") is not None]
        if used:
            yield Problem(task.get("id"), "unsupported",
                          f"tugas layanan {name_of(task)!r} memakai camunda:{used[0]}; sopflow hanya memanggil handler "
                          "terdaftar menurut namanya (spiffworkflow:serviceTaskOperator)")
        elif not task.xpath("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", namespaces=NS):
            yield Problem(task.get("id"), "unsupported",
                          f"tugas layanan {name_of(task)!r} tidak menyebut handler "
                          "(spiffworkflow:serviceTaskOperator) yang harus dipanggil")
    for listener in root.xpath(".//camunda:executionListener | .//camunda:taskListener", namespaces=NS):
        owner = listener.getparent().getparent()
        yield Problem(owner.get("id"), "unsupported",
                      f"{name_of(owner)!r}: listener Camunda ({local_name(listener)}) tidak dijalankan oleh sopflow")


def _iso_problem(kind: str, value: str) -> str | None:
    """Why `value` is not a valid ISO 8601 value of the timer kind, or None."""
    try:
        if kind == "timeDuration":
            iso_duration(value, datetime.now(UTC))
        elif kind == "timeDate":
            TimerEventDefinition.get_datetime(value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:
        examples = {"timeDuration": "PT30M", "timeDate": "2026-12-01T09:00:00+07:00", "timeCycle": "R/P1M"}
        return f"{value!r} bukan nilai ISO 8601 yang valid (contoh: {examples.get(kind, 'PT30M')})"
    return None


def _timers(root: etree._Element) -> Iterator[Problem]:
    """Every timer is a quoted ISO 8601 literal; cycles only on start events (a user task's own timer:
    engine/diagrams/property_rules.py)."""
    for definition in root.xpath(".//bpmn:timerEventDefinition", namespaces=NS):
        event = definition.getparent()
        event_id, where = event.get("id"), f"timer {name_of(event)!r}"
        values = [child for child in definition if local_name(child) in ("timeDuration", "timeDate", "timeCycle")]
        if len(values) != 1:
            yield Problem(event_id, "timer", f"{where} harus memuat tepat satu timeDuration, timeDate atau timeCycle")
            continue
        kind, expression = local_name(values[0]), (values[0].text or "").strip()
        try:
            literal = ast.literal_eval(expression)
        except (ValueError, SyntaxError):
            literal = None
        if not isinstance(literal, str):
            yield Problem(event_id, "timer", f"{where}: ekspresi {expression!r} harus berupa teks ISO 8601 bertanda "
                                             'kutip, misalnya "PT30M"')
            continue
        reason = _iso_problem(kind, literal)
        if reason is not None:
            yield Problem(event_id, "timer", f"{where}: {reason}")
            continue
        if kind == "timeCycle" and local_name(event) != "startEvent":
            yield Problem(event_id, "timer", f"{where}: timer siklus hanya didukung pada start event")


def _user_tasks(root: etree._Element, settings: Settings | None) -> Iterator[Problem]:
    lanes = lanes_of(root)
    tasks = root.xpath(".//bpmn:userTask", namespaces=NS)
    if not tasks:
        yield Problem(None, "user-task", "proses tidak memiliki tugas pengguna (userTask)")
    for task in tasks:
        task_id, name = task.get("id"), name_of(task)
        where = f"tugas {name!r}"
        lane = lanes.get(str(task_id))
        if lane is None:
            yield Problem(task_id, "lane", f"{where} tidak berada di lane mana pun; setiap tugas pengguna harus berada "
                                           "di lane peran yang mengerjakannya")
        elif settings is not None and settings.role_for_lane(lane[1]) is None:
            yield Problem(task_id, "lane-role",
                          f"{where} berada di lane {lane[1]!r} yang tidak dipetakan ke peran dalam konfigurasi; lane "
                          f"yang dikenal: {', '.join(settings.lane_roles)}")
        properties = properties_of(task)
        standard = properties.get("standar_waktu", "").strip()
        if not standard:
            yield Problem(task_id, "time-standard", f"{where} tidak memiliki standar_waktu (mis. PT30M)")
        else:
            reason = _iso_problem("timeDuration", standard)
            if reason is not None:
                yield Problem(task_id, "time-standard", f"{where}: standar_waktu {reason}")
        try:
            fields = {f.name: f for f in fields_from_properties(properties)}
        except ValueError as error:
            yield Problem(task_id, "form", f"{where}: isian formulir tidak valid: {error}")
            fields = None
        checked = properties.get("periksa_tautan")
        if checked and fields is not None and getattr(fields.get(checked), "kind", None) != "url":
            yield Problem(task_id, "form", f"{where}: periksa_tautan menyebut {checked!r}, yang bukan isian url "
                                           "pada formulir langkah ini")
        reason = properties.get("periksa_tautan.alasan_beda")
        if reason and fields is not None and reason not in fields:
            yield Problem(task_id, "form", f"{where}: periksa_tautan.alasan_beda menyebut {reason!r}, yang bukan "
                                           "isian pada formulir langkah ini")
        condition = properties.get("periksa_tautan.wajib_lolos", "")
        if condition and fields is not None and condition.partition("=")[0].strip() not in fields:
            yield Problem(task_id, "form", f"{where}: periksa_tautan.wajib_lolos harus berbentuk ISIAN=NILAI "
                                           "dengan isian pada formulir langkah ini")


def _gateways(root: etree._Element) -> Iterator[Problem]:
    flows = {flow.get("id"): flow for flow in root.xpath(".//bpmn:sequenceFlow", namespaces=NS)}
    for gateway in root.xpath(".//bpmn:exclusiveGateway | .//bpmn:inclusiveGateway", namespaces=NS):
        outgoing = [flow for flow in flows.values() if flow.get("sourceRef") == gateway.get("id")]
        if len(outgoing) < 2:
            continue
        default = gateway.get("default")
        bare = [flow for flow in outgoing if flow.get("id") != default and not (
            (flow.findtext(f"{{{BPMN_NS}}}conditionExpression") or "").strip())]
        if bare:
            names = ", ".join(repr(name_of(flow)) for flow in bare)
            yield Problem(gateway.get("id"), "gateway",
                          f"gateway {name_of(gateway)!r} memiliki {len(outgoing)} alur keluar, tetapi alur {names} "
                          "tidak memiliki kondisi dan bukan alur default")


def _services(root: etree._Element, handler_names: Collection[str] | None) -> Iterator[Problem]:
    if handler_names is None:
        return
    for operator in root.xpath(".//bpmn:serviceTask/bpmn:extensionElements/spiffworkflow:serviceTaskOperator",
                               namespaces=NS):
        task = operator.getparent().getparent()
        if operator.get("id") not in handler_names:
            yield Problem(task.get("id"), "handler",
                          f"tugas layanan {name_of(task)!r} memanggil handler {operator.get('id')!r} yang tidak "
                          f"terdaftar; handler yang dikenal: {', '.join(sorted(handler_names))}")


def _schedules(process: etree._Element, settings: Settings | None) -> Iterator[Problem]:
    for start in process.xpath("bpmn:startEvent[bpmn:timerEventDefinition/bpmn:timeCycle]", namespaces=NS):
        cycle = literal(start.findtext(f"{{{BPMN_NS}}}timerEventDefinition/{{{BPMN_NS}}}timeCycle") or "")
        if cycle.upper() != SUPPORTED_START_CYCLE:
            yield Problem(start.get("id"), "schedule",
                          f"siklus start timer {cycle!r} tidak didukung; gunakan \"R/P1M\" (bulanan)")
        elif settings is not None and process.get("id") not in settings.schedules:
            yield Problem(start.get("id"), "schedule",
                          f"proses {process.get('id')!r} dimulai oleh timer tetapi konfigurasi tidak memiliki entri "
                          "schedules untuknya")


def _spiff_parse(root: etree._Element, process_id: str, filename: str) -> tuple[Any, Any, list[Problem]]:
    parser = SopflowParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(etree.ElementTree(root), filename)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as error:
        return None, None, [Problem(getattr(error, "id", None) or None, "bpmn",
                                    bpmn_problem(error))]
    except Exception as error:  # SpiffWorkflow raises bare exceptions for some malformed input
        return None, None, [Problem(None, "bpmn", bpmn_problem(error))]
    return spec, subprocess_specs, []


def validate_diagram(
    xml: bytes,
    settings: Settings | None = None,
    handler_names: Collection[str] | None = None,
    filename: str = "diagram.bpmn",
    expected_process_id: str | None = None,
) -> Validation:
    """Every problem of the diagram. Without settings and handlers, only the rules that need neither run
    (lanes mapped to roles, registered handlers and schedules need them)."""
    result = Validation()
    root, problems = screen(xml, settings.diagram_max_bytes if settings else MAX_DIAGRAM_BYTES)
    result.problems.extend(problems)
    if root is None:
        return result
    if local_name(root) != "definitions" or etree.QName(root).namespace != BPMN_NS:
        result.problems.append(Problem(None, "process", "dokumen bukan diagram BPMN 2.0 (bpmn:definitions)"))
        return result
    result.problems.extend(_lengths(root))
    result.problems.extend(_scripts(root))
    result.problems.extend(_unsupported(root))
    processes = executable_processes(root)
    if len(processes) != 1:
        result.problems.append(Problem(None, "process", "diagram harus memuat tepat satu proses yang dapat dijalankan;"
                                                        f" diagram ini memuat {len(processes)}"))
        return result
    process = processes[0]
    result.process_id, result.process_name = str(process.get("id")), str(process.get("name") or process.get("id"))
    if expected_process_id is not None and result.process_id != expected_process_id:
        message = f"diagram ini untuk proses {result.process_id!r}, bukan {expected_process_id!r}"
        result.problems.append(Problem(process.get("id"), "process", message))
    result.problems.extend(_user_tasks(root, settings))
    result.problems.extend(_timers(root))
    result.problems.extend(deadline_problems(root))
    result.problems.extend(property_problems(root))
    result.problems.extend(loop_flow_problems(root))
    result.problems.extend(_gateways(root))
    result.problems.extend(expression_problems(root))
    result.problems.extend(_services(root, handler_names))
    result.problems.extend(_schedules(process, settings))
    if any(p.rule in ("script", "unsupported", "gateway") for p in result.problems):
        return result  # SpiffWorkflow would stumble on, or report again, what is refused above
    spec, subprocess_specs, problems = _spiff_parse(root, result.process_id, filename)
    result.problems.extend(problems)
    if spec is not None and not result.problems:
        result.model = build_model(root, process, spec, subprocess_specs)
    return result


def read_diagram(xml: bytes, filename: str = "diagram.bpmn") -> ProcessModel:
    """Parse a diagram that satisfies every rule that needs no installation settings; raises InvalidDiagram
    (DiagramProblems) listing all problems otherwise. Never executes anything."""
    return validate_diagram(xml, filename=filename).raise_if_problems()

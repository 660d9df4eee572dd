"""The laned BPMN of an SOP table (engine/diagrams/sop_table.py): one lane per pelaksana, a user task per row with the
row's properties and a form, the time standard's timer and breach path (engine/diagrams/timer_paths.py), an exclusive
gateway per question with its Ya and Tidak flows, a merge gateway before a row reached from more than one place,
and a flow that goes back to an earlier row marked `putaran_ulang`. The drawing is engine/diagrams/sop_layout.py's."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field

from lxml import etree

from engine.config import Settings
from engine.context import EngineContext
from engine.diagrams.diagram_properties import COUNTING, LOOP_BACK, NOTE, WORKING_DAYS
from engine.diagrams.diagram_xml import BPMN_NS, SPIFF_NS
from engine.diagrams.drafts import create_draft
from engine.diagrams.sop_layout import Flow, Node, draw
from engine.diagrams.sop_table import SopTable, TableRow
from engine.diagrams.timer_paths import BPMNDI_NS, DC_NS, DI_NS, add_missing_timers
from engine.diagrams.validation import DiagramProblems, validate_diagram

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS, "xsi": XSI_NS, "spiffworkflow": SPIFF_NS}
YES, NO = "ya", "tidak"
OFFICE_FIELD, SUBJECT_FIELD = "opd", "judul"
START_NAME, END_NAME = "Mulai", "Selesai"


def process_id_of(name: str) -> str:
    """"Layanan Permohonan Informasi Publik" -> "layanan_permohonan_informasi_publik" (an XML name)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:60].strip("_")
    return slug if slug[:1].isalpha() else f"sop_{slug}"


@dataclass
class _Graph:
    nodes: list[Node] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)

    def node(self, node: Node) -> Node:
        self.nodes.append(node)
        return node


def _task_id(row: TableRow) -> str:
    return f"Task_{row.number}"


def _graph(table: SopTable) -> _Graph:
    """Nodes in drawing order (a merge gateway right before the row it merges into) and the flows."""
    rows = list(table.rows)
    targets: list[int | None] = [rows[0].number]
    for row in rows:
        targets += [row.if_yes] + ([row.if_no] if row.question else [])
    merged = {n for n in targets if n is not None and targets.count(n) > 1}
    graph = _Graph()
    start = graph.node(Node("StartEvent", "startEvent", rows[0].lane, START_NAME))
    enders = [r for r in rows if r.if_yes is None or (r.question and r.if_no is None)]
    end = Node("EndEvent", "endEvent", (enders or rows)[-1].lane, END_NAME)
    entry: dict[int | None, Node] = {None: end}
    exits: list[tuple[TableRow, Node]] = []
    for row in rows:
        if row.number in merged:
            entry[row.number] = graph.node(Node(f"Gateway_Merge_{row.number}", "exclusiveGateway", row.lane, ""))
        task = graph.node(Node(_task_id(row), "userTask", row.lane, row.activity, row=row))
        if row.number in merged:
            graph.flows.append(Flow(f"Flow_Merge_{row.number}", entry[row.number], task))
        else:
            entry[row.number] = task
        if row.question:
            gateway = graph.node(Node(f"Gateway_{row.number}", "exclusiveGateway", row.lane, row.question))
            graph.flows.append(Flow(f"Flow_{row.number}_Keputusan", task, gateway))
            exits.append((row, gateway))
        else:
            exits.append((row, task))
    graph.nodes.append(end)
    graph.flows.append(Flow("Flow_Start", start, entry[rows[0].number]))
    for row, source in exits:
        if not row.question:
            graph.flows.append(Flow(f"Flow_{row.number}", source, entry[row.if_yes]))
            continue
        for answer, target in ((YES, row.if_yes), (NO, row.if_no)):
            graph.flows.append(Flow(f"Flow_{row.number}_{answer.capitalize()}", source, entry[target],
                                    name=answer.capitalize(), condition=f'{_decision_field(row)} == "{answer}"',
                                    loop_back=_goes_back(table, row, target)))
    return graph


def _goes_back(table: SopTable, row: TableRow, target: int | None) -> bool:
    """Whether an answer of `row` sends the case back to itself or an earlier row (a loop: `putaran_ulang`)."""
    order = [r.number for r in table.rows]
    return target is not None and order.index(target) <= order.index(row.number)


def _decision_field(row: TableRow) -> str:
    return f"keputusan_{row.number}"


def _properties(parent: etree._Element, values: list[tuple[str, str]]) -> None:
    holder = etree.SubElement(etree.SubElement(parent, f"{{{BPMN_NS}}}extensionElements"),
                              f"{{{SPIFF_NS}}}properties")
    for name, value in values:
        etree.SubElement(holder, f"{{{SPIFF_NS}}}property", name=name, value=value)


def _task_properties(row: TableRow, first: bool, per_office: bool, sends_back: bool) -> list[tuple[str, str]]:
    """The row's properties; the first step names the case (its subject, shown in every list) and, when an
    office's own lane works on it later, its office (that lane sees its own office's cases only)."""
    values = [("langkah", str(row.number)), ("kelengkapan", row.requirement), ("output", row.output),
              (NOTE, row.note), ("standar_waktu", row.duration.iso), ("judul", SUBJECT_FIELD)]
    if per_office:
        values.append(("opd", OFFICE_FIELD))
    if first:
        values.append((f"form.{SUBJECT_FIELD}", "text|required|Perihal"))
    if first and per_office:
        values.append((f"form.{OFFICE_FIELD}", "office|required|OPD penanggung jawab"))
    if row.duration.working_days:
        values.append((COUNTING, WORKING_DAYS))
    if row.question:
        field_name = _decision_field(row)
        reason = f"required if {field_name}={NO}" if sends_back else "optional"  # the next step reads why
        values += [(f"form.{field_name}", f"choice:{YES}=Ya,{NO}=Tidak|required|{row.question}"),
                   (f"form.alasan_{row.number}", f"longtext|{reason}|Alasan atau keterangan")]
    else:
        values.append((f"form.catatan_{row.number}", "longtext|optional|Catatan"))
    return [(name, value) for name, value in values if value]


def generate_diagram(table: SopTable, office_lanes: Collection[str] = ()) -> bytes:
    """The BPMN 2.0 XML (with its drawing) of the table; deployable as it is. When a row is performed by a lane
    confined to one office (`office_lanes`), the first row asks which office the case belongs to."""
    process_id = process_id_of(table.name)
    per_office = any(row.lane in office_lanes for row in table.rows)
    sending_back = {row.number for row in table.rows if row.question and _goes_back(table, row, row.if_no)}
    graph = _graph(table)
    root = etree.Element(f"{{{BPMN_NS}}}definitions", nsmap=NSMAP, id=f"Definitions_{process_id}",
                         targetNamespace="http://ppid.tanjabtimkab.go.id/sopflow", exporter="sopflow",
                         exporterVersion="1")
    collaboration = etree.SubElement(root, f"{{{BPMN_NS}}}collaboration", id=f"Collaboration_{process_id}")
    etree.SubElement(collaboration, f"{{{BPMN_NS}}}participant", id=f"Participant_{process_id}", name=table.name,
                     processRef=process_id)
    process = etree.SubElement(root, f"{{{BPMN_NS}}}process", id=process_id, name=table.name, isExecutable="true")
    _properties(process, [(f"sop.{key}", value) for key, value in table.identity.items()])
    lane_set = etree.SubElement(process, f"{{{BPMN_NS}}}laneSet", id=f"LaneSet_{process_id}")
    lanes: dict[str, etree._Element] = {}
    for node in graph.nodes:
        if node.lane not in lanes:
            lanes[node.lane] = etree.SubElement(lane_set, f"{{{BPMN_NS}}}lane", id=lane_id(node.lane), name=node.lane)
        etree.SubElement(lanes[node.lane], f"{{{BPMN_NS}}}flowNodeRef").text = node.id
    elements = {}
    for node in graph.nodes:
        element = etree.SubElement(process, f"{{{BPMN_NS}}}{node.kind}", id=node.id)
        if node.name:
            element.set("name", node.name)
        if node.row is not None:
            _properties(element, _task_properties(node.row, node.row == table.rows[0], per_office,
                                                  node.row.number in sending_back))
        elements[node.id] = element
    for flow in graph.flows:
        etree.SubElement(elements[flow.source.id], f"{{{BPMN_NS}}}outgoing").text = flow.id
    for flow in graph.flows:
        incoming = etree.Element(f"{{{BPMN_NS}}}incoming")
        incoming.text = flow.id
        target = elements[flow.target.id]
        target.insert(sum(1 for c in target if etree.QName(c).localname in ("extensionElements", "incoming")),
                      incoming)
    for flow in graph.flows:
        element = etree.SubElement(process, f"{{{BPMN_NS}}}sequenceFlow", id=flow.id, sourceRef=flow.source.id,
                                   targetRef=flow.target.id)
        if flow.name:
            element.set("name", flow.name)
        if flow.loop_back:
            _properties(element, [("putaran_ulang", LOOP_BACK)])
        if flow.condition:
            condition = etree.SubElement(element, f"{{{BPMN_NS}}}conditionExpression")
            condition.set(f"{{{XSI_NS}}}type", "bpmn:tFormalExpression")
            condition.text = flow.condition
    add_missing_timers(root)  # before the drawing: the layout draws the breach paths too
    draw(root, process_id, graph.nodes, graph.flows, list(lanes))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def lane_id(lane: str) -> str:
    return "Lane_" + process_id_of(lane)


def table_lanes(settings: Settings) -> tuple[list[str], list[str]]:
    """The performers a table may name (the configured lanes), and those confined to one office."""
    roles = settings.lane_roles
    return list(roles), [lane for lane, role in roles.items() if role in settings.office_roles]


def draft_from_table(ctx: EngineContext, table: SopTable, actor: str) -> str:
    """Generate the diagram, hold it to every deployment rule, and keep it as the process's draft for the
    modeler; returns the process id."""
    xml = generate_diagram(table, table_lanes(ctx.settings)[1])
    process_id = process_id_of(table.name)
    result = validate_diagram(xml, ctx.settings, set(ctx.handlers), expected_process_id=process_id)
    if result.problems:
        raise DiagramProblems(result.problems)
    create_draft(ctx, process_id, xml, actor, source="sop_table")
    return process_id

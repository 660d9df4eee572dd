"""The drawing of a generated SOP diagram: lanes as horizontal bands in the order the table first names them,
one column per node left to right in row order, each task's timer on its lower edge with the breach path under
the task inside its column and lane. A flow to the next column runs through the gap between columns; any other
(back to an earlier row, or skipping ahead) rises to a channel along the top of the upper lane and comes down
onto its target, so no line runs through a shape of another column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from engine.diagrams.diagram_xml import NS
from engine.diagrams.sop_table import TableRow
from engine.diagrams.timer_paths import BPMNDI_NS, DC_NS, edge, shape

SIZES = {"userTask": (200, 100), "exclusiveGateway": (50, 50), "startEvent": (36, 36), "endEvent": (36, 36)}
GAP = 90  # between columns
LANE_HEIGHT = 320
BAND_CENTER = 100  # the centre line of the nodes, from a lane's top; above it the channel, below the breach paths
CHANNEL_TOP, CHANNEL_STEP = 12, 8
POOL_X, POOL_Y, LANE_HEADER = 100, 60, 30


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # the BPMN element's local name
    lane: str
    name: str
    row: TableRow | None = None


@dataclass(frozen=True)
class Flow:
    id: str
    source: Node
    target: Node
    name: str = ""
    condition: str = ""
    loop_back: bool = False


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2


def _label(drawn: etree._Element, x: float, y: float, width: float, height: float) -> None:
    label = etree.SubElement(drawn, f"{{{BPMNDI_NS}}}BPMNLabel")
    etree.SubElement(label, f"{{{DC_NS}}}Bounds", x=str(x), y=str(y), width=str(width), height=str(height))


def draw(root: etree._Element, process_id: str, nodes: Sequence[Node], flows: Sequence[Flow],
         lanes: Sequence[str]) -> None:
    """Add the BPMNDiagram of the collaboration to `root`."""
    diagram = etree.SubElement(root, f"{{{BPMNDI_NS}}}BPMNDiagram", id=f"Diagram_{process_id}")
    collaboration = root.find("bpmn:collaboration", NS)
    participant = root.find("bpmn:collaboration/bpmn:participant", NS)
    assert collaboration is not None and participant is not None
    plane = etree.SubElement(diagram, f"{{{BPMNDI_NS}}}BPMNPlane", id=f"Plane_{process_id}",
                             bpmnElement=str(collaboration.get("id")))
    lane_top = {lane: POOL_Y + index * LANE_HEIGHT for index, lane in enumerate(lanes)}
    boxes: dict[str, Box] = {}
    x = POOL_X + LANE_HEADER + 50.0
    for node in nodes:
        width, height = SIZES[node.kind]
        boxes[node.id] = Box(x, lane_top[node.lane] + BAND_CENTER - height / 2, width, height)
        x += width + GAP
    pool_width = x - POOL_X
    shape(plane, str(participant.get("id")), POOL_X, POOL_Y, pool_width, LANE_HEIGHT * len(lanes)).set(
        "isHorizontal", "true")
    for lane_element in root.iterfind(".//bpmn:lane", NS):
        top = lane_top[str(lane_element.get("name"))]
        shape(plane, str(lane_element.get("id")), POOL_X + LANE_HEADER, top, pool_width - LANE_HEADER,
              LANE_HEIGHT).set("isHorizontal", "true")
    for node in nodes:
        box = boxes[node.id]
        drawn = shape(plane, node.id, box.x, box.y, box.width, box.height)
        if node.kind == "exclusiveGateway" and node.name:
            _label(drawn, box.x - 35, box.y + box.height + 6, 120, 27)
        elif node.kind in ("startEvent", "endEvent"):
            _label(drawn, box.x - 12, box.y + 40, 60, 14)
    column = {node.id: index for index, node in enumerate(nodes)}
    channels = 0
    for flow in flows:
        source, target = boxes[flow.source.id], boxes[flow.target.id]
        if column[flow.target.id] == column[flow.source.id] + 1:
            points = _through_gap(source, target)
            label_at = (source.x + source.width + 4, source.center[1] - 18)
        else:
            upper = min(lane_top[flow.source.lane], lane_top[flow.target.lane])
            channel = upper + CHANNEL_TOP + CHANNEL_STEP * (channels % 4)
            channels += 1
            points = [(source.center[0], source.y), (source.center[0], channel), (target.center[0], channel),
                      (target.center[0], target.y)]
            label_at = (source.center[0] + 4, channel + 2)
        drawn = edge(plane, flow.id, points)
        if flow.name:
            _label(drawn, label_at[0], label_at[1], 40, 14)
    process = root.find("bpmn:process", NS)
    assert process is not None
    outgoing = {str(f.get("sourceRef")): f for f in process.iterfind("bpmn:sequenceFlow", NS)}
    for node in nodes:
        if node.kind == "userTask":
            _breach_path(process, outgoing, plane, node.id, boxes[node.id])


def _through_gap(source: Box, target: Box) -> list[tuple[float, float]]:
    start = (source.x + source.width, source.center[1])
    if source.center[1] == target.center[1]:
        return [start, (target.x, target.center[1])]
    bend = target.x - GAP / 3
    return [start, (bend, start[1]), (bend, target.center[1]), (target.x, target.center[1])]


def _breach_path(process: etree._Element, outgoing: dict[str, etree._Element], plane: etree._Element, task_id: str,
                 task: Box) -> None:
    """The timer on the task's lower edge, the breach task under the task, its end event to the right, all
    inside the task's column; `outgoing` is each node's one outgoing flow (a breach path's nodes have one)."""
    timer = process.find(f"bpmn:boundaryEvent[@attachedToRef='{task_id}']", NS)
    if timer is None:
        return
    to_breach = outgoing[str(timer.get("id"))]
    to_end = outgoing[str(to_breach.get("targetRef"))]
    bottom = task.y + task.height
    timer_x = task.x + 20
    drawn = shape(plane, str(timer.get("id")), timer_x, bottom - 18, 36, 36)
    _label(drawn, timer_x + 40, bottom + 4, 110, 14)
    shape(plane, str(to_breach.get("targetRef")), task.x + 10, bottom + 40, 100, 80)
    drawn = shape(plane, str(to_end.get("targetRef")), task.x + 150, bottom + 62, 36, 36)
    _label(drawn, task.x + 130, bottom + 102, 76, 27)
    edge(plane, str(to_breach.get("id")), [(timer_x + 18, bottom + 18), (timer_x + 18, bottom + 40)])
    edge(plane, str(to_end.get("id")), [(task.x + 110, bottom + 80), (task.x + 150, bottom + 80)])

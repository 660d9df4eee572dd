"""The time standard's timer follows from the step: for a user task that states `standar_waktu` but has no
boundary timer (a diagram imported from another modeler), add the non-interrupting timer with that duration,
the service task that records the breach and its end event, in the task's lane, drawn under the task; a timer
that leads elsewhere gets the breach task inserted on its path."""

from __future__ import annotations

from lxml import etree

from engine.diagrams.diagram_xml import BPMN_NS, NS, SPIFF_NS, name_of, properties_of

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
BREACH_HANDLER = "breach_handler"
TIMER_NAME, BREACH_NAME, END_NAME = "Melewati standar waktu", "Catat pelanggaran standar waktu", "Pelanggaran tercatat"


def _bpmn(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{BPMN_NS}}}{tag}", **attributes)


def shape(plane: etree._Element, element_id: str, x: float, y: float, width: float, height: float) -> etree._Element:
    """A BPMNShape with its bounds, appended to the plane."""
    drawn = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNShape", id=f"{element_id}_di", bpmnElement=element_id)
    etree.SubElement(drawn, f"{{{DC_NS}}}Bounds", x=str(x), y=str(y), width=str(width), height=str(height))
    return drawn


def edge(plane: etree._Element, flow_id: str, points: list[tuple[float, float]]) -> etree._Element:
    """A BPMNEdge through the points, appended to the plane."""
    drawn = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNEdge", id=f"{flow_id}_di", bpmnElement=flow_id)
    for x, y in points:
        etree.SubElement(drawn, f"{{{DI_NS}}}waypoint", x=str(x), y=str(y))
    return drawn


def _reference(node: etree._Element, tag: str, flow_id: str) -> None:
    """An incoming/outgoing reference where BPMN's schema wants it: after the documentation, extensions and
    the references before it, ahead of event definitions."""
    order = ("documentation", "extensionElements", "incoming") + (("outgoing",) if tag == "outgoing" else ())
    position = sum(1 for child in node if etree.QName(child).localname in order)
    reference = etree.Element(f"{{{BPMN_NS}}}{tag}")
    reference.text = flow_id
    node.insert(position, reference)


def _flow(process: etree._Element, flow_id: str, source: etree._Element, target: etree._Element) -> None:
    _bpmn(process, "sequenceFlow", id=flow_id, sourceRef=str(source.get("id")), targetRef=str(target.get("id")))
    _reference(source, "outgoing", flow_id)
    _reference(target, "incoming", flow_id)


def add_missing_timers(root: etree._Element) -> list[str]:
    """Add the timer and breach path to every user task with a time standard and no timer; returns the names
    of the tasks that got one."""
    timers = {event.get("attachedToRef"): event for event in root.iterfind(".//bpmn:boundaryEvent", NS)
              if event.find("bpmn:timerEventDefinition", NS) is not None}
    services = {task.get("id") for task in root.iterfind(".//bpmn:serviceTask", NS)}
    added = []
    for task in root.iterfind(".//bpmn:userTask", NS):
        task_id, standard = str(task.get("id")), properties_of(task).get("standar_waktu", "").strip()
        if not standard:
            continue
        process = task.getparent()
        if task_id in timers:
            if _insert_breach(root, process, task_id, timers[task_id], services):
                added.append(name_of(task))
            continue
        timer = _bpmn(process, "boundaryEvent", id=f"Timer_{task_id}", name=TIMER_NAME, cancelActivity="false",
                      attachedToRef=task_id)
        definition = _bpmn(timer, "timerEventDefinition", id=f"TimerDef_{task_id}")
        duration = _bpmn(definition, "timeDuration")
        prefix = next((name for name, uri in root.nsmap.items() if uri == BPMN_NS), "bpmn")
        duration.set(XSI_TYPE, f"{prefix}:tFormalExpression" if prefix else "tFormalExpression")
        duration.text = f'"{standard}"'
        breach = _breach_task(process, task_id)
        end = _bpmn(process, "endEvent", id=f"End_Breach_{task_id}", name=END_NAME)
        _flow(process, f"Flow_Timer_{task_id}", timer, breach)
        _flow(process, f"Flow_Breach_{task_id}", breach, end)
        _into_lane(root, task_id, timer, breach, end)
        _draw(root, task_id)
        added.append(name_of(task))
    return added


def _breach_task(process: etree._Element, task_id: str) -> etree._Element:
    breach = _bpmn(process, "serviceTask", id=f"Breach_{task_id}", name=BREACH_NAME)
    operator = etree.SubElement(_bpmn(breach, "extensionElements"), f"{{{SPIFF_NS}}}serviceTaskOperator",
                                id=BREACH_HANDLER, resultVariable="pelanggaran_standar_waktu")
    etree.SubElement(operator, f"{{{SPIFF_NS}}}parameters")
    return breach


def _into_lane(root: etree._Element, task_id: str, *nodes: etree._Element) -> None:
    for lane in root.iterfind(".//bpmn:lane", NS):
        if any((ref.text or "").strip() == task_id for ref in lane.iterfind("bpmn:flowNodeRef", NS)):
            for node in nodes:
                _bpmn(lane, "flowNodeRef").text = str(node.get("id"))


def _insert_breach(root: etree._Element, process: etree._Element, task_id: str, timer: etree._Element,
                   services: set[str | None]) -> bool:
    """A timer whose path records nothing (e.g. straight to an end event) gets the breach task on it."""
    flow = next((f for f in process.iterfind("bpmn:sequenceFlow", NS) if f.get("sourceRef") == timer.get("id")),
                None)
    if flow is None or flow.get("targetRef") in services:
        return False
    target = process.find(f"bpmn:*[@id='{flow.get('targetRef')}']", NS)
    if target is None:
        return False
    breach = _breach_task(process, task_id)
    for incoming in target.iterfind("bpmn:incoming", NS):
        if incoming.text == flow.get("id"):
            target.remove(incoming)
    flow.set("targetRef", str(breach.get("id")))
    _reference(breach, "incoming", str(flow.get("id")))
    _flow(process, f"Flow_Breach_{task_id}", breach, target)
    _into_lane(root, task_id, breach)
    timer_bounds = root.find(f".//{{{BPMNDI_NS}}}BPMNShape[@bpmnElement='{timer.get('id')}']/{{{DC_NS}}}Bounds")
    if timer_bounds is not None:
        plane = timer_bounds.getparent().getparent()
        x, y = float(timer_bounds.get("x", 0)), float(timer_bounds.get("y", 0))
        shape(plane, str(breach.get("id")), x + 50, y + 50, 100, 80)
        old = plane.find(f"{{{BPMNDI_NS}}}BPMNEdge[@bpmnElement='{flow.get('id')}']")
        if old is not None:
            plane.remove(old)
        edge(plane, str(flow.get("id")), [(x + 18, y + 36), (x + 18, y + 90), (x + 50, y + 90)])
        edge(plane, f"Flow_Breach_{task_id}", [(x + 150, y + 90), (x + 190, y + 90)])
    return True


def _draw(root: etree._Element, task_id: str) -> None:
    """The timer on the task's lower edge, the breach task and its end below it."""
    bounds = root.find(f".//{{{BPMNDI_NS}}}BPMNShape[@bpmnElement='{task_id}']/{{{DC_NS}}}Bounds")
    plane = bounds.getparent().getparent() if bounds is not None else None
    if bounds is None or plane is None:
        return
    x, y = float(bounds.get("x", 0)), float(bounds.get("y", 0))
    width, height = float(bounds.get("width", 100)), float(bounds.get("height", 80))
    timer_x, timer_y = x + width - 28, y + height - 18
    shape(plane, f"Timer_{task_id}", timer_x, timer_y, 36, 36)
    shape(plane, f"Breach_{task_id}", x + width + 20, y + height + 40, 100, 80)
    shape(plane, f"End_Breach_{task_id}", x + width + 160, y + height + 62, 36, 36)
    edge(plane, f"Flow_Timer_{task_id}", [(timer_x + 18, timer_y + 36), (timer_x + 18, y + height + 80),
                                            (x + width + 20, y + height + 80)])
    edge(plane, f"Flow_Breach_{task_id}", [(x + width + 120, y + height + 80), (x + width + 160, y + height + 80)])

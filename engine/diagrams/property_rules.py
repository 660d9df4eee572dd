"""Validation rules from the property registry (engine/diagrams/diagram_properties.py) and the time-standard rule: every
user task states its time standard once, in `standar_waktu`, and carries exactly one non-interrupting boundary
timer with that duration whose path records the breach. A step without its timer would have no deadline and
could never be breached; a second or different timer would contradict the SOP's table."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from lxml import etree

from engine.diagrams.diagram_properties import COUNTING, SEQUENCE_FLOW, WORKING_DAYS, Kind, spec_of
from engine.diagrams.diagram_xml import BPMN_NS, NS, Problem, local_name, name_of, properties_of
from engine.diagrams.durations import InvalidDuration, parse_iso, words


def property_problems(root: etree._Element) -> Iterator[Problem]:
    """Unknown or misplaced properties, and choices outside their values."""
    for holder in root.iter(f"{{{NS['spiffworkflow']}}}properties"):
        owner = holder.getparent().getparent() if holder.getparent() is not None else None
        if owner is None:
            continue
        kind, where = local_name(owner), name_of(owner)
        for prop in holder.iterfind("spiffworkflow:property", NS):
            name, value = str(prop.get("name") or ""), str(prop.get("value") or "").strip()
            spec = spec_of(name)
            if spec is None:
                yield Problem(owner.get("id"), "property",
                              f"properti {name!r} pada {where!r} tidak dikenal sopflow dan tidak akan dibaca")
            elif kind not in spec.elements:
                yield Problem(owner.get("id"), "property",
                              f"properti {name!r} tidak berlaku untuk {where!r}; properti ini untuk "
                              + ", ".join(spec.elements))
            elif spec.kind == Kind.CHOICE and value not in spec.choices:
                yield Problem(owner.get("id"), "property",
                              f"properti {name!r} pada {where!r} bernilai {value!r}; nilai yang dikenal: "
                              + ", ".join(spec.choices))


def _duration_of(timer: etree._Element) -> str | None:
    text = timer.findtext("bpmn:timerEventDefinition/bpmn:timeDuration", namespaces=NS)
    if text is None:
        return None
    try:
        literal = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return None
    return literal if isinstance(literal, str) else None


def _is_duration(text: str) -> bool:
    """Only a valid duration is compared with the standard; an invalid one is reported by the timer rules."""
    try:
        parse_iso(text)
    except InvalidDuration:
        return False
    return True


def deadline_problems(root: etree._Element) -> Iterator[Problem]:
    """Exactly one matching, non-interrupting boundary timer per user task, leading to a service task."""
    timers: dict[str, list[etree._Element]] = {}
    for event in root.iterfind(".//bpmn:boundaryEvent", NS):
        if event.find("bpmn:timerEventDefinition", NS) is not None:
            timers.setdefault(str(event.get("attachedToRef")), []).append(event)
    flows = {flow.get("sourceRef"): flow.get("targetRef") for flow in root.iterfind(".//bpmn:sequenceFlow", NS)}
    services = {task.get("id") for task in root.iterfind(".//bpmn:serviceTask", NS)}
    for task in root.iterfind(".//bpmn:userTask", NS):
        task_id, where = str(task.get("id")), name_of(task)
        properties = properties_of(task)
        standard = properties.get("standar_waktu", "").strip()
        if properties.get(COUNTING) == WORKING_DAYS and _is_duration(standard) and parse_iso(standard).minutes % 1440:
            yield Problem(task_id, "time-standard",
                          f"tugas {where!r} menghitung hari kerja, jadi standar waktunya harus hari utuh "
                          f"(mis. 10 hari kerja), bukan {words(standard)}")
        attached = timers.get(task_id, [])
        if not attached:
            yield Problem(task_id, "timer-missing",
                          f"tugas {where!r} tidak memiliki timer standar waktu; tanpa timer langkah ini tidak "
                          "memiliki tenggat dan pelanggarannya tidak pernah tercatat")
            continue
        if len(attached) > 1:
            yield Problem(task_id, "timer-count",
                          f"tugas {where!r} memiliki {len(attached)} timer; standar waktu dinyatakan sekali, dengan "
                          "tepat satu timer")
            continue
        timer = attached[0]
        if timer.get("cancelActivity", "true") != "false":
            yield Problem(timer.get("id"), "timer-interrupting",
                          f"timer {name_of(timer)!r} menghentikan tugas {where!r}; timer standar waktu hanya "
                          "mencatat pelanggaran dan tugas tetap berjalan (non-interrupting)")
        if flows.get(timer.get("id")) not in services:
            yield Problem(timer.get("id"), "timer-breach",
                          f"timer {name_of(timer)!r} tidak menuju tugas layanan yang mencatat pelanggaran")
        duration = _duration_of(timer)
        if standard and duration is not None and duration != standard and _is_duration(duration):
            yield Problem(timer.get("id"), "timer-standard",
                          f"timer {name_of(timer)!r} pada {where!r} bernilai {duration} sedangkan standar_waktu "
                          f"langkah itu {standard}; keduanya harus sama")


def loop_flow_problems(root: etree._Element) -> Iterator[Problem]:
    """`putaran_ulang` only on flows (the registry says where), and only on flows that leave a gateway."""
    gateways = {g.get("id") for g in root.iterfind(".//bpmn:exclusiveGateway", NS)}
    for flow in root.iterfind(f".//{{{BPMN_NS}}}{SEQUENCE_FLOW}", NS):
        if "putaran_ulang" in properties_of(flow) and flow.get("sourceRef") not in gateways:
            yield Problem(flow.get("id"), "property",
                          f"alur {name_of(flow)!r} ditandai putaran_ulang tetapi tidak keluar dari gateway keputusan")

"""The SOP as a document (Permenpan RB 35/2012 style), read from the deployed diagrams only.

Identity fields come from the process's own `spiffworkflow:properties` (`sop.nomor`, `sop.disahkan_oleh`, ...),
which the process owner edits in the modeler; the rows are the user tasks in `langkah` order, with their lane,
flowchart symbol and mutu baku (kelengkapan, waktu, output). Change a time standard, deploy, and the document
shows the new value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from lxml import etree
from sqlalchemy import select

from engine.context import EngineContext
from engine.diagrams.diagram_properties import COUNTING, NOTE, WORKING_DAYS
from engine.diagrams.diagram_xml import BPMN_NS, executable_processes, lanes_of, properties_of
from engine.diagrams.durations import words
from engine.diagrams.validation import screen
from engine.errors import NotFound
from engine.runtime.execution import latest_definition
from engine.store import Definition

IDENTITY_PREFIX = "sop."
# Property name after "sop." -> label printed in the identity header, in the order of the format.
IDENTITY_FIELDS = (
    ("instansi", "Instansi"),
    ("unit", "Unit kerja"),
    ("nomor", "Nomor SOP"),
    ("tanggal_pembuatan", "Tanggal pembuatan"),
    ("tanggal_revisi", "Tanggal revisi"),
    ("tanggal_efektif", "Tanggal efektif"),
    ("disahkan_oleh", "Disahkan oleh"),
    ("nip_pengesah", "NIP"),
    ("nama", "Nama SOP"),
)
SECTION_FIELDS = (
    ("dasar_hukum", "Dasar hukum"),
    ("kualifikasi_pelaksana", "Kualifikasi pelaksana"),
    ("keterkaitan", "Keterkaitan"),
    ("peralatan", "Peralatan / perlengkapan"),
    ("peringatan", "Peringatan"),
    ("pencatatan", "Pencatatan dan pendataan"),
)
TERMINATOR, PROCESS, DECISION = "terminator", "process", "decision"
LOOP_COLUMN = ""  # the connectors key of the column right of the lanes, where flows back to an earlier step run


@dataclass(frozen=True)
class SopRow:
    number: str
    activity: str
    lane: str | None
    symbol: str
    required_input: str | None
    time_standard: str | None
    time_text: str
    output: str | None
    note: str
    element_id: str
    process_id: str
    connectors: dict[str, tuple[str, ...]] = field(default_factory=dict)  # lane -> segments drawn in its cell
    branches: tuple[tuple[str, str | None], ...] = ()  # a decision's flows: (name, the user task it leads to)
    loop_in: bool = False  # a flow from a later decision comes back to this step
    loop_names: tuple[str, ...] = ()  # the names of the flows that go back from this decision


@dataclass
class SopDocument:
    title: str
    identity: list[tuple[str, str]]
    sections: list[tuple[str, list[str]]]
    lanes: list[str]
    rows: list[SopRow]
    sources: list[tuple[str, str, int, datetime]] = field(default_factory=list)  # id, name, version, deployed


def _follow(node_id: str, nodes: dict[str, etree._Element], outgoing: dict[str, list[etree._Element]],
            seen: set[str] | None = None) -> list[etree._Element]:
    """The next meaningful elements after `node_id`, passing through merge gateways (one way out)."""
    seen = seen if seen is not None else set()
    result: list[etree._Element] = []
    for flow in outgoing.get(node_id, []):
        target = nodes.get(str(flow.get("targetRef")))
        if target is None or str(target.get("id")) in seen:
            continue
        seen.add(str(target.get("id")))
        if etree.QName(target).localname.endswith("Gateway") and len(outgoing.get(str(target.get("id")), [])) <= 1:
            result.extend(_follow(str(target.get("id")), nodes, outgoing, seen))
        else:
            result.append(target)
    return result


def _rows(xml: str, process_id: str) -> tuple[list[SopRow], dict[str, str], str]:
    root, _ = screen(xml.encode("utf-8"))
    if root is None or not executable_processes(root):
        return [], {}, process_id
    process = executable_processes(root)[0]
    nodes = {str(n.get("id")): n for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
    outgoing: dict[str, list[etree._Element]] = {}
    incoming: dict[str, list[etree._Element]] = {}
    for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        outgoing.setdefault(str(flow.get("sourceRef")), []).append(flow)
        incoming.setdefault(str(flow.get("targetRef")), []).append(flow)
    lanes = lanes_of(root)
    tasks = list(process.iter(f"{{{BPMN_NS}}}userTask"))
    numbers = {str(t.get("id")): properties_of(t).get("langkah") or str(i) for i, t in enumerate(tasks, start=1)}

    def label(target: etree._Element) -> str:
        kind = etree.QName(target).localname
        if kind == "userTask":
            return f"ke langkah {numbers[str(target.get('id'))]}"
        if kind == "endEvent":
            return f"selesai ({target.get('name')})" if target.get("name") else "selesai"
        return f"ke {target.get('name') or target.get('id')}"

    rows = []
    for task in tasks:
        task_id = str(task.get("id"))
        properties = properties_of(task)
        after = _follow(task_id, nodes, outgoing)
        before = [nodes.get(str(f.get("sourceRef"))) for f in incoming.get(task_id, [])]
        symbol, note, leads = PROCESS, "", []
        decision = next((n for n in after if etree.QName(n).localname.endswith("Gateway")), None)
        if decision is not None:
            symbol = DECISION
            branches = []
            for flow in outgoing.get(str(decision.get("id")), []):
                targets = [nodes[str(flow.get("targetRef"))]] if str(flow.get("targetRef")) in nodes else []
                if targets and etree.QName(targets[0]).localname.endswith("Gateway"):
                    targets = _follow(str(targets[0].get("id")), nodes, outgoing) or targets
                where = ", ".join(label(t) for t in targets)
                branches.append(f"{flow.get('name') or 'lainnya'}: {where}")
                step = next((str(t.get("id")) for t in targets if etree.QName(t).localname == "userTask"), None)
                leads.append((str(flow.get("name") or ""), step))
            note = "; ".join(branches)
        elif (after and all(etree.QName(n).localname == "endEvent" for n in after)) or any(
                b is not None and etree.QName(b).localname == "startEvent" for b in before):
            symbol = TERMINATOR
        standard = properties.get("standar_waktu")
        rows.append(SopRow(
            number=numbers[task_id], activity=str(task.get("name") or task_id),
            lane=lanes.get(task_id, (None, None))[1],
            symbol=symbol, required_input=properties.get("kelengkapan"), time_standard=standard,
            time_text=words(standard, properties.get(COUNTING) == WORKING_DAYS), output=properties.get("output"),
            note="; ".join(part for part in (properties.get(NOTE, ""), note) if part), element_id=task_id,
            process_id=process_id, branches=tuple(leads),
        ))
    identity = {k[len(IDENTITY_PREFIX):]: v for k, v in properties_of(process).items() if k.startswith(IDENTITY_PREFIX)}
    return rows, identity, str(process.get("name") or process_id)


def _connectors(rows: list[SopRow], lanes: list[str]) -> list[SopRow]:
    """The flowchart's connecting lines, cell by cell: from each symbol down to the next row's symbol, with an
    elbow across the lanes in between when the next step is in another lane. Segment names: `up`, `down`
    (half lines through the centre), `drop` (centre to the elbow), `left`/`right`/`across` (the elbow's
    horizontal part), `tail` (elbow to the bottom)."""
    column = {lane: index for index, lane in enumerate(lanes)}
    result = []
    for index, row in enumerate(rows):
        cells: dict[str, set[str]] = {lane: set() for lane in lanes}
        here = column.get(row.lane or "")
        following = rows[index + 1] if index + 1 < len(rows) else None
        there = column.get(following.lane or "") if following is not None else None
        if here is not None:
            if index > 0:
                cells[lanes[here]].add("up")
            if there == here:
                cells[lanes[here]].add("down")
            elif there is not None:
                cells[lanes[here]].update({"drop", "right" if there > here else "left"})
                for between in range(min(here, there) + 1, max(here, there)):
                    cells[lanes[between]].add("across")
                cells[lanes[there]].update({"left" if there > here else "right", "tail"})
        result.append(replace(row, connectors={lane: tuple(sorted(segments)) for lane, segments in cells.items()}))
    return _loops(result, lanes)


def _loops(rows: list[SopRow], lanes: list[str]) -> list[SopRow]:
    """Flows from a decision back to an earlier step, drawn at mid height: from the decision to the right, up
    the loop column, and left into the earlier step's symbol (which then shows an arrowhead on its right)."""
    column = {lane: index for index, lane in enumerate(lanes)}
    position = {row.element_id: index for index, row in enumerate(rows)}
    cells = [{lane: set(segments) for lane, segments in row.connectors.items()} for row in rows]
    names: list[list[str]] = [[] for _ in rows]
    entered: set[int] = set()

    def towards_column(index: int) -> None:
        here = column.get(rows[index].lane or "")
        if here is None:
            return
        cells[index][lanes[here]].add("mid-right")
        for right in lanes[here + 1:]:
            cells[index][right].add("mid-across")

    for index, row in enumerate(rows):
        for name, target in row.branches:
            back = position.get(target or "")
            if back is None or back >= index:
                continue
            names[index].append(name)
            entered.add(back)
            towards_column(index)
            towards_column(back)
            cells[index].setdefault(LOOP_COLUMN, set()).update({"up", "mid-left"})
            cells[back].setdefault(LOOP_COLUMN, set()).update({"down", "mid-left"})
            for between in range(back + 1, index):
                cells[between].setdefault(LOOP_COLUMN, set()).add("through")
    return [replace(row, connectors={lane: tuple(sorted(segments)) for lane, segments in cells[index].items()},
                    loop_in=index in entered, loop_names=tuple(names[index])) for index, row in enumerate(rows)]


def _number_key(row: SopRow) -> tuple[int, str]:
    return (int(row.number), row.number) if row.number.isdigit() else (10**6, row.number)


def build_sop_document(
    ctx: EngineContext, process_ids: Sequence[str] | None = None, version: int | None = None
) -> SopDocument:
    """The SOP of the given processes (all deployed ones when None), newest versions unless `version` is given
    for a single process."""
    with ctx.db.session() as session:
        if process_ids is None:
            process_ids = sorted(set(session.scalars(select(Definition.process_id))))
        definitions: list[Definition] = []
        for process_id in process_ids:
            if version is not None and len(process_ids) == 1:
                found = session.scalars(select(Definition).where(Definition.process_id == process_id,
                                                                 Definition.version == version)).first()
                if found is None:
                    raise NotFound("Process %(process)r has no version %(version)s.", process=process_id,
                                   version=version)
                definitions.append(found)
            else:
                definitions.append(latest_definition(session, process_id))
    rows: list[SopRow] = []
    identity: dict[str, str] = {}
    names = []
    for definition in definitions:
        process_rows, process_identity, name = _rows(definition.bpmn_xml, definition.process_id)
        rows.extend(process_rows)
        names.append(name)
        for key, value in process_identity.items():
            identity.setdefault(key, value)
    rows.sort(key=_number_key)
    configured = list(ctx.settings.lane_roles)
    used = [lane for lane in configured if any(r.lane == lane for r in rows)]
    used += sorted({r.lane for r in rows if r.lane and r.lane not in used})
    leading = rows[0].process_id if rows else None
    first = next((name for d, name in zip(definitions, names, strict=True) if d.process_id == leading),
                 names[0] if names else "")
    title = identity.get("nama") or first
    revised = [d.deployed_at for d in definitions if d.version > 1]
    if revised and not identity.get("tanggal_revisi"):  # the version history says when the SOP last changed
        identity["tanggal_revisi"] = max(revised).astimezone(ctx.settings.calendar.timezone).date().isoformat()
    rows = _connectors(rows, used)
    return SopDocument(
        title=title,
        identity=[(label, identity.get(key) or (title if key == "nama" else "-")) for key, label in IDENTITY_FIELDS],
        sections=[(label, [part.strip() for part in identity.get(key, "").split(";") if part.strip()] or ["-"])
                  for key, label in SECTION_FIELDS],
        lanes=used,
        rows=rows,
        sources=[(d.process_id, d.name, d.version, d.deployed_at) for d in definitions],
    )


"""Import of .bpmn files made by other tools (Camunda Modeler, bpmn.io, Signavio) and export of a version.

An import translates what has a sopflow meaning (Camunda properties and form fields, Signavio metadata,
unquoted ISO timers, ${...} conditions) into the spiffworkflow extensions sopflow reads, and reports what it
did. What sopflow cannot execute (Java classes, scripts, message events, ...) is left in place and named by
validation, so the process owner sees each such element marked; nothing is ever executed.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from lxml import etree

from engine.config import Settings
from engine.context import EngineContext
from engine.diagrams.diagram_properties import is_known
from engine.diagrams.diagram_xml import BPMN_NS, CAMUNDA_NS, NS, SPIFF_NS, Problem, executable_processes
from engine.diagrams.timer_paths import add_missing_timers
from engine.diagrams.validation import MAX_DIAGRAM_BYTES, DiagramProblems, screen, validate_diagram
from engine.errors import NotFound
from engine.runtime.execution import latest_definition
from engine.store import Definition

SIGNAVIO_NS = "http://www.signavio.com"
CAMUNDA_FORM_TYPES = {"string": "text", "long": "text", "date": "date", "boolean": "choice:ya,tidak"}
ISO_LITERAL = re.compile(r"^(P|R\d*/|\d{4}-\d{2}-\d{2}T)[0-9A-Za-z:+./-]*$")


@dataclass
class ImportResult:
    xml: bytes
    tool: str
    process_id: str | None
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def detect_tool(root: etree._Element) -> str:
    exporter = (root.get("exporter") or "").lower()
    namespaces = set(root.nsmap.values())
    if "signavio" in exporter or SIGNAVIO_NS in namespaces:
        return "Signavio"
    if "camunda" in exporter or CAMUNDA_NS in namespaces:
        return "Camunda Modeler"
    if "sopflow" in exporter:
        return "sopflow"
    if "bpmn-js" in exporter or "bpmn.io" in exporter:
        return "bpmn.io"
    return root.get("exporter") or "tidak diketahui"


def _wanted(name: str) -> bool:
    """What sopflow reads (the registry): everything else of another tool's properties is dropped."""
    return is_known(name)


def _properties_element(node: etree._Element) -> etree._Element:
    """The node's spiffworkflow:properties, created (with extensionElements first, as BPMN orders it)."""
    extensions = node.find(f"{{{BPMN_NS}}}extensionElements")
    if extensions is None:
        extensions = etree.Element(f"{{{BPMN_NS}}}extensionElements")
        documentation = node.find(f"{{{BPMN_NS}}}documentation")
        node.insert(1 if documentation is not None else 0, extensions)
    properties = extensions.find(f"{{{SPIFF_NS}}}properties")
    if properties is None:
        properties = etree.SubElement(extensions, f"{{{SPIFF_NS}}}properties")
    return properties


def _set_property(node: etree._Element, name: str, value: str) -> None:
    properties = _properties_element(node)
    for existing in properties.findall(f"{{{SPIFF_NS}}}property"):
        if existing.get("name") == name:
            existing.set("value", value)
            return
    etree.SubElement(properties, f"{{{SPIFF_NS}}}property", name=name, value=value)


def _owner(extension: etree._Element) -> etree._Element:
    """The BPMN element an extension element belongs to."""
    node = extension.getparent()
    while node is not None and (etree.QName(node).namespace != BPMN_NS
                                or etree.QName(node).localname == "extensionElements"):
        node = node.getparent()
    assert node is not None
    return node


def _camunda(root: etree._Element, notes: list[str]) -> None:
    moved = 0
    for container in root.xpath(".//camunda:properties", namespaces=NS):
        owner = _owner(container)
        for prop in container.findall(f"{{{CAMUNDA_NS}}}property"):
            if prop.get("name"):
                _set_property(owner, str(prop.get("name")), prop.get("value") or "")
                moved += 1
        container.getparent().remove(container)
    if moved:
        notes.append(f"{moved} properti camunda:property dipindahkan ke spiffworkflow:properties")
    fields = 0
    for form in root.xpath(".//camunda:formData", namespaces=NS):
        owner = _owner(form)
        for form_field in form.findall(f"{{{CAMUNDA_NS}}}formField"):
            kind = CAMUNDA_FORM_TYPES.get(form_field.get("type") or "string", "text")
            if form_field.get("type") == "enum":
                values = [v.get("id") for v in form_field.findall(f"{{{CAMUNDA_NS}}}value") if v.get("id")]
                kind = "choice:" + ",".join(str(v) for v in values) if values else "text"
            required = any(c.get("name") == "required" for c in form_field.iter(f"{{{CAMUNDA_NS}}}constraint"))
            label = form_field.get("label") or form_field.get("id") or "isian"
            _set_property(owner, f"form.{form_field.get('id')}",
                          f"{kind}|{'required' if required else 'optional'}|{label}")
            fields += 1
        form.getparent().remove(form)
    if fields:
        notes.append(f"{fields} isian camunda:formField menjadi properti form.<isian>")
    for attribute in ("formKey", "assignee", "candidateGroups", "candidateUsers"):
        for node in root.xpath(f".//*[@camunda:{attribute}]", namespaces=NS):
            del node.attrib[f"{{{CAMUNDA_NS}}}{attribute}"]
            notes.append(f"camunda:{attribute} pada {node.get('id')!r} diabaikan: siapa mengerjakan ditentukan lane")


def _signavio(root: etree._Element, notes: list[str]) -> None:
    moved, dropped = 0, 0
    for meta in root.iter(f"{{{SIGNAVIO_NS}}}signavioMetaData"):
        key = (meta.get("metaKey") or "").strip()
        if _wanted(key):
            _set_property(_owner(meta), key, meta.get("metaValue") or "")
            moved += 1
        else:
            dropped += 1
    for meta in list(root.iter(f"{{{SIGNAVIO_NS}}}signavioMetaData")):
        meta.getparent().remove(meta)
    for extensions in root.iter(f"{{{BPMN_NS}}}extensionElements"):
        if len(extensions) == 0:
            extensions.getparent().remove(extensions)
    if moved:
        notes.append(f"{moved} metadata Signavio dipindahkan ke spiffworkflow:properties")
    if dropped:
        notes.append(f"{dropped} metadata Signavio tanpa arti bagi sopflow (warna, dll.) diabaikan")


def _expressions(root: etree._Element, notes: list[str]) -> None:
    quoted = 0
    for definition in root.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        for value in definition:
            text = (value.text or "").strip()
            if ISO_LITERAL.match(text):
                value.text = f'"{text}"'
                quoted += 1
    if quoted:
        notes.append(f"{quoted} ekspresi timer ISO 8601 diberi tanda kutip")
    converted = 0
    for condition in root.iter(f"{{{BPMN_NS}}}conditionExpression"):
        text = (condition.text or "").strip()
        match = re.fullmatch(r"\$\{(.*)\}", text, flags=re.DOTALL)
        if match:
            expression = match.group(1).replace("&&", " and ").replace("||", " or ")
            condition.text = re.sub(r"\s+", " ", expression).strip()
            converted += 1
    if converted:
        notes.append(f"{converted} kondisi ${{...}} (JUEL) diubah menjadi ekspresi sopflow; periksa kembali")


def _process(root: etree._Element, target_process_id: str | None, notes: list[str]) -> str | None:
    processes = root.findall(f"{{{BPMN_NS}}}process")
    if len(processes) == 1 and processes[0].get("isExecutable") != "true":
        processes[0].set("isExecutable", "true")
        notes.append("proses ditandai dapat dijalankan (isExecutable=\"true\")")
    executable = executable_processes(root)
    if len(executable) != 1:
        return None
    process = executable[0]
    old_id = str(process.get("id"))
    if target_process_id and old_id != target_process_id:
        process.set("id", target_process_id)
        for participant in root.iter(f"{{{BPMN_NS}}}participant"):
            if participant.get("processRef") == old_id:
                participant.set("processRef", target_process_id)
        for shape in root.iter():
            if isinstance(shape.tag, str) and shape.get("bpmnElement") == old_id:
                shape.set("bpmnElement", target_process_id)
        notes.append(f"id proses {old_id!r} diganti menjadi {target_process_id!r}")
        return target_process_id
    return old_id


def import_diagram(
    xml: bytes,
    settings: Settings | None = None,
    handler_names: Collection[str] | None = None,
    target_process_id: str | None = None,
) -> ImportResult:
    """Translate a foreign .bpmn and validate the result. Raises DiagramProblems only when the file is not
    safe, well-formed XML; every other problem is in the result, with the element it concerns."""
    root, problems = screen(xml, settings.diagram_max_bytes if settings else MAX_DIAGRAM_BYTES)
    if root is None:
        raise DiagramProblems(problems)
    if etree.QName(root).namespace != BPMN_NS or etree.QName(root).localname != "definitions":
        raise DiagramProblems([Problem(None, "process", "berkas bukan diagram BPMN 2.0 (bpmn:definitions)")])
    tool = detect_tool(root)
    notes: list[str] = []
    _camunda(root, notes)
    _signavio(root, notes)
    _expressions(root, notes)
    timed = add_missing_timers(root)
    if timed:
        notes.append("timer standar waktu dan jalur pencatatan pelanggarannya ditambahkan pada: " + ", ".join(timed))
    process_id = _process(root, target_process_id, notes)
    etree.cleanup_namespaces(root, top_nsmap={"spiffworkflow": SPIFF_NS})
    converted = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    validation = validate_diagram(converted, settings, handler_names, "import.bpmn", target_process_id)
    return ImportResult(converted, tool, process_id, notes, validation.problems)


def import_for_context(ctx: EngineContext, xml: bytes, target_process_id: str | None = None) -> ImportResult:
    return import_diagram(xml, ctx.settings, set(ctx.handlers), target_process_id)


def export_diagram(ctx: EngineContext, process_id: str, version: int | None = None) -> tuple[str, bytes]:
    """The file name and the stored XML of a deployed version (the newest when None), as deployed."""
    from sqlalchemy import select

    with ctx.db.session() as session:
        if version is None:
            definition = latest_definition(session, process_id)
        else:
            found = session.scalars(select(Definition).where(Definition.process_id == process_id,
                                                             Definition.version == version)).first()
            if found is None:
                raise NotFound("Process %(process)r has no version %(version)s.", process=process_id, version=version)
            definition = found
        return f"{process_id}_v{definition.version}.bpmn", definition.bpmn_xml.encode("utf-8")

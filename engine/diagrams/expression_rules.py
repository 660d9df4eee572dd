"""The diagram rule for expressions: gateway conditions, service-task parameters and the expression
properties of steps, each checked by engine.diagrams.expressions against the names the diagram's steps declare and the
engine provides. Part of engine.diagrams.validation's rules, kept in its own module."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from engine.diagrams.diagram_properties import REGISTRY, Kind
from engine.diagrams.diagram_xml import BPMN_NS, NS, Problem, name_of, properties_of
from engine.diagrams.expressions import expression_problem, known_names
from engine.diagrams.forms import FIELD_PREFIX

EXPRESSION_PROPERTIES = tuple(spec.name for spec in REGISTRY if spec.kind == Kind.EXPRESSION)


def expression_problems(root: etree._Element) -> Iterator[Problem]:
    """Conditions, service-task parameters and expression properties: each checked by engine.diagrams.expressions
    against the names the diagram's steps declare and the engine provides."""
    declared = {
        key[len(FIELD_PREFIX):]
        for node in root.xpath(".//bpmn:*[bpmn:extensionElements/spiffworkflow:properties]", namespaces=NS)
        for key in properties_of(node) if key.startswith(FIELD_PREFIX)
    }
    declared.update(str(v) for v in root.xpath(".//spiffworkflow:serviceTaskOperator/@resultVariable", namespaces=NS))
    names = known_names(declared)
    for flow in root.xpath(".//bpmn:sequenceFlow[bpmn:conditionExpression]", namespaces=NS):
        condition = flow.findtext(f"{{{BPMN_NS}}}conditionExpression") or ""
        if condition.strip():
            source = flow.getparent().xpath("*[@id=$ref]", ref=flow.get("sourceRef") or "")
            gateway = f" dari gateway {name_of(source[0])!r}" if source else ""
            yield from _expression(flow.get("id"), f"kondisi alur {name_of(flow)!r}{gateway}", condition, names)
    for node in root.xpath(".//bpmn:*[bpmn:extensionElements/spiffworkflow:properties]", namespaces=NS):
        properties = properties_of(node)
        for key in EXPRESSION_PROPERTIES:
            if key in properties:
                yield from _expression(node.get("id"), f"{name_of(node)!r}, properti {key}", properties[key], names)
    for parameter in root.xpath(".//bpmn:serviceTask/bpmn:extensionElements/spiffworkflow:serviceTaskOperator"
                                "/spiffworkflow:parameters/spiffworkflow:parameter", namespaces=NS):
        task = parameter.getparent().getparent().getparent().getparent()
        yield from _expression(task.get("id"), f"tugas layanan {name_of(task)!r}, parameter {parameter.get('id')!r}",
                               parameter.get("value") or "", names)


def _expression(element_id: str | None, where: str, expression: str, names: frozenset[str]) -> Iterator[Problem]:
    reason = expression_problem(expression, names)
    if reason is not None:
        yield Problem(element_id, "expression", f"{where}: ekspresi {expression.strip()[:200]!r} ditolak: {reason}")

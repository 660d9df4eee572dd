"""Reading a diagram's XML: the namespaces, a problem found in it, and the helpers every rule uses. Kept apart
from the rules so that rule modules (validation, expressions, properties) share them without import cycles."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS, "camunda": CAMUNDA_NS}


@dataclass(frozen=True)
class Problem:
    """One broken rule. `element_id` is the diagram element to mark, or None for the whole document."""

    element_id: str | None
    rule: str
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {"element_id": self.element_id, "rule": self.rule, "message": self.message}

    def __str__(self) -> str:
        return f"[{self.element_id}] {self.message}" if self.element_id else self.message


def name_of(node: etree._Element) -> str:
    return str(node.get("name") or node.get("id") or etree.QName(node).localname)


def local_name(node: etree._Element) -> str:
    return str(etree.QName(node).localname)


def literal(expression: str) -> str:
    """The text of a quoted string expression such as "PT15M"."""
    return expression.strip().strip("\"'")


def executable_processes(root: etree._Element) -> list[etree._Element]:
    return list(root.xpath("bpmn:process[not(@isExecutable='false')]", namespaces=NS))


def properties_of(node: etree._Element) -> dict[str, str]:
    """The element's own spiffworkflow:properties (name -> value)."""
    return {
        str(p.get("name")): str(p.get("value") or "")
        for p in node.xpath("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS)
        if p.get("name")
    }


def lanes_of(root: etree._Element) -> dict[str, tuple[str, str]]:
    """Flow node id -> (lane id, lane name), innermost lane winning."""
    result: dict[str, tuple[str, str]] = {}
    for lane in root.xpath(".//bpmn:lane", namespaces=NS):  # document order: parents before nested lanes
        for ref in lane.xpath("bpmn:flowNodeRef", namespaces=NS):
            if ref.text:
                result[ref.text.strip()] = (str(lane.get("id")), str(lane.get("name") or lane.get("id")))
    return result

"""Hostile input shared by the suite: text that would run script or create elements if a page wrote it
unescaped, and a diagram that carries such text in names, documentation, comments and CDATA sections."""

from __future__ import annotations

from typing import Any

from lxml import etree

from tests.conftest import ROOT

# Each payload sets window.__xss (or opens a dialog) if it ever runs, and creates an element with an id
# starting with "pwn" if it is ever parsed as markup.
PAYLOAD = ("\"'><img src=x id=pwn-img onerror=\"window.__xss=1;alert(1)\"></SCRIPT>"
           "<script id=pwn-script>window.__xss=2</script>")
SHORT = "<b id=pwn-b>tebal</b>&amp;"

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ITEM_DIAGRAM = ROOT / "bpmn" / "ppid_publikasi_item.bpmn"
TASK_2 = "Task_2_Siapkan_Data"
HOSTILE_TASK_NAME = "Menyiapkan data <img src=x id=pwn-name onerror=window.__xss=5></SCRIPT>"
# Written into the diagram as raw text: an XML comment and a CDATA section whose content closes a script element.
HOSTILE_COMMENT = ("<!-- </SCRIPT><img src=x id=pwn-comment onerror=window.__xss=4> "
                   "</script><script>window.__xss=4</script> -->")
HOSTILE_CDATA = "<![CDATA[</script><script>window.__xss=6;alert(6)</script><img src=x id=pwn-cdata onerror=alert(6)>]]>"


def hostile_item_diagram() -> bytes:
    """The item process with step 2 renamed to markup, documentation in a CDATA section that closes a script
    element, and a comment doing the same; every other rule of the diagram is kept, so it deploys."""
    root = etree.fromstring(ITEM_DIAGRAM.read_bytes())
    task: Any = root.find(f".//{{{BPMN}}}userTask[@id='{TASK_2}']")
    task.set("name", HOSTILE_TASK_NAME)
    documentation = etree.Element(f"{{{BPMN}}}documentation")
    documentation.text = "MARKER-CDATA"
    task.insert(0, documentation)
    text = etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
    text = text.replace("MARKER-CDATA", HOSTILE_CDATA)
    text = text.replace(f'<bpmn:userTask id="{TASK_2}"', f'{HOSTILE_COMMENT}<bpmn:userTask id="{TASK_2}"', 1)
    assert HOSTILE_COMMENT in text and HOSTILE_CDATA in text
    return text.encode("utf-8")

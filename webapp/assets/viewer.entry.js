// Read-only diagram with marks: window.SopflowViewer.show(element, xml, marks) -> viewer.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";

async function show(element, xml, marks = {}) {
  const viewer = new NavigatedViewer({ container: element });
  await viewer.importXML(xml);
  viewer.get("canvas").zoom("fit-viewport");
  setMarks(viewer, marks);
  return viewer;
}

function setMarks(viewer, marks) {
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  registry.forEach((element) => {
    for (const cls of ["mark-done", "mark-active", "mark-overdue"]) canvas.removeMarker(element.id, cls);
  });
  for (const [id, mark] of Object.entries(marks)) {
    if (registry.get(id)) canvas.addMarker(id, `mark-${mark}`);
  }
}

window.SopflowViewer = { show, setMarks };

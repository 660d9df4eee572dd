// The process owners' modeler: bpmn-js Modeler in Indonesian, its properties panel with a "sopflow" group for
// what the engine reads from a diagram (modeler_panel.js), validation problems marked on the diagram, draft /
// validate / deploy through the server.
// window.SopflowModeler.init(data): data = {xml, problems, labels, identity, csrf, urls: {draft, validate, deploy,
// duration}}.
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import spiffworkflowDescriptor from "./spiffworkflow-moddle.json";
import { SopflowPanelModule, config, post, settled } from "./modeler_panel";
import { TimeStandardModule } from "./modeler_time";
import { TranslateIdModule } from "./translate_id";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";
import "./modeler.css";

let labels = {};

// Problems on the diagram, like bpmnlint: the element marked, a badge with the messages.

function showProblems(modeler, problems) {
  const overlays = modeler.get("overlays");
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  overlays.remove({ type: "sopflow-problem" });
  registry.forEach((element) => canvas.removeMarker(element.id, "has-problem"));
  const list = document.getElementById("problems");
  list.innerHTML = "";
  const byElement = {};
  for (const problem of problems) {
    const item = document.createElement("li");
    item.dataset.element = problem.element_id || "";
    item.dataset.rule = problem.rule;
    item.textContent = problem.message;
    if (problem.element_id && registry.get(problem.element_id)) {
      item.classList.add("clickable");
      item.addEventListener("click", () => {
        const element = registry.get(problem.element_id);
        modeler.get("selection").select(element);
        canvas.scrollToElement(element);
      });
      (byElement[problem.element_id] = byElement[problem.element_id] || []).push(problem.message);
    }
    list.appendChild(item);
  }
  for (const [id, messages] of Object.entries(byElement)) {
    canvas.addMarker(id, "has-problem");
    const badge = document.createElement("div");
    badge.className = "problem-badge";
    badge.dataset.element = id;
    badge.title = messages.join("\n");
    badge.textContent = String(messages.length);
    overlays.add(id, "sopflow-problem", { position: { top: -10, right: 10 }, html: badge });
  }
  document.getElementById("no-problems").hidden = problems.length > 0;
}

function status(text, kind) {
  const line = document.getElementById("modeler-status");
  line.textContent = text;
  line.className = kind ? `status-${kind}` : "";
}

async function init(data) {
  labels = data.labels;
  Object.assign(config, { labels, identity: data.identity, registry: data.registry || [], csrf: data.csrf,
    durationUrl: data.urls.duration });
  const modeler = new Modeler({
    container: "#canvas",
    propertiesPanel: { parent: "#properties" },
    additionalModules: [TranslateIdModule, BpmnPropertiesPanelModule, BpmnPropertiesProviderModule,
      TimeStandardModule, SopflowPanelModule],
    moddleExtensions: { spiffworkflow: spiffworkflowDescriptor },
  });
  // The palette gets its own column beside the canvas, so it never covers the diagram.
  const palette = document.querySelector("#canvas .djs-palette");
  if (palette) document.getElementById("palette").appendChild(palette);
  try {
    await modeler.importXML(data.xml);
    // a hidden canvas (a phone, which gets a "wider screen" note instead) has no size to fit into
    if (document.getElementById("canvas").clientWidth) modeler.get("canvas").zoom("fit-viewport");
  } catch (error) {
    status(`${labels.failed} ${error.message}`, "error");
  }
  showProblems(modeler, data.problems);
  const xml = async () => {
    await settled();
    return (await modeler.saveXML({ format: true })).xml;
  };

  document.getElementById("save-draft").addEventListener("click", async () => {
    const { ok, data: answer } = await post(data.urls.draft, { xml: await xml() }, data.csrf);
    status(ok ? labels.saved : `${labels.failed} ${answer.error}`, ok ? "ok" : "error");
  });
  document.getElementById("validate").addEventListener("click", async () => {
    const { ok, data: answer } = await post(data.urls.validate, { xml: await xml() }, data.csrf);
    if (!ok) { status(`${labels.failed} ${answer.error}`, "error"); return; }
    showProblems(modeler, answer.problems);
    status(answer.problems.length ? labels.problems : labels.valid, answer.problems.length ? "error" : "ok");
  });
  document.getElementById("deploy").addEventListener("click", async () => {
    const note = document.getElementById("deploy-note").value.trim();
    if (!note) { status(labels.noteRequired, "error"); return; }
    const { ok, data: answer } = await post(data.urls.deploy, { xml: await xml(), note }, data.csrf);
    if (ok) {
      showProblems(modeler, []);
      status(labels.deployed.replace("%(version)s", answer.version), "ok");
    } else {
      if (answer.problems && answer.problems.length) showProblems(modeler, answer.problems);
      status(`${labels.failed} ${answer.error}`, "error");
    }
  });
  window.SopflowModeler.modeler = modeler;
  return modeler;
}

window.SopflowModeler = { init };

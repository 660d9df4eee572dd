// The process owners' modeler: bpmn-js Modeler, its properties panel with a "sopflow" group for what the
// engine reads from a diagram (lane, standar_waktu, kelengkapan, output, langkah, form.<field>; the SOP identity
// on the process), validation problems marked on the diagram, draft / validate / deploy through the server.
// window.SopflowModeler.init(data): data = {xml, problems, labels, identity, csrf, urls: {draft, validate, deploy}}.
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, useService } from "bpmn-js-properties-panel";
import { TextFieldEntry, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { is, getBusinessObject } from "bpmn-js/lib/util/ModelUtil";
import spiffworkflowDescriptor from "./spiffworkflow-moddle.json";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";
import "./modeler.css";

const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const STEP_KEYS = ["langkah", "kelengkapan", "output"];
let identityFields = []; // [property name, label] of the SOP identity, from the server
let labels = {};

// spiffworkflow:properties helpers

function propertiesOf(bo) {
  const values = (bo.extensionElements && bo.extensionElements.get("values")) || [];
  return values.find((v) => is(v, "spiffworkflow:Properties"));
}

function propertyOf(bo, name) {
  const container = propertiesOf(bo);
  return container ? (container.get("properties") || []).find((p) => p.name === name) : undefined;
}

function getProperty(bo, name) {
  const property = propertyOf(bo, name);
  return property ? property.value : "";
}

function setProperty(injector, element, bo, name, value) {
  const modeling = injector.get("modeling");
  const moddle = injector.get("moddle");
  const existing = propertyOf(bo, name);
  if (existing) {
    if (value === "" || value === undefined) {
      const container = propertiesOf(bo);
      modeling.updateModdleProperties(element, container, {
        properties: container.get("properties").filter((p) => p !== existing),
      });
    } else {
      modeling.updateModdleProperties(element, existing, { value });
    }
    return;
  }
  if (value === "" || value === undefined) return;
  let extensions = bo.extensionElements;
  if (!extensions) {
    extensions = moddle.create("bpmn:ExtensionElements", { values: [] });
    extensions.$parent = bo;
    modeling.updateModdleProperties(element, bo, { extensionElements: extensions });
  }
  let container = propertiesOf(bo);
  if (!container) {
    container = moddle.create("spiffworkflow:Properties", { properties: [] });
    container.$parent = extensions;
    modeling.updateModdleProperties(element, extensions, { values: [...extensions.get("values"), container] });
  }
  const property = moddle.create("spiffworkflow:Property", { name, value });
  property.$parent = container;
  modeling.updateModdleProperties(element, container, { properties: [...container.get("properties"), property] });
}

// A user task's boundary timer follows its standar_waktu (validation refuses a timer that differs).
function syncBoundaryTimers(injector, element, value) {
  if (!ISO_DURATION.test(value)) return;
  const modeling = injector.get("modeling");
  const moddle = injector.get("moddle");
  for (const attacher of element.attachers || []) {
    const definition = (getBusinessObject(attacher).eventDefinitions || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
    if (!definition || definition.timeCycle || definition.timeDate) continue;
    const body = `"${value}"`;
    if (definition.timeDuration) {
      modeling.updateModdleProperties(attacher, definition.timeDuration, { body });
    } else {
      const expression = moddle.create("bpmn:FormalExpression", { body });
      expression.$parent = definition;
      modeling.updateModdleProperties(attacher, definition, { timeDuration: expression });
    }
  }
}

function laneNames(injector, element) {
  const bo = getBusinessObject(element);
  return injector.get("elementRegistry")
    .filter((e) => is(e, "bpmn:Lane") && (getBusinessObject(e).get("flowNodeRef") || []).includes(bo))
    .map((e) => getBusinessObject(e).name || e.id);
}

// Properties panel entries (preact function components)

function PropertyEntry(props) {
  const { element, id, name, label, validate, after } = props;
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const bo = element.businessObject.processRef || getBusinessObject(element);
  return h(TextFieldEntry, {
    element, id, label, debounce, validate,
    getValue: () => getProperty(bo, name),
    setValue: (value) => {
      const text = (value || "").trim();
      setProperty(injector, element, bo, name, text);
      if (after) after(injector, element, text);
    },
  });
}

function LaneEntry(props) {
  const { element, id } = props;
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const names = laneNames(injector, element);
  return h(TextFieldEntry, {
    element, id, debounce, label: labels.lane, disabled: true,
    getValue: () => (names.length ? names.join(", ") : labels.noLane),
    setValue: () => {},
  });
}

function NewFieldEntry(props) {
  const { element, id } = props;
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  return h(TextFieldEntry, {
    element, id, debounce, label: labels.newField,
    getValue: () => "",
    setValue: (value) => {
      const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([^|]+\|[^|]+\|.+)$/.exec(value || "");
      if (!match) return;
      setProperty(injector, element, getBusinessObject(element), `form.${match[1]}`, match[2].trim());
    },
  });
}

function entry(id, component, extra = {}) {
  return { id, component: (props) => h(component, { ...props, id, ...extra }), isEdited: isTextFieldEntryEdited };
}

function userTaskEntries(element) {
  const bo = getBusinessObject(element);
  const entries = [
    entry("sopflow-lane", LaneEntry),
    entry("sopflow-standar_waktu", PropertyEntry, {
      name: "standar_waktu", label: labels.timeStandard,
      validate: (value) => (value && !ISO_DURATION.test(value.trim()) ? labels.timeStandardInvalid : null),
      after: syncBoundaryTimers,
    }),
    entry("sopflow-kelengkapan", PropertyEntry, { name: "kelengkapan", label: labels.requiredInput }),
    entry("sopflow-output", PropertyEntry, { name: "output", label: labels.output }),
    entry("sopflow-langkah", PropertyEntry, { name: "langkah", label: labels.step }),
  ];
  const container = propertiesOf(bo);
  for (const property of (container && container.get("properties")) || []) {
    if (property.name && property.name.startsWith("form.")) {
      entries.push(entry(`sopflow-${property.name.replace(/\./g, "-")}`, PropertyEntry,
        { name: property.name, label: property.name }));
    }
  }
  entries.push(entry("sopflow-new-field", NewFieldEntry));
  return entries;
}

function processEntries() {
  return identityFields.map(([name, label]) => entry(`sopflow-${name.replace(/\./g, "-")}`, PropertyEntry, { name, label }));
}

class SopflowPropertiesProvider {
  constructor(propertiesPanel, injector) {
    this._injector = injector;
    propertiesPanel.registerProvider(500, this);
  }

  getGroups(element) {
    return (groups) => {
      if (is(element, "bpmn:UserTask")) {
        groups.unshift({ id: "sopflow", label: labels.group, entries: userTaskEntries(element), shouldOpen: true });
      } else if (is(element, "bpmn:Process") || (is(element, "bpmn:Participant") && element.businessObject.processRef)) {
        groups.unshift({ id: "sopflow-identity", label: labels.identity, entries: processEntries(), shouldOpen: true });
      }
      return groups;
    };
  }
}
SopflowPropertiesProvider.$inject = ["propertiesPanel", "injector"];

const SopflowModule = {
  __init__: ["sopflowPropertiesProvider"],
  sopflowPropertiesProvider: ["type", SopflowPropertiesProvider],
};

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

async function post(url, fields, csrf) {
  const body = new URLSearchParams(fields);
  const response = await fetch(url, {
    method: "POST", body, credentials: "same-origin",
    headers: { "X-CSRFToken": csrf, Accept: "application/json" },
  });
  let data = {};
  try { data = await response.json(); } catch (error) { data = { error: `${response.status} ${response.statusText}` }; }
  return { ok: response.ok, data };
}

async function init(data) {
  labels = data.labels;
  identityFields = data.identity;
  const modeler = new Modeler({
    container: "#canvas",
    propertiesPanel: { parent: "#properties" },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, SopflowModule],
    moddleExtensions: { spiffworkflow: spiffworkflowDescriptor },
  });
  try {
    await modeler.importXML(data.xml);
    modeler.get("canvas").zoom("fit-viewport");
  } catch (error) {
    status(`${labels.failed} ${error.message}`, "error");
  }
  showProblems(modeler, data.problems);
  const xml = async () => (await modeler.saveXML({ format: true })).xml;

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

// The "sopflow" group of the properties panel: what the engine reads from a step, edited the way a process
// owner thinks of it: a time standard in words ("1 jam 30 menit") and the form fields as a small table. The
// diagram keeps its property format (standar_waktu as ISO, form.<name> = TYPE|REQUIREMENT|LABEL).
import { useService } from "bpmn-js-properties-panel";
import { TextFieldEntry, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useState } from "@bpmn-io/properties-panel/preact/hooks";
import { is, getBusinessObject } from "bpmn-js/lib/util/ModelUtil";
import { getProperty, propertiesOf, replaceProperties, setProperty } from "./modeler_properties";
import { isoWords } from "./modeler_time";

export const config = { labels: {}, identity: [], registry: [], csrf: "", durationUrl: "" };
// Properties with an entry of their own above; every other property of the registry (engine/diagram_properties.py)
// gets a plain entry by its kind, so the panel offers exactly what sopflow reads.
const OWN_ENTRIES = new Set(["langkah", "kelengkapan", "output", "standar_waktu", "hitungan_waktu"]);
const pendingEdits = new Set();

/** Resolves when every edit sent to the server (a time standard being parsed) has reached the diagram. */
export function settled() {
  return Promise.all([...pendingEdits]);
}

export async function post(url, fields, csrf) {
  const response = await fetch(url, {
    method: "POST", body: new URLSearchParams(fields), credentials: "same-origin",
    headers: { "X-CSRFToken": csrf, Accept: "application/json" },
  });
  let data = {};
  try { data = await response.json(); } catch (error) { data = { error: `${response.status} ${response.statusText}` }; }
  return { ok: response.ok, data };
}

export function snakeCase(text) {
  return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").replace(/^(\d)/, "_$1");
}

function laneNames(injector, element) {
  const bo = getBusinessObject(element);
  return injector.get("elementRegistry")
    .filter((e) => is(e, "bpmn:Lane") && (getBusinessObject(e).get("flowNodeRef") || []).includes(bo))
    .map((e) => getBusinessObject(e).name || e.id);
}

function PropertyEntry({ element, id, name, label }) {
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const bo = element.businessObject.processRef || getBusinessObject(element);
  return h(TextFieldEntry, {
    element, id, label, debounce,
    getValue: () => getProperty(bo, name),
    setValue: (value) => setProperty(injector, element, bo, name, (value || "").trim()),
  });
}

function ChoiceEntry({ element, id, name, label, choices }) {
  const injector = useService("injector");
  const bo = element.businessObject.processRef || getBusinessObject(element);
  const value = getProperty(bo, name);
  const options = [["", "—"], ...choices, ...(value && !choices.some(([code]) => code === value) ? [[value, value]] : [])];
  return h("div", { class: "bio-properties-panel-entry", "data-entry-id": id }, [
    h("label", { for: id, class: "bio-properties-panel-label" }, label),
    h("select", { id, name: id, class: "bio-properties-panel-input",
      onChange: (e) => setProperty(injector, element, bo, name, e.target.value) },
    options.map(([code, text]) => h("option", { value: code, selected: code === value }, text))),
  ]);
}

/** The registry's entries for an element of this BPMN kind ("userTask", "sequenceFlow", "process"). */
function registryEntries(kind) {
  return config.registry.filter((spec) => spec.elements.includes(kind) && !spec.prefix
    && (kind !== "userTask" || !OWN_ENTRIES.has(spec.name)))
    .map((spec) => entry(`sopflow-${spec.name.replace(/\./g, "-")}`, spec.kind === "choice" ? ChoiceEntry : PropertyEntry,
      { name: spec.name, label: spec.label, choices: spec.choices }));
}

function LaneEntry({ element, id }) {
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const names = laneNames(injector, element);
  return h(TextFieldEntry, {
    element, id, debounce, label: config.labels.lane, disabled: true,
    getValue: () => (names.length ? names.join(", ") : config.labels.noLane), setValue: () => {},
  });
}

function TimeStandardEntry({ element, id }) {
  const commandStack = useService("commandStack");
  const [typed, setTyped] = useState(null);
  const [error, setError] = useState(null);
  const bo = getBusinessObject(element);
  const stored = isoWords(getProperty(bo, "standar_waktu"), getProperty(bo, "hitungan_waktu") === "hari_kerja");
  const commit = (text) => {
    if (!text.trim() || text.trim() === stored) { setError(null); setTyped(null); return; }
    const edit = post(config.durationUrl, { text }, config.csrf).then(({ ok, data }) => {
      if (!ok) { setError(data.error); return; }
      setError(null);
      setTyped(null);
      commandStack.execute("sopflow.setTimeStandard", { element, iso: data.iso, workingDays: data.working_days });
    }).finally(() => pendingEdits.delete(edit));
    pendingEdits.add(edit);
  };
  return h("div", { class: `bio-properties-panel-entry${error ? " has-error" : ""}`, "data-entry-id": id }, [
    h("label", { for: id, class: "bio-properties-panel-label" }, config.labels.timeStandard),
    h("input", {
      id, name: id, class: "bio-properties-panel-input", value: typed === null ? stored : typed,
      placeholder: "1 jam 30 menit", onInput: (event) => setTyped(event.target.value),
      onChange: (event) => commit(event.target.value),
    }),
    error ? h("div", { class: "bio-properties-panel-error", role: "alert" }, error)
      : h("div", { class: "bio-properties-panel-description" }, config.labels.timeStandardHelp),
  ]);
}

// form.<name> = TYPE|REQUIREMENT|LABEL, TYPE = text | ... | choice:code=Label,code=Label

function parseField(name, spec) {
  const [kindPart = "text", requirement = "required", label = ""] = spec.split("|").map((part) => part.trim());
  const isChoice = kindPart.startsWith("choice:");
  const choices = isChoice ? kindPart.slice(7).split(",").filter((o) => o.trim()).map((option) => {
    const [code, text] = option.split("=");
    return text === undefined || snakeCase(text) === code.trim() ? (text || code).trim() : `${code.trim()}=${text.trim()}`;
  }).join("; ") : "";
  const conditional = /^required if\s+([^=]+)=(.*)$/.exec(requirement);
  return {
    name, label, kind: isChoice ? "choice" : kindPart, choices,
    requirement: conditional ? "if" : requirement, ifField: conditional ? conditional[1].trim() : "",
    ifValue: conditional ? conditional[2].trim() : "",
  };
}

function specOf(field) {
  let kind = field.kind;
  if (kind === "choice") {
    const options = field.choices.split(";").map((o) => o.trim()).filter(Boolean).map((option) => {
      const [code, text] = option.includes("=") ? option.split("=") : [snakeCase(option), option];
      return `${code.trim()}=${text.trim()}`;
    });
    kind = `choice:${options.join(",") || "ya=Ya"}`;
  }
  const requirement = field.requirement === "if" ? `required if ${field.ifField}=${field.ifValue}` : field.requirement;
  return `${kind}|${requirement}|${field.label}`;
}

function fieldsOf(bo) {
  const container = propertiesOf(bo);
  return ((container && container.get("properties")) || [])
    .filter((p) => (p.name || "").startsWith("form."))
    .map((p) => parseField(p.name.slice(5), p.value || ""));
}

function select(name, value, options, onChange) {
  return h("select", { name, class: "bio-properties-panel-input", value, onChange: (e) => onChange(e.target.value) },
    options.map(([code, text]) => h("option", { value: code, selected: code === value }, text)));
}

function FormFieldsEntry({ element, id }) {
  const injector = useService("injector");
  const bo = getBusinessObject(element);
  const { labels } = config;
  const fields = fieldsOf(bo);
  const write = (list) => replaceProperties(injector, element, bo, "form.",
    list.filter((f) => f.label.trim()).map((f) => [`form.${f.name || snakeCase(f.label)}`, specOf(f)]));
  const change = (index, key, value) => {
    const list = fields.map((f) => ({ ...f }));
    const autoName = !list[index].name || list[index].name === snakeCase(list[index].label);
    list[index][key] = value.trim();
    if (key === "label" && autoName) list[index].name = snakeCase(value);
    if (key === "name" && !list[index].name) list[index].name = snakeCase(list[index].label);
    write(list);
  };
  const move = (index, by) => {
    const list = [...fields];
    const [row] = list.splice(index, 1);
    list.splice(Math.max(0, Math.min(list.length, index + by)), 0, row);
    write(list);
  };
  const others = (index) => fields.filter((_, i) => i !== index).map((f) => [f.name, f.label]);
  const row = (field, index) => h("div", { class: "sopflow-field", "data-field": field.name }, [
    h("label", null, [labels.fieldLabel, h("input", { name: "field-label", class: "bio-properties-panel-input",
      value: field.label, onChange: (e) => change(index, "label", e.target.value) })]),
    h("label", null, [labels.fieldName, h("input", { name: "field-name", class: "bio-properties-panel-input",
      value: field.name, placeholder: snakeCase(field.label),
      onChange: (e) => change(index, "name", snakeCase(e.target.value)) })]),
    h("label", null, [labels.fieldType, select("field-type", field.kind, labels.kinds, (v) => change(index, "kind", v))]),
    h("label", null, [labels.fieldRequired, select("field-required", field.requirement, [
      ["required", labels.required], ["optional", labels.optional], ["if", labels.requiredIf]],
    (v) => change(index, "requirement", v))]),
    field.requirement === "if" ? h("div", { class: "sopflow-field-if" }, [
      select("field-if-field", field.ifField, [["", "—"], ...others(index)], (v) => change(index, "ifField", v)),
      h("span", null, "="),
      h("input", { name: "field-if-value", class: "bio-properties-panel-input", value: field.ifValue,
        onChange: (e) => change(index, "ifValue", e.target.value) })]) : null,
    field.kind === "choice" ? h("label", { class: "sopflow-field-wide" }, [labels.fieldChoices,
      h("input", { name: "field-choices", class: "bio-properties-panel-input", value: field.choices,
        placeholder: "Sesuai; Belum sesuai", onChange: (e) => change(index, "choices", e.target.value) })]) : null,
    h("div", { class: "sopflow-field-actions" }, [
      h("button", { type: "button", class: "field-up", title: labels.moveUp, disabled: index === 0,
        onClick: () => move(index, -1) }, "↑"),
      h("button", { type: "button", class: "field-down", title: labels.moveDown, disabled: index === fields.length - 1,
        onClick: () => move(index, 1) }, "↓"),
      h("button", { type: "button", class: "field-remove", onClick: () => write(fields.filter((_, i) => i !== index)) },
        labels.remove)]),
  ]);
  const add = () => {
    const taken = new Set(fields.map((f) => f.name));
    let number = fields.length + 1;
    while (taken.has(snakeCase(`${labels.newField} ${number}`))) number += 1;
    const label = `${labels.newField} ${number}`;
    write([...fields, { name: snakeCase(label), label, kind: "text", requirement: "required", choices: "",
      ifField: "", ifValue: "" }]);
  };
  return h("div", { class: "bio-properties-panel-entry sopflow-fields", "data-entry-id": id }, [
    ...fields.map(row),
    h("button", { type: "button", class: "btn add-field", onClick: add }, labels.addField),
  ]);
}

function entry(id, component, extra = {}) {
  return { id, component, isEdited: isTextFieldEntryEdited, ...extra };
}

class SopflowPropertiesProvider {
  constructor(propertiesPanel) {
    propertiesPanel.registerProvider(500, this);
  }

  getGroups(element) {
    const { labels } = config;
    return (groups) => {
      if (is(element, "bpmn:UserTask")) {
        groups.unshift({ id: "sopflow-fields", label: labels.formFields, entries: [entry("sopflow-form", FormFieldsEntry)],
          shouldOpen: true });
        groups.unshift({ id: "sopflow", label: labels.group, shouldOpen: true, entries: [
          entry("sopflow-lane", LaneEntry),
          entry("sopflow-standar_waktu", TimeStandardEntry),
          entry("sopflow-kelengkapan", PropertyEntry, { name: "kelengkapan", label: labels.requiredInput }),
          entry("sopflow-output", PropertyEntry, { name: "output", label: labels.output }),
          entry("sopflow-langkah", PropertyEntry, { name: "langkah", label: labels.step }),
          ...registryEntries("userTask"),
        ] });
      } else if (is(element, "bpmn:SequenceFlow") && registryEntries("sequenceFlow").length) {
        groups.unshift({ id: "sopflow", label: labels.flow, shouldOpen: true, entries: registryEntries("sequenceFlow") });
      } else if (is(element, "bpmn:Process") || (is(element, "bpmn:Participant") && element.businessObject.processRef)) {
        groups.unshift({ id: "sopflow-identity", label: labels.identity, shouldOpen: true, entries: [
          ...config.identity.map(([name, label]) => entry(`sopflow-${name.replace(/\./g, "-")}`, PropertyEntry, { name, label })),
          ...registryEntries("process")] });
      }
      return groups;
    };
  }
}
SopflowPropertiesProvider.$inject = ["propertiesPanel"];

// The panel's groups word their tooltips ("Toggle section", "Section contains edits") with the translate they
// are given, and bpmn-js-properties-panel gives none: this last provider hands every group the modeler's.
class GroupTranslation {
  constructor(propertiesPanel, translate) {
    this.translate = translate;
    propertiesPanel.registerProvider(1, this);
  }

  getGroups() {
    return (groups) => groups.map((group) => ({ translate: this.translate, ...group }));
  }
}
GroupTranslation.$inject = ["propertiesPanel", "translate"];

export const SopflowPanelModule = {
  __init__: ["sopflowPropertiesProvider", "sopflowGroupTranslation"],
  sopflowPropertiesProvider: ["type", SopflowPropertiesProvider],
  sopflowGroupTranslation: ["type", GroupTranslation],
};

// spiffworkflow:properties of an element read and written through bpmn-js modeling (each write undoable).
import { is } from "bpmn-js/lib/util/ModelUtil";

export function propertiesOf(bo) {
  const values = (bo.extensionElements && bo.extensionElements.get("values")) || [];
  return values.find((v) => is(v, "spiffworkflow:Properties"));
}

export function propertyOf(bo, name) {
  const container = propertiesOf(bo);
  return container ? (container.get("properties") || []).find((p) => p.name === name) : undefined;
}

export function getProperty(bo, name) {
  const property = propertyOf(bo, name);
  return property ? property.value : "";
}

function ensureContainer(injector, element, bo) {
  const modeling = injector.get("modeling");
  const moddle = injector.get("moddle");
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
  return container;
}

export function setProperty(injector, element, bo, name, value) {
  const modeling = injector.get("modeling");
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
  const container = ensureContainer(injector, element, bo);
  const property = injector.get("moddle").create("spiffworkflow:Property", { name, value });
  property.$parent = container;
  modeling.updateModdleProperties(element, container, { properties: [...container.get("properties"), property] });
}

/** Replace the properties whose name starts with `prefix` by `replacement` ([name, value] pairs, in order). */
export function replaceProperties(injector, element, bo, prefix, replacement) {
  const moddle = injector.get("moddle");
  const container = ensureContainer(injector, element, bo);
  const kept = container.get("properties").filter((p) => !(p.name || "").startsWith(prefix));
  const created = replacement.map(([name, value]) => {
    const property = moddle.create("spiffworkflow:Property", { name, value });
    property.$parent = container;
    return property;
  });
  injector.get("modeling").updateModdleProperties(element, container, { properties: [...kept, ...created] });
}

// A user task's time standard and its boundary timer change together, in one undoable command: the property
// standar_waktu (ISO), the non-interrupting timer "Melewati standar waktu" with the same duration, and when the
// timer is missing its breach path (service task with the breach_handler operator, end event).
import { is, getBusinessObject } from "bpmn-js/lib/util/ModelUtil";
import { setProperty } from "./modeler_properties";

const TIMER_NAME = "Melewati standar waktu";
const BREACH_TASK = "Catat pelanggaran standar waktu";
const BREACH_END = "Pelanggaran tercatat";
const BREACH_OPERATOR = "breach_handler";

/** "PT90M" -> "1 jam 30 menit", "P10D" counted on working days -> "10 hari kerja": the words engine/durations.py
 * writes. */
export function isoWords(iso, workingDays = false) {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(iso || "");
  if (!match) return iso || "";
  let minutes = Number(match[1] || 0) * 1440 + Number(match[2] || 0) * 60 + Number(match[3] || 0);
  const days = Math.floor(minutes / 1440);
  minutes -= days * 1440;
  const hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  const parts = [[days, workingDays ? "hari kerja" : "hari"], [hours, "jam"], [minutes, "menit"]].filter(([n]) => n).map(([n, u]) => `${n} ${u}`);
  return parts.join(" ") || "0 menit";
}

function timerDefinition(element) {
  return (getBusinessObject(element).eventDefinitions || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
}

function standardTimers(task) {
  return (task.attachers || []).filter((attacher) => {
    const definition = timerDefinition(attacher);
    return definition && !definition.timeCycle && !definition.timeDate;
  });
}

class SetTimeStandardHandler {
  constructor(injector) {
    this._injector = injector;
  }

  preExecute({ element, iso, workingDays }) {
    const injector = this._injector;
    const modeling = injector.get("modeling");
    setProperty(injector, element, getBusinessObject(element), "standar_waktu", iso);
    setProperty(injector, element, getBusinessObject(element), "hitungan_waktu", workingDays ? "hari_kerja" : "");
    const name = TIMER_NAME;  // the duration lives in standar_waktu and the timer, never in a name
    const timers = standardTimers(element);
    for (const timer of timers) {
      const definition = timerDefinition(timer);
      const body = `"${iso}"`;
      if (definition.timeDuration) {
        modeling.updateModdleProperties(timer, definition.timeDuration, { body });
      } else {
        const expression = injector.get("bpmnFactory").create("bpmn:FormalExpression", { body });
        expression.$parent = definition;
        modeling.updateModdleProperties(timer, definition, { timeDuration: expression });
      }
      if ((getBusinessObject(timer).name || "").startsWith(TIMER_NAME)) modeling.updateProperties(timer, { name });
    }
    if (!timers.length) this._createBreachPath(element, iso, name);
  }

  _createBreachPath(task, iso, name) {
    const injector = this._injector;
    const modeling = injector.get("modeling");
    const factory = injector.get("bpmnFactory");
    const elementFactory = injector.get("elementFactory");
    const expression = factory.create("bpmn:FormalExpression", { body: `"${iso}"` });
    const definition = factory.create("bpmn:TimerEventDefinition", { timeDuration: expression });
    expression.$parent = definition;
    const timerBo = factory.create("bpmn:BoundaryEvent", { name, cancelActivity: false, eventDefinitions: [definition] });
    definition.$parent = timerBo;
    const timer = modeling.createShape(elementFactory.createShape({ type: "bpmn:BoundaryEvent", businessObject: timerBo }),
      { x: task.x + task.width - 18, y: task.y + task.height }, task, { attach: true });
    const parameters = factory.create("spiffworkflow:Parameters", { parameters: [] });  // the schema wants it
    const operator = factory.create("spiffworkflow:ServiceTaskOperator", { id: BREACH_OPERATOR,
      resultVariable: "pelanggaran_standar_waktu", parameterList: parameters });
    parameters.$parent = operator;
    const extensions = factory.create("bpmn:ExtensionElements", { values: [operator] });
    operator.$parent = extensions;
    const breachBo = factory.create("bpmn:ServiceTask", { name: BREACH_TASK, extensionElements: extensions });
    extensions.$parent = breachBo;
    const breach = modeling.appendShape(timer, elementFactory.createShape({ type: "bpmn:ServiceTask", businessObject: breachBo }),
      { x: timer.x + 110, y: timer.y + 100 });
    modeling.appendShape(breach, elementFactory.createShape({ type: "bpmn:EndEvent" }),
      { x: breach.x + breach.width + 80, y: breach.y + breach.height / 2 });
    const end = breach.outgoing[0].target;
    modeling.updateProperties(end, { name: BREACH_END });
  }
}
SetTimeStandardHandler.$inject = ["injector"];

class TimeStandardCommands {
  constructor(commandStack) {
    commandStack.registerHandler("sopflow.setTimeStandard", SetTimeStandardHandler);
  }
}
TimeStandardCommands.$inject = ["commandStack"];

export const TimeStandardModule = {
  __init__: ["sopflowTimeStandardCommands"],
  sopflowTimeStandardCommands: ["type", TimeStandardCommands],
};

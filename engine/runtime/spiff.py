"""SpiffWorkflow configured for sopflow: clocked timers, a restricted expression evaluator, the serializer.

The library's timers read `datetime.now()` and its script engine runs `eval`/`exec`; both are replaced here
by subclasses registered with the parser and the serializer, never by patching the library.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer.default import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.util import PendingBpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser,
    SpiffIntermediateCatchEventParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task as SpiffTask

from engine.clock import Clock
from engine.diagrams.diagram_properties import COUNTING, WORKING_DAYS
from engine.diagrams.expressions import evaluate
from engine.runtime.calendar import WorkingCalendar

ServiceCaller = Callable[[SpiffTask, str, dict[str, Any]], Any]


def iso_duration(expression: str, start: datetime) -> timedelta:
    """An ISO 8601 duration (PT15M, P1D) as a timedelta from `start`; ValueError if it is not one."""
    try:
        parsed = TimerEventDefinition.parse_iso_duration(expression)
        return TimerEventDefinition.get_timedelta_from_start(parsed, start)
    except Exception as error:
        raise ValueError(f"{expression!r} is not an ISO 8601 duration") from error


class RestrictedScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """Evaluates expressions with engine.diagrams.expressions, refuses scripts, calls no service: what every loaded
    workflow carries, so that nothing ever reaches the library's default `eval`."""

    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())

    def call_service(self, task: SpiffTask, operation_name: str, operation_params: dict[str, Any]) -> str:
        raise RuntimeError(f"no service handlers available for {operation_name}")


class SopflowScriptEngine(RestrictedScriptEngine):
    """The restricted engine with the engine's clock and calendar (timers) and its service handlers."""

    def __init__(self, clock: Clock, calendar: WorkingCalendar, services: ServiceCaller | None = None) -> None:
        super().__init__()
        self.clock = clock
        self.calendar = calendar
        self.services = services

    def call_service(self, task: SpiffTask, operation_name: str, operation_params: dict[str, Any]) -> str:
        if self.services is None:
            return super().call_service(task, operation_name, operation_params)
        params = {name: spec["value"] for name, spec in operation_params.items()}
        return json.dumps(self.services(task, operation_name, params), default=str)


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Expressions only: names from task data, no attribute access to dunders, no imports, no scripts."""

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        names = dict(context)
        names.update(external_context or {})
        return evaluate(expression, names)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        raise PermissionError("scripts are not executed by sopflow")


def _engine_of(task: SpiffTask) -> SopflowScriptEngine:
    engine = task.workflow.script_engine
    if not isinstance(engine, SopflowScriptEngine):
        raise RuntimeError("sopflow timers need the sopflow script engine")
    return engine


def _counts_working_days(timer: SpiffTask) -> bool:
    """Whether the user task this boundary timer is attached to counts its time standard in working days."""
    siblings = timer.parent.children if timer.parent is not None else []
    return any(sibling.task_spec.manual
               and sibling.task_spec.extensions.get("properties", {}).get(COUNTING) == WORKING_DAYS
               for sibling in siblings)


class ClockedDurationTimer(DurationTimerEventDefinition):  # type: ignore[misc]
    """A duration timer whose due time comes from the engine's clock and working calendar."""

    def has_fired(self, my_task: SpiffTask) -> bool:
        engine = _engine_of(my_task)
        due = my_task._get_internal_data("event_value")
        if due is None:
            now = engine.clock.now()
            duration = iso_duration(engine.evaluate(my_task, self.expression), now)
            due = engine.calendar.deadline(now, duration, _counts_working_days(my_task)).isoformat()
            my_task._set_internal_data(event_value=due)
        if datetime.fromisoformat(due) <= engine.clock.now():
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


class ClockedTimeDateTimer(TimeDateEventDefinition):  # type: ignore[misc]
    """A fixed date timer compared with the engine's clock."""

    def has_fired(self, my_task: SpiffTask) -> bool:
        engine = _engine_of(my_task)
        due = my_task._get_internal_data("event_value")
        if due is None:
            due = TimerEventDefinition.get_datetime(engine.evaluate(my_task, self.expression)).isoformat()
            my_task._set_internal_data(event_value=due)
        if datetime.fromisoformat(due) <= engine.clock.now():
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


class ScheduledStartTimer(TimerEventDefinition):  # type: ignore[misc]
    """A timer start event. Its schedule is kept by the engine (a start timer row), which creates the
    instance only when the time has come, so inside the instance the event has already fired."""

    def has_fired(self, my_task: SpiffTask) -> bool:
        return True

    def details(self, my_task: SpiffTask) -> PendingBpmnEvent:
        return PendingBpmnEvent(self.name, self.__class__.__name__, None)


CLOCKED_TIMERS: tuple[type[TimerEventDefinition], ...] = (ClockedDurationTimer, ClockedTimeDateTimer)


class _ClockedTimerParsing:
    """Mixed into the event parsers so that every timer the parser creates is a sopflow timer."""

    def parse_timer_event(self, event: Any) -> TimerEventDefinition:
        parsed = super().parse_timer_event(event)  # type: ignore[misc]
        replacement: type[TimerEventDefinition] | None = {
            DurationTimerEventDefinition: ClockedDurationTimer,
            TimeDateEventDefinition: ClockedTimeDateTimer,
            CycleTimerEventDefinition: ScheduledStartTimer if isinstance(self, StartEventParser) else None,
        }.get(type(parsed))
        if replacement is None:
            return parsed
        return replacement(parsed.name, parsed.expression, description=parsed.description)


class StartEventParser(_ClockedTimerParsing, SpiffStartEventParser):  # type: ignore[misc]
    pass


class BoundaryEventParser(_ClockedTimerParsing, SpiffBoundaryEventParser):  # type: ignore[misc]
    pass


class IntermediateCatchEventParser(_ClockedTimerParsing, SpiffIntermediateCatchEventParser):  # type: ignore[misc]
    pass


def _override(tag: str, parser_class: type) -> tuple[str, tuple[type, type]]:
    return full_tag(tag), (parser_class, SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag(tag)][1])


class SopflowParser(SpiffBpmnParser):  # type: ignore[misc]
    OVERRIDE_PARSER_CLASSES = dict(
        SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        **dict(
            [
                _override("startEvent", StartEventParser),
                _override("boundaryEvent", BoundaryEventParser),
                _override("intermediateCatchEvent", IntermediateCatchEventParser),
            ]
        ),
    )


class _StateConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Serializes a workflow without its specs: they are stored once, with the deployed definition, and the
    live spec objects are handed back on loading (the registry restores objects it does not know as they are)."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


def _serializer_config() -> dict[type, type]:
    config = dict(SPIFF_CONFIG)
    for timer_class in (ClockedDurationTimer, ClockedTimeDateTimer, ScheduledStartTimer):
        config[timer_class] = TimerConditionalEventDefinitionConverter
    config[BpmnWorkflow] = _StateConverter
    return config


SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_serializer_config()))


_ENCODER = SERIALIZER._encoder_cls()  # what the serializer's own JSON encoder does with a value JSON lacks
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """The workflow's state as JSON, without its specs: SpiffWorkflow's own `serialize_json`, with its dictionary
    encoded by orjson (the same JSON, several times faster; the serializer's encoder still converts datetimes and
    the rest), and by the standard library when orjson refuses a value (an integer beyond 64 bits)."""
    SERIALIZER.registry._encoder_mode = True
    try:
        dct = SERIALIZER.to_dict(workflow)
        dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
        try:
            return orjson.dumps(dct, default=_ENCODER.default, option=_ORJSON_OPTIONS).decode("utf-8")
        except orjson.JSONEncodeError:
            return json.dumps(dct, cls=SERIALIZER._encoder_cls)
    finally:
        SERIALIZER.registry._encoder_mode = False


def load_workflow(state: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> BpmnWorkflow:
    dct = json.loads(state)
    SERIALIZER.migrate(dct)
    dct["spec"], dct["subprocess_specs"] = spec, dict(subprocess_specs)
    workflow: BpmnWorkflow = SERIALIZER.from_dict(dct)
    workflow.script_engine = RestrictedScriptEngine()
    return workflow

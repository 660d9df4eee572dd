"""What every engine service needs: settings, database, clock, handlers, and the caches of parsed work."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from engine.clock import Clock, SystemClock
from engine.config import Settings
from engine.database import Database
from engine.people.policy import Policy

if TYPE_CHECKING:
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    from engine.diagrams.diagram import ProcessModel

# A service-task handler takes an engine.runtime.services.ServiceCall (typed there as `Handler`); the context
# only holds them, so it needs nothing of the services module.
AnyHandler = Callable[[Any], dict[str, Any]]
UrlChecker = Callable[[str], dict[str, Any]]


class Waker(Protocol):
    def wake(self) -> None: ...


TimerListener = Callable[[int, datetime], None]


@dataclass
class LiveWorkflow:
    """A workflow kept in memory between changes, with the due times of its waiting timers and the steps
    (user task specs) completed so far."""

    workflow: BpmnWorkflow
    timer_dues: dict[str, datetime]
    completed_steps: set[str] = field(default_factory=set)


class WorkflowCache:
    """Live workflows keyed by (instance id, revision). `take` removes the entry, so two requests on one
    instance never share a workflow object; the loser of a race deserializes and then fails its version check."""

    def __init__(self, capacity: int = 512) -> None:
        self._entries: dict[tuple[int, int], LiveWorkflow] = {}
        self._capacity = capacity
        self._lock = threading.Lock()

    def take(self, instance_id: int, revision: int) -> LiveWorkflow | None:
        with self._lock:
            return self._entries.pop((instance_id, revision), None)

    def put(self, instance_id: int, revision: int, live: LiveWorkflow) -> None:
        with self._lock:
            if len(self._entries) >= self._capacity:
                self._entries.pop(next(iter(self._entries)))
            self._entries[(instance_id, revision)] = live


@dataclass
class EngineContext:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    handlers: dict[str, AnyHandler] = field(default_factory=dict)
    workflows: WorkflowCache = field(default_factory=WorkflowCache)
    models: dict[int, ProcessModel] = field(default_factory=dict)
    timer_listeners: list[TimerListener] = field(default_factory=list)
    url_checker: UrlChecker | None = None  # engine.runtime.outbound.Outbound(settings.website).check unless injected
    plan_worker: Waker | None = None  # engine.runtime.plans.PlanWorker: starts a plan's queued items in the background
    policy: Policy = field(init=False)

    def __post_init__(self) -> None:
        self.policy = Policy.from_settings(self.settings)

    def announce_timer(self, timer_id: int, due: datetime) -> None:
        """Tell in-process schedulers about a due time just committed."""
        for listener in self.timer_listeners:
            listener(timer_id, due)

    @classmethod
    def create(
        cls,
        settings: Settings,
        clock: Clock | None = None,
        handlers: dict[str, AnyHandler] | None = None,
        url_checker: UrlChecker | None = None,
    ) -> EngineContext:
        from engine.runtime.outbound import Outbound

        return cls(settings=settings, db=Database(settings.database_url), clock=clock or SystemClock(),
                   handlers=dict(handlers or {}), url_checker=url_checker or Outbound(settings.website).check)

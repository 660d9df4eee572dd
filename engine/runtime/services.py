"""What a service-task handler receives. Handlers live in handlers/ and are registered by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.task import Task as SpiffTask
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.runtime.stepping import is_clocked_timer, timer_owner
from engine.store import Instance


@dataclass
class ServiceCall:
    """One service-task call, inside the transaction of the state change that reached it."""

    ctx: EngineContext
    session: Session
    instance: Instance
    task: SpiffTask
    operation: str
    params: dict[str, Any]
    actor: str
    now: datetime
    after_commit: list[Callable[[], None]]

    def timed_task(self) -> SpiffTask | None:
        """For a service task on a boundary timer's path, the user task that timer is attached to: found from
        the structure of the diagram, so the diagram never names the task twice."""
        node: SpiffTask | None = self.task.parent
        while node is not None and not is_clocked_timer(node):
            node = node.parent
        return timer_owner(node) if node is not None else None


Handler = Callable[[ServiceCall], dict[str, Any]]  # a service task's handler, by its operation name

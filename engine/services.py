"""What a service-task handler receives. Handlers live in handlers/ and are registered by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.task import Task as SpiffTask
from sqlalchemy.orm import Session

from engine.context import EngineContext
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

    def nearby_task_id(self, spec_id: str) -> str | None:
        """The id of the closest task of `spec_id` around this one: for a boundary path, the task the
        boundary event is attached to (a sibling of the boundary event under the same split)."""
        node: SpiffTask | None = self.task
        while node is not None:
            for child in node.children:
                if child.task_spec.bpmn_id == spec_id:
                    return str(child.id)
            node = node.parent
        return None

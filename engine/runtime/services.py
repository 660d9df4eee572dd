"""What a service-task handler receives, and all it needs of the engine: handlers (handlers/) import this module
and the rows of engine.store, nothing else of the engine. They are registered by operation name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.task import Task as SpiffTask
from sqlalchemy import Row
from sqlalchemy.orm import Session

from engine.audit.events import append_event
from engine.context import EngineContext
from engine.database import write_checked
from engine.diagrams.diagram_properties import COUNTING, WORKING_DAYS
from engine.diagrams.durations import words
from engine.people.users import SYSTEM_ACTOR, users_with_role
from engine.runtime.notices import write_notices
from engine.runtime.outbox import attempt_after_commit, enqueue
from engine.runtime.stepping import is_clocked_timer, timer_owner
from engine.store import Instance, OutboxMail, WorkItem

_ROLE_HOLDERS = "sopflow_role_holders"  # session.info: a role's holders, read once per transaction


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
    open_items: Callable[[], list[WorkItem]]  # the instance's open work items, as this change has left them

    def timed_task(self) -> SpiffTask | None:
        """For a service task on a boundary timer's path, the user task that timer is attached to: found from
        the structure of the diagram, so the diagram never names the task twice."""
        node: SpiffTask | None = self.task.parent
        while node is not None and not is_clocked_timer(node):
            node = node.parent
        return timer_owner(node) if node is not None else None

    def timed_item(self) -> WorkItem | None:
        """The work item of `timed_task` (open: its timer fires only while the task waits)."""
        task = self.timed_task()
        return next((item for item in self.open_items() if item.id == str(task.id)), None) if task is not None else None

    def time_standard_words(self, item: WorkItem) -> str:
        """The timed task's time standard in words: "10 hari kerja" where its diagram counts working days."""
        task = self.timed_task()
        properties = task.task_spec.extensions.get("properties", {}) if task is not None else {}
        return words(item.time_standard, properties.get(COUNTING) == WORKING_DAYS)

    def process_name(self) -> str:
        """The name of the instance's process version, from its parsed diagram (already in memory: it runs)."""
        return self.ctx.models[self.instance.definition_id].name or self.instance.process_id

    def supervisors(self) -> list[Row[tuple[str, str]]]:
        """The active holders of the configured supervisor role: `.username`, `.email`; read once per transaction
        (a burst fires ten breaches in one)."""
        known: dict[str, list[Row[tuple[str, str]]]] = self.session.info.setdefault(_ROLE_HOLDERS, {})
        role = self.ctx.settings.supervisor_role
        if role not in known:
            known[role] = users_with_role(self.session, role)
        return known[role]

    def mark_breached(self, item: WorkItem) -> None:
        """The item outlived its time standard: written at once by one Core statement that checks and moves its
        revision, as any change of the item does."""
        write_checked(self.session, item, {"breached_at": self.now})

    def record(self, event_type: str, payload: dict[str, Any], task_id: str | None = None) -> None:
        """An event in this instance's history, in this change's transaction."""
        append_event(self.session, process_id=self.instance.process_id, type=event_type, actor=self.actor,
                     at=self.now, instance=self.instance, task_id=task_id, payload=payload,
                     instance_written_by_caller=True)  # a service call runs inside a change that saves

    def notify(self, usernames: list[str], subject: str, body: str, task_id: str | None = None) -> None:
        """In-app notifications, in this change's transaction."""
        write_notices(self.session, usernames, self.instance.id, task_id, subject, body, self.now)

    def mail_after_commit(self, recipients: list[str], subject: str, body: str) -> None:
        """Mail through the outbox, sent once this change is committed; a failed first attempt is also recorded
        in history (the outbox retries it)."""
        ctx, process_id, instance_id = self.ctx, self.instance.process_id, self.instance.id
        mail = enqueue(self.session, recipients, subject, body, self.now)

        def failed() -> None:
            with ctx.db.session() as session:
                row = session.get(OutboxMail, mail.id)
                append_event(session, process_id=process_id, type="notification_failed", actor=SYSTEM_ACTOR,
                             at=ctx.clock.now(),
                             payload={"instance_id": instance_id, "recipients": recipients, "mail": mail.id,
                                      "error": row.last_error if row is not None else None})

        self.after_commit.append(lambda: attempt_after_commit(ctx, mail.id, failed))


Handler = Callable[[ServiceCall], dict[str, Any]]  # a service task's handler, by its operation name

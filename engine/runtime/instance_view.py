"""Everything the instance page shows, for one viewer: state, steps, history, files, comments, diagram marks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import defer

from engine.audit.events import instance_history
from engine.context import EngineContext
from engine.people.users import get_user
from engine.store import OPEN_STATUSES, Attachment, Comment, Definition, Event, Instance, WorkItem

WITHOUT_STATE = defer(Instance.state, raiseload=True)  # what pages load: never a workflow state


@dataclass(frozen=True)
class InstanceView:
    instance: Instance
    definition: Definition
    parent: Instance | None
    children: list[Instance]
    tasks: list[WorkItem]
    history: list[Event]
    attachments: list[Attachment]
    comments: list[Comment]
    now: datetime

    @property
    def open_tasks(self) -> list[WorkItem]:
        return [task for task in self.tasks if task.status in OPEN_STATUSES]

    def marks(self) -> dict[str, str]:
        """Diagram element id -> done, active or overdue (an open step outranks an earlier completion)."""
        marks = {task.spec_id: "done" for task in self.tasks if task.status == "completed"}
        for task in self.open_tasks:
            overdue = task.due_at is not None and task.due_at <= self.now
            marks[task.spec_id] = "overdue" if overdue else "active"
        return marks


def view_instance(ctx: EngineContext, instance_id: int, viewer: str) -> InstanceView:
    with ctx.db.session() as session:
        user = get_user(session, viewer)
        instance = ctx.policy.viewable_instance(session, user, instance_id)
        definition = session.get(Definition, instance.definition_id)
        assert definition is not None
        parent = None
        if instance.parent_id is not None:
            parent = session.get(Instance, instance.parent_id, options=[WITHOUT_STATE])
        if parent is not None and not ctx.policy.may_view(user, parent.opd):
            parent = None  # the plan spans offices; an office sees its own item only
        children = list(session.scalars(
            select(Instance).options(WITHOUT_STATE)
            .where(Instance.parent_id == instance_id, ctx.policy.instance_filter(user))
            .order_by(Instance.id)
        ))
        tasks = list(session.scalars(
            select(WorkItem).where(WorkItem.instance_id == instance_id).order_by(WorkItem.ready_at, WorkItem.id)
        ))
        attachments = list(session.scalars(
            select(Attachment).where(Attachment.instance_id == instance_id).order_by(Attachment.uploaded_at)
        ))
        comments = list(session.scalars(
            select(Comment).where(Comment.instance_id == instance_id).order_by(Comment.id)
        ))
        return InstanceView(instance, definition, parent, children, tasks, instance_history(session, instance_id),
                            attachments, comments, ctx.clock.now())

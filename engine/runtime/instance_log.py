"""An instance read for looking back: its definition, parsed diagram, event log and the people's names."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit.events import instance_history
from engine.context import EngineContext
from engine.diagrams.diagram import ProcessModel
from engine.errors import NotFound
from engine.people.records import User
from engine.runtime.execution import process_model
from engine.store import Definition, Event, Instance


class InstanceLog(NamedTuple):
    instance: Instance
    definition: Definition
    model: ProcessModel
    events: list[Event]
    names: dict[str, str]  # username -> display name


def read_instance_log(ctx: EngineContext, session: Session, instance_id: int) -> InstanceLog:
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise NotFound("There is no item %(id)s.", id=instance_id)
    definition = session.get(Definition, instance.definition_id)
    assert definition is not None
    return InstanceLog(
        instance,
        definition,
        process_model(ctx, session, instance.definition_id),
        instance_history(session, instance_id),
        dict(session.execute(select(User.username, User.display_name)).tuples().all()),
    )

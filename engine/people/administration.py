"""Events of the installation itself (users, offices, tokens), on one stream beside the processes' own."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from engine.context import EngineContext

SYSTEM_ACTOR = "system"
ADMINISTRATION_STREAM = "sopflow"


def record_administration(session: Session, ctx: EngineContext, type: str, actor: str, **payload: object) -> None:
    from engine.audit.events import append_event  # here, not at the top: the CLI imports SYSTEM_ACTOR at start-up

    append_event(session, process_id=ADMINISTRATION_STREAM, type=type, actor=actor, at=ctx.clock.now(),
                 payload=dict(payload))

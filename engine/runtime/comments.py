"""Comments on an instance: part of its history."""

from __future__ import annotations

from engine.audit.events import append_event
from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.people.users import get_user
from engine.store import Comment

MAX_COMMENT = 4000


def add_comment(ctx: EngineContext, instance_id: int, body: str, actor: str) -> Comment:
    text = body.strip()
    if not text:
        raise InvalidInput("A comment cannot be empty.", field="body")
    if len(text) > MAX_COMMENT:
        raise InvalidInput("A comment has at most %(limit)d characters.", field="body", limit=MAX_COMMENT)
    now = ctx.clock.now()
    with ctx.db.session() as session:
        instance = ctx.policy.viewable_instance(session, get_user(session, actor), instance_id)
        comment = Comment(instance_id=instance_id, author=actor, body=text, created_at=now)
        session.add(comment)
        session.flush()
        append_event(session, process_id=instance.process_id, type="comment_added", actor=actor, at=now,
                     instance=instance, payload={"comment": comment.id, "body": text})
    return comment

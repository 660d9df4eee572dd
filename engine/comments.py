"""Comments on an instance: part of its history."""

from __future__ import annotations

from engine.context import EngineContext
from engine.errors import SopflowError
from engine.events import append_event
from engine.store import Comment
from engine.users import get_user

MAX_COMMENT = 4000


def add_comment(ctx: EngineContext, instance_id: int, body: str, actor: str) -> Comment:
    text = body.strip()
    if not text:
        raise SopflowError("a comment cannot be empty")
    if len(text) > MAX_COMMENT:
        raise SopflowError("A comment has at most %(limit)d characters.", limit=MAX_COMMENT)
    now = ctx.clock.now()
    with ctx.db.session() as session:
        instance = ctx.policy.viewable_instance(session, get_user(session, actor), instance_id)
        comment = Comment(instance_id=instance_id, author=actor, body=text, created_at=now)
        session.add(comment)
        session.flush()
        append_event(session, process_id=instance.process_id, type="comment_added", actor=actor, at=now,
                     instance=instance, payload={"comment": comment.id, "body": text})
    return comment

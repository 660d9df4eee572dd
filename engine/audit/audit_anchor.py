"""Anchors: the global chain's head written outside the database, so that rewriting every row and the head
together is still detected. `sopflow audit anchor` appends one JSON line (event id, global hash, time) to a
file kept elsewhere (a mounted archive, a USB disk) or mails it; `sopflow audit verify --anchors FILE` checks
that the log still has each anchored event with the anchored global hash."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from engine.audit.events import GENESIS
from engine.context import EngineContext
from engine.errors import SopflowError
from engine.store import Event, EventChainHead


@dataclass(frozen=True)
class Anchor:
    event_id: int | None  # None: the log was empty
    global_hash: str
    taken_at: str  # ISO 8601 with offset

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class AnchorMismatch:
    anchor: Anchor
    found: str | None  # the global hash the log has for that event now; None when the event is gone

    def __str__(self) -> str:
        where = f"event {self.anchor.event_id} (anchored {self.anchor.taken_at})"
        if self.found is None:
            return f"{where}: the anchored event is no longer in the log"
        return f"{where}: anchored global hash {self.anchor.global_hash[:16]}… but the log now has {self.found[:16]}…"


def take(ctx: EngineContext) -> Anchor:
    """The current head of the global chain."""
    with ctx.db.session() as session:
        head = session.get(EventChainHead, 1)
    taken_at = ctx.clock.now().isoformat()
    if head is None:
        return Anchor(None, GENESIS, taken_at)
    return Anchor(head.last_event_id, head.hash, taken_at)


def append_to(path: Path, anchor: Anchor) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(anchor.line() + "\n")


def read_anchors(path: Path) -> list[Anchor]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise SopflowError("The anchor file %(path)s cannot be read: %(reason)s", path=str(path),
                           reason=error.strerror or str(error)) from error
    anchors = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            values = json.loads(line)
            anchors.append(Anchor(values["event_id"], str(values["global_hash"]), str(values["taken_at"])))
            datetime.fromisoformat(anchors[-1].taken_at)
        except (ValueError, KeyError, TypeError) as error:
            raise SopflowError("Line %(line)s of the anchor file %(path)s is not an anchor.", line=number,
                               path=str(path)) from error
    return anchors


def check(ctx: EngineContext, anchors: list[Anchor]) -> list[AnchorMismatch]:
    """Anchors whose event is gone or carries another global hash: the log was rewritten after them."""
    wanted = {a.event_id for a in anchors if a.event_id is not None}
    with ctx.db.session() as session:
        rows = session.execute(select(Event.id, Event.global_hash).where(Event.id.in_(wanted)))
        found: dict[int, str] = {event_id: global_hash for event_id, global_hash in rows}
    mismatches = []
    for anchor in anchors:
        if anchor.event_id is None:
            continue
        now = found.get(anchor.event_id)
        if now != anchor.global_hash:
            mismatches.append(AnchorMismatch(anchor, now))
    return mismatches

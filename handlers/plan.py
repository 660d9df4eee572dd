"""Step 1's plan becomes one publication instance per planned item."""

from __future__ import annotations

from typing import Any

from engine.runtime.plans import queue_children
from engine.runtime.services import ServiceCall

PROCESS, ENTRIES = "proses", "butir"


def start_item_instances(call: ServiceCall) -> dict[str, Any]:
    """Start the process named by parameter `proses` once for each entry of parameter `butir` (the diagram says
    which field of the plan that is): each child gets its entry as `item` and every other parameter under its own
    name, then has its own tasks, deadlines, loops and history. The first batch starts in the plan's step's
    transaction, the rest in the background (engine/runtime/plans.py)."""
    shared = {name: value for name, value in call.params.items() if name not in (PROCESS, ENTRIES)}
    entries = list(call.params.get(ENTRIES) or [])
    queue_children(call.ctx, call.session, call.instance, str(call.params[PROCESS]), call.actor, entries, shared,
                   call.after_commit)
    return {"jumlah_item": len(entries)}

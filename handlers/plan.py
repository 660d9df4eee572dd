"""Step 1's plan becomes one publication instance per planned item."""

from __future__ import annotations

from typing import Any

from engine.runtime.execution import begin_instance, latest_definition
from engine.runtime.services import ServiceCall

PROCESS, ENTRIES = "proses", "butir"


def start_item_instances(call: ServiceCall) -> dict[str, Any]:
    """Start the process named by parameter `proses` once for each entry of parameter `butir` (the diagram says
    which field of the plan that is), in the same transaction as the plan's step: each child gets its entry as
    `item` and every other parameter under its own name, then has its own tasks, deadlines, loops and history."""
    definition = latest_definition(call.session, str(call.params[PROCESS]))
    shared = {name: value for name, value in call.params.items() if name not in (PROCESS, ENTRIES)}
    started = []
    for item in call.params.get(ENTRIES) or []:
        child = begin_instance(
            call.ctx,
            call.session,
            definition,
            call.actor,
            data={"item": item, **shared},
            parent_id=call.instance.id,
            trigger="plan",
        )
        call.after_commit.append(child.finish)
        started.append(child.instance.id)
    return {"instans": started}

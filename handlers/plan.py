"""Step 1's plan becomes one publication instance per planned item."""

from __future__ import annotations

from typing import Any

from engine.execution import begin_instance, latest_definition
from engine.services import ServiceCall


def start_item_instances(call: ServiceCall) -> dict[str, Any]:
    """Start the item process (parameter `proses`) once for each item of `rencana_unggahan`, in the same
    transaction as the plan's step; each item then has its own tasks, deadlines, loops and history."""
    definition = latest_definition(call.session, str(call.params["proses"]))
    started = []
    for item in call.task.data.get("rencana_unggahan", []):
        child = begin_instance(
            call.ctx,
            call.session,
            definition,
            call.actor,
            data={"item": item, "arahan_kerja": call.task.data.get("arahan_kerja")},
            parent_id=call.instance.id,
            trigger="plan",
        )
        call.after_commit.append(child.finish)
        started.append(child.instance.id)
    return {"instans": started}

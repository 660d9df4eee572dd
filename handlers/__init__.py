"""Service-task handlers, by the operation name the diagrams give them. Each module is imported on the first
call, so a command that only needs the names (`sopflow validate`) loads none of the engine behind them."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.runtime.services import Handler, ServiceCall


def _on_first_call(module: str, function: str) -> Handler:
    def handler(call: ServiceCall) -> dict[str, Any]:
        real: Handler = getattr(import_module(module), function)
        return real(call)

    handler.__name__ = function
    return handler


HANDLERS: dict[str, Handler] = {
    "breach_handler": _on_first_call("handlers.notifications", "breach_handler"),
    "evaluation_data": _on_first_call("handlers.evaluation", "evaluation_data"),
    "start_item_instances": _on_first_call("handlers.plan", "start_item_instances"),
}

"""Service-task handlers, by the operation name the diagrams give them."""

from engine.context import Handler
from handlers.evaluation import evaluation_data
from handlers.notifications import breach_handler
from handlers.plan import start_item_instances

HANDLERS: dict[str, Handler] = {
    "breach_handler": breach_handler,
    "evaluation_data": evaluation_data,
    "start_item_instances": start_item_instances,
}

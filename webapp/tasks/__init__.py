"""The tasks blueprint."""

from flask import Blueprint

bp = Blueprint("tasks", __name__)

from webapp.tasks import plans, supervision, views  # noqa: E402,F401  (registers the routes)

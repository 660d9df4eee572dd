"""The modeler blueprint."""

from flask import Blueprint

bp = Blueprint("modeler", __name__)

from webapp.modeler import table, views  # noqa: E402,F401  (registers the routes)

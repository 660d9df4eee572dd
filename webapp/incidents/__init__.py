"""The incidents blueprint: steps the engine could not run by itself, for administrators and process owners."""

from flask import Blueprint

bp = Blueprint("incidents", __name__)

from webapp.incidents import views  # noqa: E402,F401  (registers the routes)

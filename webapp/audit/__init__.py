"""The audit blueprint."""

from flask import Blueprint

bp = Blueprint("audit", __name__)

from webapp.audit import views  # noqa: E402,F401  (registers the routes)

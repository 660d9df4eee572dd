"""The admin blueprint."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from webapp.admin import logo, offices, outbox, tokens, views  # noqa: E402,F401  (registers the routes)

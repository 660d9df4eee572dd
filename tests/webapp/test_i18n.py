"""Bahasa Indonesia everywhere: every message the web app shows has an Indonesian translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from flask.testing import FlaskClient

from engine.forms import FieldError
from tests.conftest import ROOT
from tests.webapp.conftest import login, post
from webapp.i18n import merged_catalog

METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
# Field errors and upload refusals come from the engine as templates and are translated by the web layer.
ENGINE_TEMPLATE_SOURCES = {
    ROOT / "engine" / "forms.py": "FieldError",
    ROOT / "engine" / "attachments.py": "RefusedUpload",
    ROOT / "engine" / "policy.py": "(?:NotAllowed|NotFound)",
}


def _webapp_messages() -> set[str]:
    found = extract_from_dir(str(ROOT / "webapp"), METHODS, keywords=KEYWORDS,
                             options_map={"**/templates/**.html": {"extensions": "jinja2.ext.do"}})
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def _field_error_templates() -> set[str]:
    found: set[str] = set()
    for path, kind in ENGINE_TEMPLATE_SOURCES.items():
        found |= set(re.findall(kind + r'\(\s*"([^"]+)"', Path(path).read_text(encoding="utf-8")))
    return found


def test_every_web_message_and_field_error_has_an_indonesian_translation() -> None:
    catalog = merged_catalog()
    wanted = _webapp_messages() | _field_error_templates()
    assert len(wanted) > 100
    missing = sorted(m for m in wanted if not (catalog.get(m) and catalog.get(m).string))
    assert missing == []


def test_pages_are_indonesian_by_default_and_english_on_request(client: FlaskClient) -> None:
    login(client, "ppid.utama")
    assert "Kotak masuk" in client.get("/tasks").get_data(as_text=True)
    post(client, "/language/en", headers={"Referer": "/tasks"})
    assert "Inbox" in client.get("/tasks").get_data(as_text=True)


def test_field_errors_are_shown_in_indonesian() -> None:
    from webapp import i18n  # noqa: F401  (catalog module)

    assert FieldError("is required").template == "is required"
    assert merged_catalog().get("is required").string == "wajib diisi"

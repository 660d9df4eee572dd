"""Bahasa Indonesia everywhere: every message the web app shows has an Indonesian translation."""

from __future__ import annotations

import ast

from babel.messages.extract import extract_from_dir
from flask.testing import FlaskClient

from engine.diagrams.forms import FieldError
from engine.runtime.outbound import NO_ANSWER, NOT_HTTP, OFF_SITE, REDIRECT_OFF_SITE, TOO_MANY_REDIRECTS
from tests.conftest import ROOT
from tests.webapp.conftest import login, post
from webapp.i18n import merged_catalog

OUTBOUND_MESSAGES = (NO_ANSWER, NOT_HTTP, OFF_SITE, REDIRECT_OFF_SITE, TOO_MANY_REDIRECTS)  # shown translated
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
# Every message the engine raises or returns to a person is an English template that the web layer translates:
# the first argument of these calls in these modules (the CLI's own text may stay English).
ENGINE_ERRORS = {"SopflowError", "NotAllowed", "NotFound", "TaskConflict", "InvalidTaskData", "InvalidDiagram",
                 "ConfigError", "StepFailed", "Busy", "InvalidDuration", "RefusedUpload", "FieldError",
                 "MigrationRefused"}
ENGINE_TEMPLATE_SOURCES = sorted(path for folder in ("engine", "handlers") for path in (ROOT / folder).rglob("*.py")
                                 if not path.name.startswith("cli") and "migrations" not in path.parts)


def _webapp_messages() -> set[str]:
    found = extract_from_dir(str(ROOT / "webapp"), METHODS, keywords=KEYWORDS,
                             options_map={"**/templates/**.html": {"extensions": "jinja2.ext.do"}})
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def _called(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")


def _engine_templates() -> tuple[set[str], list[str]]:
    """Each engine error's template, resolving module constants; and where one is built with an f-string."""
    found: set[str] = set()
    built: list[str] = []
    for path in ENGINE_TEMPLATE_SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                     for target in node.targets if isinstance(target, ast.Name)
                     and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _called(node) in ENGINE_ERRORS and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
            elif isinstance(first, ast.Name) and first.id in constants:
                found.add(constants[first.id])
            elif isinstance(first, ast.JoinedStr | ast.BinOp):
                built.append(f"{path.name}:{node.lineno}")
    return found | set(OUTBOUND_MESSAGES), built


def test_every_web_message_and_field_error_has_an_indonesian_translation() -> None:
    catalog = merged_catalog()
    wanted = _webapp_messages() | _engine_templates()[0]
    assert len(wanted) > 100
    missing = sorted(m for m in wanted if not (catalog.get(m) and catalog.get(m).string))
    assert missing == []


def test_engine_errors_are_templates_never_built_strings() -> None:
    assert _engine_templates()[1] == []


def test_pages_are_indonesian_by_default_and_english_on_request(client: FlaskClient) -> None:
    login(client, "ppid.utama")
    assert "Kotak masuk" in client.get("/tasks").get_data(as_text=True)
    post(client, "/language/en", headers={"Referer": "/tasks"})
    assert "Inbox" in client.get("/tasks").get_data(as_text=True)


def test_field_errors_are_shown_in_indonesian() -> None:
    from webapp import i18n  # noqa: F401  (catalog module)

    assert FieldError("is required").template == "is required"
    assert merged_catalog().get("is required").string == "wajib diisi"

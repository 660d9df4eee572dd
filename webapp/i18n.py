"""Bahasa Indonesia by default, English on request. Msgids are English; each area of the app keeps its
Indonesian translations in webapp/i18n/<area>.po, merged and compiled when the app is created."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, session
from flask_babel import Babel, get_locale

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
SOURCES = Path(__file__).resolve().parent / "i18n"


def merged_catalog() -> Catalog:
    """Every area's Indonesian catalog as one; a msgid translated twice differently is an error."""
    merged = Catalog(locale="id", domain="messages")
    for path in sorted(SOURCES.glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale="id"):
                if not message.id:
                    continue
                existing = merged.get(message.id)
                if existing is not None and existing.string != message.string:
                    raise ValueError(f"{path.name}: {message.id!r} already translated as {existing.string!r}")
                merged.add(message.id, message.string)
    return merged


def compile_catalogs(target: Path) -> None:
    """Write translations/id/LC_MESSAGES/messages.mo under `target` when a source is newer."""
    mo_path = target / "id" / "LC_MESSAGES" / "messages.mo"
    sources = list(SOURCES.glob("*.po"))
    newest = max((p.stat().st_mtime for p in sources), default=0.0)
    if mo_path.exists() and mo_path.stat().st_mtime >= newest:
        return
    mo_path.parent.mkdir(parents=True, exist_ok=True)
    # A file of its own per process: several app processes may start at once (each writes the whole catalog,
    # and the last complete one wins).
    descriptor, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".tmp")
    with os.fdopen(descriptor, "wb") as handle:
        write_mo(handle, merged_catalog())
    os.replace(temporary, mo_path)


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return DEFAULT_LANGUAGE


def init_i18n(app: Flask, timezone: str) -> None:
    translations = Path(app.instance_path) / "translations"
    compile_catalogs(translations)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    app.config["BABEL_DEFAULT_TIMEZONE"] = timezone
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def language() -> dict[str, object]:
        return {"current_language": lambda: str(get_locale() or DEFAULT_LANGUAGE)}

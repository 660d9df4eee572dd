"""The web app on a seeded SQLite copy with a moved clock; a logged-in client per demo user."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import ManualClock
from engine.config import Settings
from engine.context import EngineContext
from handlers import HANDLERS
from tests.conftest import PASSWORD, START, Mailbox, _seeded_models, make_settings
from webapp import create_app

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def web_settings(tmp_path: Path, sqlite_template: Path, smtp_server: tuple[int, Mailbox]) -> Settings:
    path = tmp_path / "sopflow.db"
    shutil.copy(sqlite_template, path)
    from dataclasses import replace

    return replace(make_settings(f"sqlite:///{path}", smtp_server[0]), upload_dir=tmp_path / "uploads")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def engine_ctx(web_settings: Settings, clock: ManualClock) -> Iterator[EngineContext]:
    context = EngineContext.create(web_settings, clock=clock, handlers=HANDLERS)
    context.models = dict(_seeded_models)
    yield context
    context.db.dispose()


@pytest.fixture
def app(engine_ctx: EngineContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("SOPFLOW_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app(engine_ctx, {"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page hands out, as a browser would read it from the form."""
    match = CSRF_FIELD.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """A form POST carrying the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture
def people(app: Flask) -> Any:
    """A logged-in test client per demo user, made on first use (tests.webapp.pages.People)."""
    from tests.webapp.pages import People

    return People(app)


@pytest.fixture
def item(engine_ctx: EngineContext) -> Any:
    """One publication item of Dinas Kesehatan, waiting at step 2."""
    from tests.webapp.pages import plan_item, start_items

    (only,) = start_items(engine_ctx, plan_item("Laporan keuangan semester I", "Dinas Kesehatan"))
    return only

"""Shared fixtures: a real SMTP server on loopback, a moved clock, databases migrated once and copied per test
(SQLite file copy; PostgreSQL template database), demo users per role."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from email import message_from_bytes, policy
from email.message import Message
from itertools import count
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from engine import schema
from engine.clock import ManualClock
from engine.config import Settings, SmtpSettings, load_settings
from engine.context import EngineContext
from engine.diagrams import definitions
from engine.people import offices, users
from handlers import HANDLERS
from tests.pg_server import free_port, postgres_server
from tests.website import with_website

ROOT = Path(__file__).resolve().parent.parent
JAKARTA = ZoneInfo("Asia/Jakarta")
# A Monday, 09:00 in Jakarta.
START = datetime(2026, 11, 23, 9, 0, tzinfo=JAKARTA)
PASSWORD = "rahasia-uji-123"
DEMO = [
    ("ppid.utama", "ppid_utama", None),
    ("plid.utama", "plid_utama", None),
    ("pembantu.dinkes", "ppid_pembantu", "Dinas Kesehatan"),
    ("pembantu.disdik", "ppid_pembantu", "Dinas Pendidikan"),
    ("pemilik.proses", "process_owner", None),
    ("auditor", "auditor", None),
    ("admin", "admin", None),
]


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.arrived:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, n: int, timeout: float = 5.0) -> list[Message]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= n, timeout)
            return list(self.messages)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[int, Mailbox]) -> Mailbox:
    smtp_server[1].messages.clear()
    return smtp_server[1]


def make_settings(database_url: str, smtp_port: int, **changes: Any) -> Settings:
    """The repository's settings on this database and SMTP port, with the tests' PPID website (on loopback)."""
    settings = load_settings(ROOT / "config.yaml", environ={"SOPFLOW_DATABASE_URL": database_url})
    smtp = SmtpSettings("127.0.0.1", smtp_port, "", "", False, "ppid@tanjabtimkab.go.id", 5)
    return replace(with_website(settings), smtp=smtp, **changes)


def _seed(url: str, smtp_port: int) -> None:
    """Schema, the two diagrams, one user per role: what every engine test starts from."""
    schema.upgrade(url)
    ctx = EngineContext.create(make_settings(url, smtp_port), clock=ManualClock(START), handlers=HANDLERS)
    definitions.deploy_directory(ctx, ROOT / "bpmn", actor="setup")
    _seeded_models.update(ctx.models)
    for office in yaml.safe_load((ROOT / "demo.yaml").read_text(encoding="utf-8"))["offices"]:
        offices.add_office(ctx, office)
    for username, role, opd in DEMO:
        users.create_user(ctx, username, PASSWORD, [role], username, f"{username}@ppid.test", opd)
    ctx.db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, smtp_server: tuple[int, Mailbox]) -> Path:
    path = tmp_path_factory.mktemp("template") / "sopflow.db"
    _seed(f"sqlite:///{path}", smtp_server[0])
    return path


@pytest.fixture(scope="session")
def postgres_template(smtp_server: tuple[int, Mailbox]) -> Iterator[str]:
    with postgres_server() as server_url:
        admin = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE sopflow_template"))
        _seed(f"{server_url}/sopflow_template", smtp_server[0])
        yield server_url
        admin.dispose()


_database_numbers = count()
_seeded_models: dict[int, Any] = {}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A seeded database of each kind; the engine suite runs once against each."""
    if request.param == "sqlite":
        path = tmp_path / "sopflow.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    with scratch_database(request.getfixturevalue("postgres_template"), template="sopflow_template") as url:
        yield url


@contextmanager
def scratch_database(server_url: str, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database on the test server (a copy of `template`, else empty), dropped afterwards."""
    name = f"sopflow_test_{next(_database_numbers)}"
    admin = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")))
    try:
        yield f"{server_url}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(database_url: str, smtp_server: tuple[int, Mailbox]) -> Settings:
    return make_settings(database_url, smtp_server[0])


@pytest.fixture
def ctx(settings: Settings, clock: ManualClock) -> Iterator[EngineContext]:
    """The engine on a seeded database, reusing the seed's parsed diagrams (same ids in every copy)."""
    context = EngineContext.create(settings, clock=clock, handlers=HANDLERS)
    context.models = dict(_seeded_models)
    yield context
    context.db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, for migration tests that start from an older schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with scratch_database(request.getfixturevalue("postgres_template")) as url:
        yield url

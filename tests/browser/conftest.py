"""Browser tests: the real app under waitress on a free 127.0.0.1 port, on a seeded SQLite copy with a
ManualClock, driven by Debian's Chromium through Playwright. Screenshots go to $SOPFLOW_SCREENSHOTS (else the
test's tmp_path)."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from waitress import wasyncore
from waitress.server import create_server

from engine.clock import ManualClock
from engine.context import EngineContext
from tests.conftest import PASSWORD
from tests.webapp.conftest import clock, engine_ctx, web_settings  # noqa: F401  (the same seeded app)
from tests.webapp.pages import website
from webapp import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 10_000
# Assertions wait as long as actions: under a loaded CI machine a page (the modeler above all) may take more
# than Playwright's 5 s default to show what the test expects.
expect.set_options(timeout=TIMEOUT_MS)
HERE = Path(__file__).resolve().parent


def log_in(page: Page, base_url: str, username: str) -> None:
    """Log in through the login form, as a person does, and wait to leave it."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def open_menu(page: Page) -> None:
    """On a phone the header's links fold behind the Menu button: open it (nothing to do on a desktop)."""
    toggle = page.locator("#menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


@dataclass
class LiveServer:
    url: str
    ctx: EngineContext
    clock: ManualClock


@pytest.fixture
def live_server(engine_ctx: EngineContext, clock: ManualClock, tmp_path: Path,  # noqa: F811
                monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    """The production WSGI server in a background thread; stopped (and its thread joined) afterwards."""
    monkeypatch.setenv("SOPFLOW_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(engine_ctx)
    server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="sopflow-test")
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.effective_port}", engine_ctx, clock)
    finally:
        # The workers finish first (one still answering would wake a closed loop), then the loop closes its own
        # sockets: closed from this thread, one could go under its select(), which then raised EBADF.
        server.task_dispatcher.shutdown()
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        except OSError:  # the loop's wake-up pipe is already gone: nothing is left for the loop to select on
            wasyncore.close_all(server._map)
        thread.join(timeout=5)
        assert not thread.is_alive(), "waitress did not stop"


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@contextmanager
def signed_in_at(browser: Browser, live_server: LiveServer, username: str, width: str) -> Iterator[Page]:
    """A page of its own browser context at a named viewport width (a phone's has touch), logged in."""
    context = browser.new_context(locale="id-ID", viewport=VIEWPORTS[width],  # type: ignore[arg-type]
                                  has_touch=width == "phone")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        log_in(page, live_server.url, username)
        yield page
    finally:
        context.close()


Visit = Callable[[str, str], Page]


@pytest.fixture
def visit(browser: Browser, live_server: LiveServer, width: str) -> Iterator[Visit]:
    """visit(user, path): the page as that user sees it at the test module's `width` fixture, a name of VIEWPORTS
    (logged in once per user)."""
    contexts, pages = [], {}

    def open_page(username: str, path: str) -> Page:
        if username not in pages:
            context = browser.new_context(locale="id-ID", viewport=VIEWPORTS[width],  # type: ignore[arg-type]
                                          has_touch=width == "phone")
            context.set_default_timeout(TIMEOUT_MS)
            contexts.append(context)
            pages[username] = context.new_page()
            log_in(pages[username], live_server.url, username)
        pages[username].goto(f"{live_server.url}{path}")
        return pages[username]

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def sign_in(browser: Browser, live_server: LiveServer) -> Iterator[Callable[[str], Page]]:
    """A page per user, in its own browser context (its own cookies), logged in through the login page."""
    contexts = []
    pages: dict[str, Page] = {}

    def as_user(username: str) -> Page:
        if username in pages:
            return pages[username]
        context = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        user_page = context.new_page()
        log_in(user_page, live_server.url, username)
        pages[username] = user_page
        return user_page

    try:
        yield as_user
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def screenshot(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Save a full-page screenshot as <folder>/<test name>/<name>.png; returns its path."""
    folder = Path(os.environ.get("SOPFLOW_SCREENSHOTS") or tmp_path / "screenshots") / request.node.name
    folder.mkdir(parents=True, exist_ok=True)

    def take(target: Page, name: str) -> Path:
        path = folder / f"{name}.png"
        target.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def site() -> Iterator[str]:
    """The PPID website as step 6 requests it: a real HTTP server on 127.0.0.1."""
    with website() as address:
        yield address

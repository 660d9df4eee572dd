"""The hostile suite reuses the web app and browser fixtures (same seeded SQLite copy, same Chromium)."""

from tests.browser.conftest import browser, live_server, playwright, screenshot, sign_in  # noqa: F401
from tests.webapp.conftest import app, client, clock, engine_ctx, people, web_settings  # noqa: F401

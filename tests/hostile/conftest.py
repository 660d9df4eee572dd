"""The hostile suite reuses the web app fixtures (the same seeded SQLite copy); its Chromium test lives in
tests/browser/test_hostile_pages.py, beside the one Playwright session the browser fixtures hold."""

from tests.webapp.conftest import app, client, clock, engine_ctx, people, web_settings  # noqa: F401

"""Step 6's address check against real HTTP servers on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from handlers.url_check import check_url


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        status = {"/tayang": 200, "/hilang": 404, "/pindah": 301}.get(self.path, 500)
        self.send_response(status)
        if status == 301:
            self.send_header("Location", "http://192.0.2.1/elsewhere")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_published_page_answers_200_with_its_time(site: str) -> None:
    result = check_url(f"{site}/tayang")
    assert (result["status"], result["ok"], result["error"]) == (200, True, None)
    assert result["elapsed_ms"] >= 0


def test_a_missing_page_is_recorded_as_its_status(site: str) -> None:
    result = check_url(f"{site}/hilang")
    assert (result["status"], result["ok"]) == (404, False)


def test_a_redirect_is_reported_not_followed(site: str) -> None:
    assert check_url(f"{site}/pindah")["status"] == 301


def test_no_server_is_an_error_not_an_exception() -> None:
    from tests.pg_server import free_port

    result = check_url(f"http://127.0.0.1:{free_port()}/", timeout=2)
    assert result["status"] is None and result["ok"] is False and result["error"]


def test_only_http_addresses_are_requested() -> None:
    assert check_url("file:///etc/passwd")["error"] == "only http(s) addresses are checked"

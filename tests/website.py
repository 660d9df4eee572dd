"""The PPID website as the tests configure it (`website.hosts` in make_settings): a real HTTP server on
127.0.0.1, started once per test process. Published pages (/informasi/...) answer 200, anything else 404."""

from __future__ import annotations

import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from engine.config import Settings
from tests.pg_server import free_port

PORT = free_port()
HOST = f"127.0.0.1:{PORT}"
ADDRESS = f"http://{HOST}"
_lock = threading.Lock()
_server: list[ThreadingHTTPServer] = []


class _Website(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        found = self.path.startswith("/informasi/")
        body = b"<h1>Informasi publik</h1>" if found else b"tidak ada"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def ensure_website() -> str:
    """Start the site if it is not running yet; its base address."""
    with _lock:
        if not _server:
            server = ThreadingHTTPServer(("127.0.0.1", PORT), _Website)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            _server.append(server)
    return ADDRESS


def with_website(settings: Settings) -> Settings:
    """The settings with this site as the PPID website, the site running."""
    ensure_website()
    return replace(settings, website=replace(settings.website, hosts=(HOST,)))

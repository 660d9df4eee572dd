"""engine.runtime.outbound against real HTTP servers on loopback: only configured hosts, one deadline, a capped body,
a bounded number at once, redirects re-checked."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engine.config import WebsiteSettings
from engine.errors import Busy
from engine.runtime.outbound import NO_ANSWER, OFF_SITE, REDIRECT_OFF_SITE, TOO_MANY_REDIRECTS, Outbound
from tests.pg_server import free_port

BIG = 5 * 1024 * 1024
release = threading.Event()
arrived = threading.Semaphore(0)


class _Site(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError):  # the client hangs up at its deadline or body cap
            super().handle()

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/drip":  # a byte every 0.5 s, forever: only an overall deadline ends it
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.5)
            return
        if self.path == "/wait":  # holds the request until the test lets go
            arrived.release()
            release.wait(10)
        if self.path == "/besar":
            self.send_response(200)
            self.send_header("Content-Length", str(BIG))
            self.end_headers()
            chunk = b"x" * 65536
            for _ in range(BIG // len(chunk)):
                self.wfile.write(chunk)
            return
        location = {"/pindah-luar": "http://192.0.2.1/elsewhere", "/pindah": "/tayang",
                    "/putar": "/putar"}.get(self.path)
        status = 302 if location else {"/tayang": 200, "/wait": 200, "/hilang": 404}.get(self.path, 500)
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def outbound(*hosts: str, timeout: float = 3.0, body: int = 1024 * 1024, at_once: int = 4) -> Outbound:
    return Outbound(WebsiteSettings(hosts=hosts, timeout_seconds=timeout, max_body_bytes=body,
                                    max_concurrent=at_once, max_redirects=3))


def test_a_configured_site_answers_with_its_status_and_time(site: str) -> None:
    client = outbound(site)
    result = client.check(f"http://{site}/tayang")
    assert (result["status"], result["ok"], result["error"]) == (200, True, None)
    assert result["elapsed_ms"] >= 0
    missing = client.check(f"http://{site}/hilang")
    assert (missing["status"], missing["ok"], missing["error"]) == (404, False, None)


def test_a_loopback_port_not_configured_is_refused_the_same_whether_open_or_closed(site: str) -> None:
    client = outbound("ppid.tanjabtimkab.go.id")
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    try:
        open_port = client.check(f"http://127.0.0.1:{listening.getsockname()[1]}/")
        closed_port = client.check(f"http://127.0.0.1:{free_port()}/admin")
        served = client.check(f"http://{site}/tayang")
    finally:
        listening.close()
    for result in (open_port, closed_port, served):
        assert (result["status"], result["ok"], result["error"]) == (None, False, OFF_SITE)
    # configuring one port of a host does not open its other ports
    assert outbound(site).check(f"http://127.0.0.1:{free_port()}/")["error"] == OFF_SITE


def test_a_public_name_resolving_to_loopback_is_refused() -> None:
    assert outbound("localhost").check("http://localhost/")["error"] == OFF_SITE


def test_only_http_addresses_are_requested(site: str) -> None:
    assert outbound(site).check("file:///etc/passwd")["error"] == "The address must start with http:// or https://."


def test_redirects_are_followed_on_site_and_refused_off_site(site: str) -> None:
    client = outbound(site)
    followed = client.check(f"http://{site}/pindah")
    assert (followed["status"], followed["ok"]) == (200, True)
    away = client.check(f"http://{site}/pindah-luar")
    assert (away["ok"], away["error"]) == (False, REDIRECT_OFF_SITE)
    assert client.check(f"http://{site}/putar")["error"] == TOO_MANY_REDIRECTS


def test_a_dripping_server_is_cut_at_the_overall_deadline(site: str) -> None:
    started = time.monotonic()
    result = outbound(site, timeout=1.5).check(f"http://{site}/drip")
    took = time.monotonic() - started
    assert (result["ok"], result["error"]) == (False, NO_ANSWER)
    assert 1.4 <= took < 3.0  # the old per-read timeout let it run 1000 × 0.5 s


def test_the_body_is_read_up_to_the_cap(site: str) -> None:
    result = outbound(site, body=100_000).check(f"http://{site}/besar")
    assert (result["status"], result["ok"], result["bytes"]) == (200, True, 100_000)


def test_a_full_checker_refuses_at_once_and_frees_its_slots(site: str) -> None:
    client = outbound(site, at_once=2)
    release.clear()
    waiting = [threading.Thread(target=client.check, args=(f"http://{site}/wait",)) for _ in range(2)]
    for thread in waiting:
        thread.start()
    assert arrived.acquire(timeout=5) and arrived.acquire(timeout=5)  # both requests hold their slot
    started = time.monotonic()
    with pytest.raises(Busy):
        client.check(f"http://{site}/tayang")
    assert time.monotonic() - started < 0.1
    release.set()
    for thread in waiting:
        thread.join(5)
    assert client.check(f"http://{site}/tayang")["ok"] is True

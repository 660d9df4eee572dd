"""Every outbound HTTP request sopflow makes (step 6 requesting a published address) goes through here.

Only to the PPID website's configured hosts; the name is resolved once and the connection goes to that
address (no second lookup a rebinding DNS could answer differently); a loopback, private, link-local or
reserved address only when configured itself; redirects followed a few times, each re-checked; one deadline
for the whole request; the body read up to a cap; a bounded number at once, refusing at once when full.
Failures read the same whether a port is closed, silent or slow, so the answer tells nothing about a network.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

from engine.config import WebsiteSettings
from engine.errors import Busy

USER_AGENT = "sopflow-ppid-checker/1.0"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}

NOT_HTTP = "The address must start with http:// or https://."
OFF_SITE = "The address is not on the PPID website."
REDIRECT_OFF_SITE = "The address redirects away from the PPID website."
TOO_MANY_REDIRECTS = "The address redirects too many times."
NO_ANSWER = "The website did not answer in time."


class _Refused(Exception):
    """The request may not or could not be made; `args[0]` is one of the fixed messages above."""


class _Pinned(http.client.HTTPConnection):
    """An HTTP connection to an address resolved beforehand; the Host header keeps the name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTLS(_Pinned):
    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = ssl.create_default_context().wrap_socket(raw, server_hostname=self.host)


def _special(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (address.is_loopback or address.is_private or address.is_link_local or address.is_reserved
            or address.is_multicast or address.is_unspecified)


class Outbound:
    """The one outbound HTTP client. `check(url)` is the engine's injected `url_checker`."""

    def __init__(self, website: WebsiteSettings) -> None:
        self.website = website
        self._slots = threading.BoundedSemaphore(max(1, website.max_concurrent))

    def allowed(self, url: str) -> bool:
        """Whether `url` names a configured host and port (no network involved)."""
        try:
            self._target(url)
        except _Refused:
            return False
        return True

    def _target(self, url: str) -> tuple[str, str, int]:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise _Refused(NOT_HTTP)
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError as error:
            raise _Refused(NOT_HTTP) from error
        host = parts.hostname.lower()
        entries = set(self.website.hosts)
        if f"{host}:{port}" not in entries and not (host in entries and port == DEFAULT_PORTS[parts.scheme]):
            raise _Refused(OFF_SITE)
        return parts.scheme, host, port

    def _resolve(self, host: str, port: int) -> str:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            return str(literal)  # configured as an address itself: reachable whatever its kind
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise _Refused(NO_ANSWER) from error
        address = str(found[0][4][0])
        if _special(ipaddress.ip_address(address)):
            raise _Refused(OFF_SITE)
        return address

    def check(self, url: str) -> dict[str, Any]:
        """{"url", "status", "ok" (answered 2xx), "elapsed_ms", "bytes", "error"}. Raises Busy when the
        configured number of requests is already running; never raises for network trouble."""
        if not self._slots.acquire(blocking=False):
            raise Busy("Too many addresses are being checked right now; try again in a moment.")
        started = time.monotonic()
        result: dict[str, Any] = {"url": url, "status": None, "ok": False, "elapsed_ms": None, "bytes": 0,
                                  "error": None}
        try:
            result.update(self._follow(url, started + self.website.timeout_seconds))
        except _Refused as refused:
            result["error"] = str(refused.args[0])
        finally:
            self._slots.release()
        result["elapsed_ms"] = round((time.monotonic() - started) * 1000, 1)
        result["ok"] = result["error"] is None and 200 <= (result["status"] or 0) < 300
        return result

    def _follow(self, url: str, deadline: float) -> dict[str, Any]:
        for hop in range(self.website.max_redirects + 1):
            try:
                scheme, host, port = self._target(url)
            except _Refused as refused:
                raise _Refused(REDIRECT_OFF_SITE if hop else refused.args[0]) from None
            status, location, size = self._request(scheme, host, port, url, deadline)
            if status not in REDIRECTS or not location:
                return {"status": status, "bytes": size}
            url = urljoin(url, location)
        raise _Refused(TOO_MANY_REDIRECTS)

    def _request(self, scheme: str, host: str, port: int, url: str, deadline: float) -> tuple[int, str | None, int]:
        address = self._resolve(host, port)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Refused(NO_ANSWER)
        kind = _PinnedTLS if scheme == "https" else _Pinned
        connection = kind(host, port, address, timeout=remaining)
        watchdog = threading.Timer(remaining, self._cut, (connection,))
        watchdog.start()
        try:
            parts = urlsplit(url)
            connection.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                               headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
            response = connection.getresponse()
            size = 0
            while size < self.website.max_body_bytes:
                chunk = response.read(min(65536, self.website.max_body_bytes - size))
                if not chunk:
                    break
                size += len(chunk)
            if time.monotonic() >= deadline:
                raise _Refused(NO_ANSWER)
            return response.status, response.getheader("Location"), size
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise _Refused(NO_ANSWER) from error
        finally:
            watchdog.cancel()
            connection.close()

    @staticmethod
    def _cut(connection: http.client.HTTPConnection) -> None:
        """The deadline passed: end the connection so a blocked read returns now."""
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

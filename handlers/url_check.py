"""Step 6: the server itself requests the published address and records whether it answers."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlparse

TIMEOUT_SECONDS = 8.0
USER_AGENT = "sopflow-ppid-checker/1.0"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report a redirect as the answer rather than following it somewhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def check_url(url: str, timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    """{"url", "status" (HTTP code or None), "elapsed_ms", "ok", "error"}; never raises for network trouble."""
    result: dict[str, Any] = {"url": url, "status": None, "elapsed_ms": None, "ok": False, "error": None}
    if urlparse(url).scheme not in ("http", "https"):
        result["error"] = "only http(s) addresses are checked"
        return result
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, method="GET", headers={"User-Agent": USER_AGENT})
    started = time.perf_counter()
    try:
        with opener.open(request, timeout=timeout) as response:
            result["status"] = int(response.status)
    except urllib.error.HTTPError as error:
        result["status"] = int(error.code)
    except (urllib.error.URLError, OSError, ValueError) as error:
        result["error"] = str(getattr(error, "reason", error))
    result["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
    result["ok"] = result["status"] is not None and 200 <= result["status"] < 400
    return result

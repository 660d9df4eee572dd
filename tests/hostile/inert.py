"""What "rendered escaped" means, checked on the HTML a page sends."""

from __future__ import annotations

import json
from typing import Any

import lxml.html

from webapp.app import CONTENT_SECURITY_POLICY


def visible_text(html: str) -> str:
    """The page's text without its script blocks (JSON data would otherwise count as shown)."""
    doc = lxml.html.fromstring(html)
    for script in doc.xpath("//script"):
        script.drop_tree()
    return " ".join(doc.text_content().split())


def assert_inert(html: str) -> None:
    """No element or attribute came from a payload, and no script runs but the app's own files."""
    doc = lxml.html.fromstring(html)
    assert not doc.xpath('//*[starts-with(@id, "pwn")]'), "a payload created an element"
    handlers = [(el.tag, name) for el in doc.iter() if isinstance(el.tag, str)
                for name in el.attrib if name.lower().startswith("on")]
    assert not handlers, f"event handler attributes on the page: {handlers}"
    assert not doc.xpath('//*[starts-with(normalize-space(@href), "javascript:")]')
    for script in doc.xpath("//script"):
        if script.get("src"):
            assert script.get("src").startswith("/static/"), script.get("src")
        else:
            assert script.get("type") == "application/json", "inline script on the page"
            json.loads(script.text or "")


def assert_policy(headers: Any) -> None:
    """The security headers, from Werkzeug's Headers or a browser's lower-cased header dict."""
    lowered = {name.lower(): value for name, value in headers.items()}
    get = lowered.get
    assert get("content-security-policy") == CONTENT_SECURITY_POLICY
    script_rule = next(rule for rule in CONTENT_SECURITY_POLICY.split("; ") if rule.startswith("script-src"))
    assert script_rule == "script-src 'self'"
    assert get("x-content-type-options") == "nosniff"
    assert get("x-frame-options") == "DENY"
    assert get("referrer-policy") == "same-origin"

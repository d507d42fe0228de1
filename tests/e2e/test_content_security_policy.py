"""The Content-Security-Policy in a real browser (Chromium enforces the header): the reactive
search page starts django-unicorn and re-renders on a filter, with no violation reported.
(The header itself is checked in tests/test_security.py.)"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_the_reactive_search_page_works_under_the_policy(shop, page):
    base_url, _ = shop
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    response = page.goto(f"{base_url}/search?q=shirt")
    assert "script-src" in response.headers["content-security-policy"]
    page.wait_for_function("() => window.Unicorn && typeof window.Unicorn.getComponent === 'function'")
    with page.expect_response(lambda r: "/unicorn/message/" in r.url) as reactive:
        page.locator(".facet-brand input[name=brand][value=acme]").check()
    assert reactive.value.status == 200  # the component round trip: init, CSRF header, re-render
    page.wait_for_url("**brand=acme**")
    violations = [m for m in messages if "Content Security Policy" in m or "Refused to" in m]
    assert not violations, violations

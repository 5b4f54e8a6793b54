"""A headless Chromium for the Studio tests (Debian's, driven by Playwright).

Playwright's own browser download does not work offline, so the tests drive
``/usr/bin/chromium`` (``make test`` installs it). Without it the tests skip
locally and fail under ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM = os.environ.get("STATEGRAPH_CHROMIUM") or shutil.which("chromium") or ""


def launch_browser() -> Iterator[Any]:
    """A module's browser; stopped (with Playwright's driver) when closed."""
    if not CHROMIUM or not os.path.exists(CHROMIUM):
        message = "chromium is missing: apt-get install chromium (make test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # The machine may be shared and slow: assertions poll up to this long.
    expect.set_options(timeout=30_000)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_studio(browser: Any, url: str, api: str = "") -> Iterator[Any]:
    """A fresh page on ``url``'s Studio (talking to ``api``, default: the same
    server), ready once the assistants are loaded."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/studio/" + (f"?baseUrl={api}" if api else ""))
    page.wait_for_selector("body[data-ready=true]")
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"the Studio raised in the browser: {errors}"

"""Real-browser tests: Playwright's sync API driving the system Chromium against live_server."""
import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module. Module scope: Playwright (and the environment switch
    below) is gone before tests of other modules run."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls
    # (setting up data, checking results) are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context on the live server; console errors (e.g. CSP violations) are collected.

    Every page the test visits is checked with axe-core (tests/e2e/accessibility.py) once it
    has loaded, and the last page again at the end; the test fails on any serious or critical
    violation."""
    from tests.e2e.accessibility import axe_check, axe_wait, axe_watch

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    axe_watch(page)
    yield page
    if not page.is_closed():
        try:
            axe_wait(page)
            axe_check(page, fail=False)
        except Exception as exc:  # a page still navigating: its own check reports
            if "context was destroyed" not in str(exc):
                raise
    violations = page.axe_violations
    context.close()
    if violations:
        pytest.fail("Accessibility (axe-core), serious or critical:\n" + "\n".join(violations), pytrace=False)

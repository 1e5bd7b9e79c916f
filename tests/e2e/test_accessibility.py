"""The browser tests' accessibility check (tests/e2e/accessibility.py) is live: axe-core runs on
every page the tests load and finds a serious violation when there is one."""
import pytest

from tests.e2e.accessibility import axe_check, axe_wait
from tests.e2e.helpers import log_in, staff_user_make, stock_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_accessibility_every_loaded_page_is_checked_and_passes(page):
    from playwright.sync_api import expect

    staff_user_make()
    stock_make()
    log_in(page)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto("/inventory/")
    axe_wait(page)
    # axe-core is in the page (added by the fixture) and its load-time report came back empty.
    assert page.evaluate("typeof window.axe.run") == "function"
    assert page.evaluate("window.axeDone instanceof Promise")
    assert page.axe_violations == []
    assert axe_check(page) == []


def test_accessibility_check_reports_a_serious_violation(page):
    staff_user_make()
    log_in(page)
    page.goto("/inventory/")
    axe_wait(page)
    # An image with no text alternative: axe-core's "image-alt", a critical violation.
    page.evaluate("""() => {
        const img = document.createElement("img");
        img.src = "/static/favicon.svg";
        document.querySelector("main").append(img);
    }""")
    found = axe_check(page, fail=False)
    assert any("image-alt" in line and "/inventory/" in line for line in found), found
    with pytest.raises(AssertionError, match="image-alt"):
        axe_check(page)
    page.axe_violations.clear()  # seen: the fixture need not fail the test for it
    page.evaluate("() => document.querySelector('main img').remove()")

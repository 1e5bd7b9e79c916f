"""The bulk stock update page in a browser: SKU autocomplete, an added row, a preview with an error, then apply."""
import pytest

from tests.e2e.helpers import log_in, staff_user_make, stock_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_bulk_update_flow_preview_fix_and_save(page):
    from playwright.sync_api import expect

    staff_user_make()
    level = stock_make()
    log_in(page)
    page.goto("/data/bulk-update/")
    row = page.locator(".bulk-row").first
    row.get_by_label("SKU").press_sequentially("e2e-red", delay=30)
    row.locator(".sku-option", has_text="E2E-RED-M").click()
    expect(row.get_by_label("SKU")).to_have_value("E2E-RED-M")
    row.get_by_label("Change").fill("-2")
    row.get_by_label("Reason").fill("Shelf check")
    page.get_by_role("button", name="Add row").click()
    expect(page.locator(".bulk-row")).to_have_count(2)
    second = page.locator(".bulk-row").nth(1)
    second.get_by_label("SKU").fill("E2E-BLUE-L")
    second.get_by_label("Change").fill("-40")
    second.get_by_label("Reason").fill("Lost")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".bulk-row").first.locator(".bulk-preview")).to_contain_text("7 → 5")
    expect(page.locator(".bulk-row").nth(1).locator(".bulk-preview")).to_contain_text("40 requested, 30 available")
    page.locator(".bulk-row").nth(1).get_by_label("Change").fill("-4")
    page.get_by_role("button", name="Apply all").click()
    expect(page.locator("#messages")).to_contain_text("2 lines applied")
    expect(page.get_by_role("link", name="See today's changes in the history")).to_be_visible()
    level.refresh_from_db()
    assert level.on_hand == 5
    assert page.console_errors == []

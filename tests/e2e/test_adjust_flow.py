import pytest

from inventory.models import StockMovement
from tests.e2e.helpers import log_in, staff_user_make, stock_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_adjust_flow_restock_through_dialog_updates_row_and_history(page):
    from playwright.sync_api import expect

    staff_user_make()
    level = stock_make()

    # Log in through the login page.
    log_in(page)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator(".user-badge")).to_contain_text("Staff")

    # Search the SKU: the results swap in as you type.
    page.goto("/inventory/")
    rows = page.locator("#stock-results tbody tr")
    expect(rows).to_have_count(2)
    page.evaluate("window.stockroomNoReload = true")
    page.get_by_placeholder("Search name, SKU or barcode").fill("E2E-RED")
    expect(rows).to_have_count(1)
    row = page.locator(f"#level-{level.pk}")
    expect(row).to_contain_text("E2E-RED-M")
    expect(row.locator("td.on-hand")).to_have_text("7")
    expect(page).to_have_url(f"{page.url.split('?')[0]}?q=E2E-RED&category=&location=&status=&sort=sku")

    # Open the Adjust dialog and restock 5 units.
    row.get_by_role("button", name="Adjust").click()
    dialog = page.locator("dialog#modal")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Adjust stock")).to_be_visible()
    # The stock it starts from, and no "Count" (the Count dialog sets a counted quantity).
    expect(dialog.locator(".current-stock")).to_contain_text("7 on hand")
    expect(dialog.locator(".current-stock")).to_contain_text("7 available")
    expect(dialog.locator("select[name=type] option[value=COUNT]")).to_have_count(0)
    expect(dialog).to_contain_text("signed change")
    dialog.get_by_label("Type").select_option("RESTOCK")
    dialog.get_by_label("Quantity").fill("5")
    dialog.get_by_label("Reason").fill("E2E delivery 4711")
    dialog.get_by_role("button", name="Save adjustment").click()

    # The dialog closes and the row shows the new quantity, without a page reload.
    expect(dialog).to_be_hidden()
    expect(row.locator("td.on-hand")).to_have_text("12")
    expect(page.locator("#messages")).to_contain_text("7 → 12")
    assert page.evaluate("window.stockroomNoReload") is True
    level.refresh_from_db()
    assert level.on_hand == 12
    assert StockMovement.objects.filter(level=level, type="RESTOCK", delta=5, reason="E2E delivery 4711").count() == 1

    # The history page lists the movement with its reason.
    page.get_by_role("link", name="History").click()
    history_row = page.locator("#movement-results tbody tr", has_text="E2E delivery 4711")
    expect(history_row).to_have_count(1)
    expect(history_row).to_contain_text("E2E-RED-M")
    expect(history_row).to_contain_text("+5")
    expect(history_row).to_contain_text("7 → 12")
    expect(history_row).to_contain_text("e2e-staff")

    assert page.console_errors == []

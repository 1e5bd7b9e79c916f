"""The inventory list keeps up with what happens to it: a transfer into a location with no
stock yet shows the new row at once, and Back/Forward put the filter controls back as the
address says."""
import re

import pytest

from inventory.models import StockLevel
from tests import factories
from tests.e2e.helpers import log_in, staff_user_make, stock_make
from tests.e2e.test_purchase_flow import log_in as manager_log_in
from tests.e2e.test_purchase_flow import manager_user_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_transfer_into_a_new_location_shows_both_rows_without_reload(page):
    from playwright.sync_api import expect

    manager_user_make()
    source = stock_make()
    factories.LocationFactory(code="store", name="Shop floor")
    manager_log_in(page)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.goto("/inventory/?q=E2E-RED")
    page.evaluate("window.stockroomNoReload = true")
    rows = page.locator("#stock-results tbody tr")
    expect(rows).to_have_count(1)
    row = page.locator(f"#level-{source.pk}")
    row.get_by_role("button", name="Transfer").click()
    dialog = page.locator("dialog#modal")
    expect(dialog).to_be_visible()
    dialog.get_by_label("To").select_option("store")
    dialog.get_by_label("Quantity").fill("3")
    dialog.get_by_label("Reason").fill("Refill the shop")
    dialog.get_by_role("button", name=re.compile("transfer", re.I)).click()

    expect(dialog).to_be_hidden()
    target = StockLevel.objects.get(variant=source.variant, location__code="store")
    # Both rows, in place: the source's new figure, and the new level's row.
    expect(row.locator("td.on-hand")).to_have_text("4")
    new_row = page.locator(f"#level-{target.pk}")
    expect(new_row).to_be_visible()
    expect(new_row.locator("td.on-hand")).to_have_text("3")
    expect(rows).to_have_count(2)
    assert page.evaluate("window.stockroomNoReload") is True
    assert "q=E2E-RED" in page.url
    assert page.console_errors == []


def test_back_and_forward_put_the_filter_controls_back(page):
    from playwright.sync_api import expect

    staff_user_make()
    stock_make()
    factories.LocationFactory(code="store", name="Shop floor")
    log_in(page)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.goto("/inventory/")
    rows = page.locator("#stock-results tbody tr")
    expect(rows).to_have_count(2)
    search = page.get_by_placeholder("Search name, SKU or barcode")
    location = page.locator("#stock-filters select[name=location]")
    status = page.locator("#stock-filters select[name=status]")

    search.fill("E2E-RED")
    expect(page).to_have_url(re.compile(r"q=E2E-RED"))
    expect(rows).to_have_count(1)
    location.select_option("main")
    expect(page).to_have_url(re.compile(r"q=E2E-RED.*location=main"))
    status.select_option("low")
    expect(page).to_have_url(re.compile(r"status=low"))
    expect(rows).to_have_count(1)  # 7 on hand, threshold 10: low
    search.fill("")
    expect(page).to_have_url(re.compile(r"q=&"))
    expect(rows).to_have_count(1)  # the hat has 30: not low

    # Back: the list and the controls of the step before.
    page.go_back()
    expect(page).to_have_url(re.compile(r"q=E2E-RED.*status=low"))
    expect(search).to_have_value("E2E-RED")
    expect(location).to_have_value("main")
    expect(status).to_have_value("low")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("E2E-RED-M")

    page.go_back()
    expect(page).to_have_url(re.compile(r"q=E2E-RED.*location=main&status=&"))
    expect(search).to_have_value("E2E-RED")
    expect(location).to_have_value("main")
    expect(status).to_have_value("")

    page.go_back()
    expect(location).to_have_value("")
    expect(search).to_have_value("E2E-RED")

    # Forward again.
    page.go_forward()
    expect(location).to_have_value("main")
    page.go_forward()
    expect(status).to_have_value("low")

    assert page.console_errors == []

import re

import pytest

from inventory.models import StockMovement
from orders.models import OrderSource, OrderStatus, SalesOrder
from tests.e2e.helpers import log_in, staff_user_make, stock_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_order_flow_manual_order_created_confirmed_and_shipped(page):
    from playwright.sync_api import expect

    staff_user_make()
    level = stock_make()

    log_in(page)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # Orders from the navigation, then a new manual order.
    page.get_by_role("link", name="Orders").click()
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    page.get_by_role("button", name="New order").click()
    expect(page.get_by_role("heading", name="New order")).to_be_visible()
    page.get_by_label("Customer", exact=True).fill("Brick & Co (phone)")

    # SKU autocomplete: type part of the SKU, pick the suggestion.
    first = page.locator(".order-line").first
    first.get_by_label("SKU").press_sequentially("e2e-red", delay=30)
    suggestion = first.locator(".sku-option", has_text="E2E-RED-M")
    expect(suggestion).to_be_visible()
    expect(suggestion).to_contain_text("7 available")
    expect(first.locator(".line-availability")).to_be_empty()  # no "Unknown SKU" while typing
    suggestion.click()
    expect(first.get_by_label("SKU")).to_have_value("E2E-RED-M")
    expect(first.locator(".sku-option")).to_have_count(0)
    expect(first.get_by_label("Quantity")).to_be_focused()

    # Live availability follows the quantity.
    availability = first.locator(".line-availability")
    expect(availability).to_contain_text("Rain jacket")
    first.get_by_label("Quantity").fill("9")
    expect(availability).to_contain_text("Only 7 available")
    first.get_by_label("Quantity").fill("3")
    expect(availability).to_have_text(re.compile(r"Rain jacket.*\b7 available", re.S))

    # Add a second line, then remove it again.
    page.get_by_role("button", name="Add line").click()
    expect(page.locator(".order-line")).to_have_count(2)
    second = page.locator(".order-line").nth(1)
    expect(second.get_by_label("SKU")).to_be_focused()
    second.get_by_label("SKU").fill("NOPE-404")
    second.get_by_label("SKU").press("Tab")
    expect(second.locator(".line-availability")).to_contain_text("Unknown SKU")
    second.get_by_role("button", name="Remove").click()
    expect(page.locator(".order-line")).to_have_count(1)

    page.get_by_role("button", name="Create order").click()
    order = SalesOrder.objects.get()
    expect(page).to_have_url(re.compile(rf"/orders/{order.number}/$"))
    expect(page.locator("#messages")).to_contain_text(f"Order {order.number} created")
    expect(page.locator("h1 .order-status")).to_have_text("Pending")
    assert (order.source, order.customer_name) == (OrderSource.MANUAL, "Brick & Co (phone)")
    assert [(line.variant.sku, line.quantity) for line in order.lines.all()] == [("E2E-RED-M", 3)]

    # Confirm, then ship: htmx swaps the order body in place, no page reload.
    page.evaluate("window.stockroomNoReload = true")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("h1 .order-status")).to_have_text("Confirmed")
    expect(page.locator("#reservation")).to_contain_text("held until shipped")
    expect(page.locator("#messages")).to_contain_text("is now confirmed")
    expect(page.locator("#messages")).not_to_contain_text("created")
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (7, 3)

    page.get_by_role("button", name="Mark shipped").click()
    expect(page.locator("h1 .order-status")).to_have_text("Shipped")
    expect(page.locator("#messages")).to_contain_text("is now shipped")
    timeline = page.locator(".timeline")
    expect(timeline.locator(".timeline-movement")).to_have_count(1)
    expect(timeline.locator(".timeline-movement")).to_contain_text("Sale")
    expect(timeline.locator(".timeline-movement")).to_contain_text("-3")
    assert page.evaluate("window.stockroomNoReload") is True
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED

    # The variant page shows the stock taken out and the SALE movement.
    page.get_by_role("link", name="E2E-RED-M").click()
    expect(page.get_by_role("heading", name="Rain jacket")).to_be_visible()
    expect(page.locator(f"#variant-level-{level.pk} td.on-hand")).to_have_text("4")
    sale_row = page.locator(".movement-table tbody tr", has_text="Sale")
    expect(sale_row).to_have_count(1)
    expect(sale_row).to_contain_text("-3")
    expect(sale_row).to_contain_text(order.number)
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (4, 0)
    assert list(StockMovement.objects.filter(sales_order=order).values_list("type", "delta")) == [("SALE", -3)]

    # Back on the order page (full load), it is shipped.
    page.goto(f"/orders/{order.number}/")
    expect(page.locator("h1 .order-status")).to_have_text("Shipped")
    expect(page.locator("#reservation")).to_contain_text("Sold")

    assert page.console_errors == []


def test_order_flow_cancel_asks_first(page):
    from playwright.sync_api import expect

    from orders.services import OrderLineRequest, sales_order_create, sales_order_transition

    staff_user_make()
    level = stock_make()
    order = sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=3)], customer_name="Acme")
    sales_order_transition(order=order, to=OrderStatus.CONFIRMED)

    log_in(page)
    page.goto(f"/orders/{order.number}/")
    expect(page.locator("#reservation")).to_contain_text("held until shipped")

    # Dismissing the question changes nothing.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Cancel order").click()
    expect(page.get_by_role("button", name="Cancel order")).to_be_enabled()
    assert asked and asked[0].startswith("Cancel this order?")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED

    # Accepting cancels the order and gives the reserved units back.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel order").click()
    expect(page.locator("h1 .order-status")).to_have_text("Cancelled")
    expect(page.locator("#reservation")).to_contain_text("Released")
    expect(page.locator("#order-actions")).to_contain_text("The order is closed.")
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (7, 0)

    assert page.console_errors == []

"""A phone order, in the browser: warned before creating it short of stock, its lines edited
while pending, a payment recorded, then only the actions that make sense on offer."""
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from accounts.roles import MANAGER, MANAGER_PERMISSIONS
from orders.models import OrderPayment, OrderStatus, SalesOrder
from tests import factories
from tests.e2e.helpers import PASSWORD, log_in, role_group_make, stock_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MANAGER_NAME = "e2e-manager"


def manager_user_make():
    user = get_user_model().objects.create_user(MANAGER_NAME, password=PASSWORD, first_name="Mara")
    user.groups.add(role_group_make(MANAGER, MANAGER_PERMISSIONS))
    return user


def test_order_edit_and_payment_flow(page):
    from playwright.sync_api import expect

    manager_user_make()
    level = stock_make()  # E2E-RED-M: 7 at main; E2E-BLUE-L: 30 at main
    store = factories.LocationFactory(code="store", name="Shop floor")

    log_in(page, MANAGER_NAME)
    page.goto("/orders/new/")
    expect(page.get_by_role("heading", name="New order")).to_be_visible()
    page.get_by_label("Customer", exact=True).fill("Brick & Co (phone)")
    expect(page.get_by_label("Ship from")).to_contain_text("store — Shop floor")

    # More than is available: the line says so, and creating asks first.
    first = page.locator(".order-line").first
    first.get_by_label("SKU").fill("E2E-RED-M")
    first.get_by_label("SKU").press("Tab")
    first.get_by_label("Quantity").fill("9")
    expect(first.locator(".line-availability")).to_contain_text("Only 7 available at main")
    page.get_by_role("button", name="Create order", exact=True).click()
    expect(page.locator("#order-shortfalls")).to_contain_text("E2E-RED-M: 9 requested, 7 available at main")
    assert SalesOrder.objects.count() == 0
    page.get_by_role("button", name="Create anyway").click()
    order = SalesOrder.objects.get()
    expect(page).to_have_url(re.compile(rf"/orders/{order.number}/$"))
    expect(page.locator("h1 .order-status")).to_have_text("Pending")
    expect(page.locator("#order-ship-from")).to_have_text("Default location")

    # Edit the pending order in place: fewer jackets, plus a hat.
    page.evaluate("window.stockroomNoReload = true")
    page.get_by_role("button", name="Edit lines").click()
    form = page.locator("#order-edit-form")
    expect(form).to_be_visible()
    # The edit form fits a phone too.
    page.set_viewport_size({"width": 390, "height": 844})
    expect(form.get_by_role("button", name="Save lines")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    rows = form.locator(".order-line")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_label("SKU")).to_have_value("E2E-RED-M")
    rows.first.get_by_label("Quantity").fill("3")
    expect(rows.first.locator(".line-availability")).to_contain_text("7 available at main")
    form.get_by_role("button", name="Add line").click()
    expect(rows).to_have_count(2)
    second = rows.nth(1)
    expect(second.get_by_label("SKU")).to_be_focused()
    second.get_by_label("SKU").press_sequentially("e2e-blue", delay=30)
    second.locator(".sku-option", has_text="E2E-BLUE-L").click()
    expect(second.get_by_label("SKU")).to_have_value("E2E-BLUE-L")
    expect(second.locator(".line-availability")).to_contain_text("30 available at main")
    second.get_by_label("Quantity").fill("2")
    form.get_by_role("button", name="Save lines").click()

    expect(page.locator("#messages")).to_contain_text(f"Order {order.number} updated.")
    expect(page.locator("#order-edit-form")).to_have_count(0)
    lines = page.locator("table.order-lines tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("E2E-RED-M")
    expect(lines.nth(1)).to_contain_text("E2E-BLUE-L")
    expect(page.locator(".timeline")).to_contain_text("Order changed: E2E-RED-M quantity 9 → 3; added E2E-BLUE-L × 2")
    assert [(line.variant.sku, line.quantity) for line in order.lines.order_by("id")] == [
        ("E2E-RED-M", 3), ("E2E-BLUE-L", 2)]
    order.refresh_from_db()
    assert order.total == Decimal("99.95")  # 5 × 19.99

    # Unpaid: cancel, but no refund.
    actions = page.locator("#order-actions")
    expect(actions.get_by_role("button", name="Cancel order")).to_be_visible()
    expect(actions.get_by_role("button", name="Refund")).to_have_count(0)

    # Ship from the shop floor instead.
    page.get_by_label("Ship from").select_option(label="store — Shop floor")
    page.get_by_role("button", name="Change ship-from").click()
    expect(page.locator("#messages")).to_contain_text(f"Order {order.number} ships from store.")
    expect(page.locator("#order-ship-from")).to_contain_text("store — Shop floor")
    order.refresh_from_db()
    assert order.ship_from == store
    page.get_by_label("Ship from").select_option(label="Default location")
    page.get_by_role("button", name="Change ship-from").click()
    expect(page.locator("#order-ship-from")).to_have_text("Default location")

    # Record a card payment for part of it, then the rest.
    payment = page.locator("#payment-form")
    expect(payment).to_contain_text("Still due: 99.95 USD")
    expect(payment.get_by_label("Amount")).to_have_value("99.95")
    payment.get_by_label("Method").select_option(label="Card")
    payment.get_by_label("Amount").fill("150")
    payment.get_by_role("button", name="Record payment").click()
    expect(page.locator("#payment-form")).to_contain_text("The amount is more than what is still due (99.95 USD).")
    assert OrderPayment.objects.count() == 0

    page.locator("#payment-form").get_by_label("Amount").fill("40.00")
    page.locator("#payment-form").get_by_label("Reference").fill("slip 0042")
    page.locator("#payment-form").get_by_role("button", name="Record payment").click()
    expect(page.locator("#messages")).to_contain_text("59.95 USD still due")
    expect(page.locator("#order-paid")).to_contain_text("40.00 USD so far · 59.95 USD due")
    expect(page.locator("#order-payments")).to_contain_text("slip 0042")

    # Paid in part: a refund is offered, cancelling is not.
    expect(actions.get_by_role("button", name="Refund")).to_be_visible()
    expect(actions.get_by_role("button", name="Cancel order")).to_have_count(0)
    # Paid, the lines stay editable while pending; confirming reserves the new lines.
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("h1 .order-status")).to_have_text("Confirmed")
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (7, 3)
    expect(page.get_by_role("button", name="Edit lines")).to_have_count(0)

    page.locator("#payment-form").get_by_label("Amount").fill("59.95")
    page.locator("#payment-form").get_by_label("Method").select_option(label="Bank transfer")
    page.locator("#payment-form").get_by_role("button", name="Record payment").click()
    expect(page.locator("#messages")).to_contain_text("paid in full")
    expect(page.locator("#payment-form")).to_have_count(0)
    expect(page.locator("#order-payments tbody tr")).to_have_count(2)

    order.refresh_from_db()
    assert order.is_paid and order.amount_paid == Decimal("99.95") and order.status == OrderStatus.CONFIRMED
    assert page.evaluate("window.stockroomNoReload") is True
    assert page.console_errors == []

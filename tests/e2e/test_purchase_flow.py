import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from accounts.roles import MANAGER, MANAGER_PERMISSIONS
from inventory.models import StockLevel, StockMovement
from purchasing.models import PurchaseOrder, PurchaseOrderStatus
from tests.e2e.helpers import stock_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

USERNAME = "e2e-manager"
PASSWORD = "e2e-pass-word-456"


def manager_user_make():
    # Transactional tests flush the database, data migrations included: make the role here.
    group, _ = Group.objects.get_or_create(name=MANAGER)
    group.permissions.set(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in (name.split(".") for name in MANAGER_PERMISSIONS)
    )
    user = get_user_model().objects.create_user(USERNAME, password=PASSWORD, first_name="Maya")
    user.groups.add(group)
    return user


def supplier_make():
    """A supplier selling the jacket (4.40 a unit) and the hat (2.10), made through its services."""
    from inventory.models import Variant
    from suppliers.services import supplier_create, supplier_item_create

    supplier = supplier_create(name="Northwind Textiles", contact_name="Ada", address="1 Mill Lane\nLeeds")
    supplier_item_create(supplier=supplier, variant=Variant.objects.get(sku="E2E-RED-M"), supplier_sku="NW-RED",
                         unit_cost=Decimal("4.40"))
    supplier_item_create(supplier=supplier, variant=Variant.objects.get(sku="E2E-BLUE-L"), supplier_sku="NW-BLUE",
                         unit_cost=Decimal("2.10"))
    return supplier


def log_in(page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_purchase_flow_order_submitted_shipped_and_received_in_two_parts(page):
    from playwright.sync_api import expect

    manager_user_make()
    jacket_level = stock_make()
    hat_level = StockLevel.objects.get(variant__sku="E2E-BLUE-L")
    supplier_make()

    log_in(page)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # Purchasing from the navigation, then a new purchase order.
    page.get_by_role("link", name="Purchasing").click()
    expect(page.get_by_role("heading", name="Purchase orders")).to_be_visible()
    page.get_by_role("button", name="New purchase order").click()
    expect(page.get_by_role("heading", name="New purchase order")).to_be_visible()
    page.locator("#id_supplier").select_option(label="Northwind Textiles")

    # Line 1: the SKU autocomplete fills in the supplier's cost.
    first = page.locator(".po-line").first
    first.get_by_label("SKU").press_sequentially("e2e-red", delay=30)
    suggestion = first.locator(".sku-option", has_text="E2E-RED-M")
    expect(suggestion).to_contain_text("NW-RED")
    suggestion.click()
    expect(first.get_by_label("SKU")).to_have_value("E2E-RED-M")
    expect(first.get_by_label("Unit cost")).to_have_value("4.40")
    expect(first.locator(".line-info")).to_contain_text("Rain jacket")
    expect(first.get_by_label("Quantity")).to_be_focused()
    first.get_by_label("Quantity").fill("10")

    # Line 2, found by the supplier's own SKU.
    page.get_by_role("button", name="Add line").click()
    expect(page.locator(".po-line")).to_have_count(2)
    second = page.locator(".po-line").nth(1)
    expect(second.get_by_label("SKU")).to_be_focused()
    second.get_by_label("SKU").press_sequentially("nw-blue", delay=30)
    second.locator(".sku-option", has_text="E2E-BLUE-L").click()
    expect(second.get_by_label("Unit cost")).to_have_value("2.10")
    second.get_by_label("Quantity").fill("6")
    page.get_by_label("Shipping").fill("5.00")

    page.get_by_role("button", name="Save draft", exact=True).click()
    order = PurchaseOrder.objects.get()
    expect(page).to_have_url(re.compile(rf"/purchase-orders/{order.pk}/$"))
    expect(page.locator("#messages")).to_contain_text(f"Purchase order {order.number} saved as a draft.")
    expect(page.locator("h1 .po-status")).to_have_text("Draft")
    expect(page.locator(".po-total")).to_contain_text("61.60 USD")  # 44.00 + 12.60 + 5.00 shipping

    # Submit, confirm, ship: htmx swaps the body in place, no page reload.
    page.evaluate("window.stockroomNoReload = true")
    page.get_by_role("button", name="Submit to supplier").click()
    expect(page.locator("h1 .po-status")).to_have_text("Pending")
    expect(page.locator("#messages")).to_contain_text("is now pending")
    page.get_by_role("button", name="Mark confirmed").click()
    expect(page.locator("h1 .po-status")).to_have_text("Confirmed")
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.locator("h1 .po-status")).to_have_text("Shipped")

    # Receive part of line 1 only.
    page.get_by_role("button", name="Receive goods").click()
    dialog = page.locator("#modal")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Received quantity of E2E-RED-M")).to_have_value("10")
    dialog.get_by_label("Received quantity of E2E-RED-M").fill("4")
    dialog.get_by_label("Received quantity of E2E-BLUE-L").fill("0")
    dialog.get_by_role("button", name="Receive goods").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("h1 .po-status")).to_have_text("Partially received")
    expect(page.locator("#messages")).to_contain_text(f"Received 4 units against {order.number}")
    expect(page.locator("#po-body .outstanding").first).to_have_text("6")

    # Receive the rest: the dialog offers what is outstanding.
    page.get_by_role("button", name="Receive goods").click()
    expect(dialog.get_by_label("Received quantity of E2E-RED-M")).to_have_value("6")
    expect(dialog.get_by_label("Received quantity of E2E-BLUE-L")).to_have_value("6")
    dialog.get_by_role("button", name="Receive goods").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("h1 .po-status")).to_have_text("Received")
    expect(page.locator(".po-receipts > li")).to_have_count(2)
    expect(page.get_by_role("button", name="Receive goods")).to_have_count(0)
    assert page.evaluate("window.stockroomNoReload") is True

    jacket_level.refresh_from_db()
    hat_level.refresh_from_db()
    assert (jacket_level.on_hand, hat_level.on_hand) == (7 + 10, 30 + 6)
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.RECEIVED
    assert StockMovement.objects.filter(purchase_order=order, type="RESTOCK").count() == 3

    # The stock history shows the three restocks, each linked to the purchase order.
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="Stock history")).to_be_visible()
    rows = page.locator(".movement-table tbody tr", has=page.get_by_role("link", name=order.number))
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Restock")
    rows.first.get_by_role("link", name=order.number).click()
    expect(page).to_have_url(re.compile(rf"/purchase-orders/{order.pk}/$"))

    assert page.console_errors == []

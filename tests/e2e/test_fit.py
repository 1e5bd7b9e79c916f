"""Every main page fits the screen: with demo data, as Admin, at 1440×900 and 1280×800 (laptops)
and 390×844 (a phone) no page scrolls sideways. The `page` fixture checks each page with axe-core too."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.roles import ADMIN
from backups.services.jobs import backup_request, backup_run
from inventory.models import Variant
from orders.models import SalesOrder
from purchasing.models import PurchaseOrder
from suppliers.models import Supplier
from tests.backups import backup_dir  # noqa: F401
from tests.e2e.helpers import log_in, stock_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

USERNAME = "e2e-fit-admin"
PASSWORD = "e2e-pass-word-fit"
VIEWPORTS = [(1440, 900), (1280, 800), (390, 844)]
# Products in the demo shop: enough for long tables, several pages and suppliers with many items.
DEMO_PRODUCTS = 60


def admin_user_make():
    # Transactional tests flush the database, data migrations included: make the role here.
    group, _ = Group.objects.get_or_create(name=ADMIN)
    user = get_user_model().objects.create_superuser(USERNAME, email="fit@example.com", password=PASSWORD,
                                                     first_name="Fitz")
    user.groups.add(group)
    return user


def demo_pages() -> dict[str, str]:
    """The main pages, each with the demo data's most crowded example."""
    from demo.services import demo_seed

    demo_seed(products=DEMO_PRODUCTS)
    backup_run(backup_id=backup_request().pk)
    variant = Variant.objects.order_by("sku").first()
    supplier = max(Supplier.objects.all(), key=lambda s: s.items.count())
    purchase_order = max(PurchaseOrder.objects.all(), key=lambda po: po.lines.count())
    order = max(SalesOrder.objects.all(), key=lambda o: o.lines.count())
    product = max({v.product for v in Variant.objects.select_related("product")}, key=lambda p: p.variants.count())
    return {
        "dashboard": "/",
        "inventory list": "/inventory/",
        "movements": "/inventory/history/",
        "variant page": f"/inventory/variants/{variant.sku}/",
        "alerts": "/inventory/alerts/",
        "orders list": "/orders/",
        "order detail": f"/orders/{order.number}/",
        "new order": "/orders/new/",
        "suppliers list": "/suppliers/",
        "supplier detail": f"/suppliers/{supplier.pk}/",
        "purchase orders list": "/purchase-orders/",
        "purchase order detail": f"/purchase-orders/{purchase_order.pk}/",
        "new purchase order": "/purchase-orders/new/",
        "imports": "/data/imports/",
        "exports": "/data/exports/",
        "bulk update": "/data/bulk-update/",
        "backups": "/backups/",
        "products list": "/products/",
        "product detail": f"/products/{product.pk}/",
        "product edit": f"/products/{product.pk}/edit/",
        "new product": "/products/new/",
        "add variants": f"/products/{product.pk}/variants/add/",
        "categories": "/categories/",
        "locations": "/locations/",
    }


def overflow(page) -> dict:
    return page.evaluate(
        "() => ({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth})"
    )


def test_fit_main_pages_never_scroll_sideways_on_a_laptop_or_a_phone(page, backup_dir):
    from playwright.sync_api import expect

    admin_user_make()
    pages = demo_pages()
    log_in(page, USERNAME, PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    too_wide = []
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        for name, url in pages.items():
            response = page.goto(url)
            assert response.status == 200, f"{name} ({url}) answered {response.status}"
            expect(page.locator("main h1").first).to_be_visible()
            size = overflow(page)
            if size["scrollWidth"] > size["innerWidth"]:
                too_wide.append(f"{width}×{height} {name} ({url}): {size['scrollWidth']} px wide")
    assert not too_wide, "Pages wider than the window:\n" + "\n".join(too_wide)


def test_fit_phone_navigation_folds_into_a_menu_and_rows_keep_what_matters(page):
    from playwright.sync_api import expect

    admin_user_make()
    level = stock_make()
    log_in(page, USERNAME, PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")

    menu = page.get_by_role("button", name="Menu")
    inventory_link = page.locator("#nav-links").get_by_role("link", name="Inventory")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(inventory_link).to_be_hidden()
    # Folded, the header takes a small part of the first screen.
    assert page.locator(".site-header").bounding_box()["height"] < 844 * 0.15

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    inventory_link.click()
    expect(page.get_by_role("heading", name="Inventory")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")

    # The list keeps SKU, product, available and status; the row's actions are in a menu.
    table = page.locator("table.stock-table")
    for column in ("SKU", "Product", "Available", "Status"):
        expect(table.get_by_role("columnheader", name=column)).to_be_visible()
    for column in ("Location", "On hand", "Reserved"):
        expect(table.get_by_role("columnheader", name=column)).to_be_hidden()
    row = page.locator(f"#level-{level.pk}")
    expect(row.get_by_role("link", name="Adjust")).to_be_hidden()
    row.locator("details.row-menu > summary").click()
    row.get_by_role("link", name="Adjust").click()
    dialog = page.locator("dialog#modal")
    expect(dialog.get_by_role("heading", name="Adjust stock")).to_be_visible()
    box = dialog.locator("article").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []

    # On a laptop the links are in the bar and the button is gone.
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.locator("#nav-links").get_by_role("link", name="Inventory")).to_be_visible()


def test_fit_supplier_items_are_paged_and_searched_as_you_type(page):
    from playwright.sync_api import expect

    from tests import factories

    admin_user_make()
    supplier = factories.SupplierFactory(name="Paging Textiles")
    for n in range(60):
        factories.SupplierItemFactory(supplier=supplier, variant=factories.VariantFactory(sku=f"FIT-{n:03d}"),
                                      supplier_sku=f"PT-{n:03d}")
    log_in(page, USERNAME, PASSWORD)
    page.goto(f"/suppliers/{supplier.pk}/")

    rows = page.locator("#supplier-item-rows > tr")
    expect(rows).to_have_count(25)
    results = page.locator("#supplier-item-results")
    expect(results).to_contain_text("60 items")
    expect(results).to_contain_text("Page 1 of 3")

    # A bigger page size, kept in the address.
    results.get_by_label("Rows per page").select_option("100")
    expect(rows).to_have_count(60)
    expect(page).to_have_url(re.compile(r"page_size=100"))

    # Search as you type: our SKU or the supplier's; the page size stays.
    page.get_by_placeholder("Search SKU, product or supplier SKU").fill("PT-05")
    expect(rows).to_have_count(10)
    expect(results).to_contain_text("10 items matching")
    expect(page).to_have_url(re.compile(r"q=PT-05"))
    expect(page).to_have_url(re.compile(r"page_size=100"))
    assert page.console_errors == []

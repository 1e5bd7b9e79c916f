"""An owner builds the catalogue in the browser: a category, then a product with a 3×2
variant matrix and an image, finds it in the products list, then receives stock for a new
variant straight from the inventory list and finds it there by search."""
import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from inventory.models import Product
from tests import factories
from tests.e2e.helpers import log_in
from tests.inventory.catalogue_helpers import png_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OWNER, PASSWORD = "e2e-owner", "e2e-owner-pass-123"


def _shot(page, name: str) -> None:
    """A screenshot for a person to look at, when E2E_SCREENSHOTS names a folder."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"catalogue-{name}.png"), full_page=True)


def test_owner_creates_category_and_product_with_variant_matrix_and_image(page, settings, tmp_path):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    get_user_model().objects.create_superuser(OWNER, password=PASSWORD, email="owner@example.com")
    factories.LocationFactory(code="main", name="Main warehouse", is_default=True)
    image = tmp_path / "shirt.png"
    image.write_bytes(png_bytes(width=400, height=300, colour=(20, 60, 160)))

    log_in(page, OWNER, PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # A category, from the categories page.
    page.goto("/categories/")
    page.get_by_label("Name", exact=True).fill("Shirts")
    page.get_by_role("button", name="Add category").click()
    expect(page.locator("#messages")).to_contain_text("Category Shirts created.")
    expect(page.locator(".category-table")).to_contain_text("Shirts")

    # A product: its fields, an image, two options; the form proposes the six combinations.
    page.goto("/products/new/")
    page.get_by_label("Name", exact=True).fill("Linen shirt")
    page.get_by_label("Category").select_option(label="Shirts")
    page.get_by_label("Price").fill("25.00")
    page.get_by_label("Cost").fill("9.50")
    page.get_by_label("Image", exact=True).set_input_files(str(image))
    page.get_by_label("Option 1 name").fill("Size")
    page.get_by_label("Option 1 values").fill("S, M, L")
    page.get_by_label("Option 2 name").fill("Colour")
    page.get_by_label("Option 2 values").fill("Black, Blue")
    page.get_by_role("button", name="Generate variants").click()
    rows = page.locator("#variant-matrix tbody tr")
    expect(rows).to_have_count(6)
    expect(page.get_by_label("SKU for S / Black")).to_have_value("LINEN-SHIRT-S-BLACK")
    _shot(page, "product-form-matrix")
    page.get_by_label("SKU for L / Blue").fill("LS-LARGE-BLUE")
    page.get_by_role("button", name="Create product").click()

    expect(page.get_by_role("heading", name="Linen shirt")).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("created with 6 variants")
    expect(page.locator(".variant-table tbody tr")).to_have_count(6)
    expect(page.locator(".variant-table")).to_contain_text("LS-LARGE-BLUE")
    _shot(page, "product-detail")
    product = Product.objects.get(name="Linen shirt")
    assert product.category.name == "Shirts" and product.image and product.thumbnail
    assert product.variants.count() == 6

    # The products list finds it as you type, with its thumbnail.
    page.goto("/products/")
    page.get_by_placeholder("Search name, SKU or barcode").fill("linen")
    row = page.locator(f"#product-{product.pk}")
    expect(row).to_contain_text("Linen shirt")
    expect(row).to_contain_text("Shirts")
    thumb = row.locator("img.thumb")
    expect(thumb).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", thumb.element_handle()) == 160
    _shot(page, "product-list")
    page.goto("/categories/")
    _shot(page, "categories")

    # A new variant is in the inventory list with no stock yet; stock is received from its row.
    page.goto("/inventory/")
    page.get_by_placeholder("Search name, SKU or barcode").fill("LINEN-SHIRT-S-BLACK")
    rows = page.locator("#stock-results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("No stock")
    rows.first.get_by_role("button", name="Adjust").click()
    dialog = page.locator("dialog#modal")
    expect(dialog.get_by_role("heading", name="Adjust stock")).to_be_visible()
    dialog.get_by_label("Type").select_option("RESTOCK")
    dialog.get_by_label("Quantity").fill("12")
    dialog.get_by_label("Reason").fill("First delivery")
    dialog.get_by_role("button", name="Save adjustment").click()
    expect(dialog).to_be_hidden()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td.on-hand")).to_have_text("12")
    expect(rows.first).to_contain_text("In stock")
    variant = product.variants.get(sku="LINEN-SHIRT-S-BLACK")
    assert variant.stock_levels.get().on_hand == 12

    # Found again by a broad search, next to its siblings that still have none.
    page.get_by_placeholder("Search name, SKU or barcode").fill("linen shirt")
    expect(rows).to_have_count(6)
    _shot(page, "inventory-after-receiving")

    assert page.console_errors == []

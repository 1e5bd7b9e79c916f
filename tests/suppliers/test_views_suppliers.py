import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from suppliers.models import Supplier, SupplierItem
from tests import factories
from tests.suppliers.helpers import purchase_order_for, purchase_order_received

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def _text(response) -> str:
    return response.content.decode()


def _url(name: str, supplier=None, item=None) -> str:
    kwargs = {}
    if supplier is not None:
        kwargs["supplier_id"] = supplier.pk
    if item is not None:
        kwargs["item_id"] = item.pk
    return reverse(f"suppliers:{name}", kwargs=kwargs)


def _supplier_data(**fields) -> dict:
    data = {"name": "Acme Ltd", "contact_name": "Ann Smith", "email": "ann@acme.test", "phone": "555 0100",
            "website": "acme.test", "address": "1 High Street", "notes": "Net 30", "active": "on"}
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def _item_data(sku: str, **fields) -> dict:
    data = {"item-sku": sku, "item-supplier_sku": "AC-1", "item-unit_cost": "3.20", "item-lead_time_days": "5",
            "item-minimum_order_quantity": "10"}
    data.update({f"item-{key}": value for key, value in fields.items()})
    return data


def _no_inline_script_or_style(text: str) -> None:
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text) == []
    assert " style=" not in text
    assert " onclick=" not in text


# --- list -------------------------------------------------------------------------

def test_supplier_list_view_renders_suppliers_with_links(staff_client):
    supplier = factories.SupplierFactory(name="Acme Ltd", contact_name="Ann Smith", email="ann@acme.test")
    factories.SupplierItemFactory.create_batch(2, supplier=supplier)

    response = staff_client.get(_url("supplier_list"))

    assert response.status_code == 200
    text = _text(response)
    assert "<html" in text
    assert f'href="{_url("supplier_detail", supplier)}"' in text
    assert "Acme Ltd" in text and "Ann Smith" in text
    assert 'hx-trigger="input changed delay:300ms, search"' in text
    assert "New supplier" not in text  # Staff cannot create suppliers
    _no_inline_script_or_style(text)


def test_supplier_list_view_offers_new_supplier_to_managers(manager_client):
    text = _text(manager_client.get(_url("supplier_list")))

    assert f'href="{_url("supplier_create")}"' in text


def test_supplier_list_view_htmx_returns_the_rows_fragment(staff_client):
    factories.SupplierFactory(name="Acme Ltd")
    factories.SupplierFactory(name="Brick Co")

    response = staff_client.get(_url("supplier_list"), {"q": "acme"}, headers=HX)

    assert response.status_code == 200
    text = _text(response)
    assert "<html" not in text
    assert 'id="supplier-filters"' not in text
    assert "Acme Ltd" in text and "Brick Co" not in text
    assert "1 supplier" in text
    assert "HX-Request" in response["Vary"]


def test_supplier_list_view_filters_on_active(staff_client):
    factories.SupplierFactory(name="Acme Ltd")
    factories.SupplierFactory(name="Gone Ltd", active=False)

    inactive = _text(staff_client.get(_url("supplier_list"), {"active": "false"}))
    active = _text(staff_client.get(_url("supplier_list"), {"active": "true"}))

    assert "Gone Ltd" in inactive and "Acme Ltd" not in inactive
    assert "Acme Ltd" in active and "Gone Ltd" not in active


def test_supplier_list_view_ignores_garbage_parameters(staff_client):
    factories.SupplierFactory(name="Acme Ltd")

    response = staff_client.get(_url("supplier_list"), {"active": "maybe", "page": "x", "q": "a" * 500})

    assert response.status_code == 200
    assert "Acme Ltd" in _text(response)


def test_supplier_list_view_paginates(staff_client):
    for n in range(30):
        factories.SupplierFactory(name=f"Supplier {n:02d}")

    first = _text(staff_client.get(_url("supplier_list")))
    second = _text(staff_client.get(_url("supplier_list"), {"page": 2}))

    assert "Supplier 00" in first and "Supplier 29" not in first
    assert "Page 1 of 2" in first
    assert "Supplier 29" in second


def test_supplier_list_view_anonymous_is_sent_to_login(client):
    response = client.get(_url("supplier_list"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- detail -----------------------------------------------------------------------

def test_supplier_detail_view_shows_contact_items_orders_and_costs_to_managers(manager_client, default_location):
    item = factories.SupplierItemFactory(supplier=factories.SupplierFactory(
        name="Acme Ltd", contact_name="Ann Smith", email="ann@acme.test", website="https://acme.test"),
        unit_cost=Decimal("3.20"), supplier_sku="AC-77", preferred=True)
    order = purchase_order_for(item.supplier, item.variant, quantity=4)

    response = manager_client.get(_url("supplier_detail", item.supplier))

    assert response.status_code == 200
    text = _text(response)
    assert "Ann Smith" in text and "mailto:ann@acme.test" in text
    assert item.variant.sku in text and "AC-77" in text and "Preferred" in text
    assert "3.20 USD" in text
    assert "Unit cost" in text
    assert order.number in text
    assert f'href="/purchase-orders/{order.pk}/"' in text
    assert f"{order.total} USD" in text
    assert "No received orders yet." in text
    assert 'id="supplier-item-form"' in text and 'list="variant-options"' in text
    _no_inline_script_or_style(text)


def test_supplier_detail_view_hides_costs_and_actions_from_staff(staff_client, default_location):
    item = factories.SupplierItemFactory(unit_cost=Decimal("3.21"))
    order = purchase_order_for(item.supplier, item.variant, quantity=4)

    text = _text(staff_client.get(_url("supplier_detail", item.supplier)))

    assert item.variant.sku in text and order.number in text
    assert "3.21" not in text
    assert "Unit cost" not in text
    assert f"{order.total}" not in text
    assert "supplier-item-form" not in text
    assert _url("supplier_edit", item.supplier) not in text
    assert _url("supplier_delete", item.supplier) not in text
    assert _url("supplier_item_edit", item.supplier, item) not in text


def test_supplier_detail_view_shows_performance(staff_client, default_location):
    item = factories.SupplierItemFactory()
    purchase_order_received(item.supplier, item.variant, ordered=date(2024, 3, 1), expected=date(2024, 3, 11),
                            received=date(2024, 3, 9))

    text = _text(staff_client.get(_url("supplier_detail", item.supplier)))

    assert "No received orders yet." not in text
    assert "100%" in text
    assert "8.0 days" in text and "10.0 days" in text
    assert "2.0 days faster than promised" in text


def test_supplier_detail_view_unknown_is_404(staff_client):
    assert staff_client.get(reverse("suppliers:supplier_detail", kwargs={"supplier_id": 999_999})).status_code == 404


# --- create and edit ----------------------------------------------------------------

def test_supplier_create_view_get_renders_the_form(manager_client):
    response = manager_client.get(_url("supplier_create"))

    assert response.status_code == 200
    text = _text(response)
    assert 'name="name"' in text and 'name="website"' in text
    _no_inline_script_or_style(text)


def test_supplier_create_view_creates_and_redirects_to_the_supplier(manager_client):
    response = manager_client.post(_url("supplier_create"), _supplier_data())

    supplier = Supplier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("supplier_detail", supplier)
    assert (supplier.name, supplier.website, supplier.active) == ("Acme Ltd", "https://acme.test", True)
    page = _text(manager_client.get(response["Location"]))
    assert "Supplier Acme Ltd created" in page


def test_supplier_create_view_refuses_a_duplicate_name_keeping_the_input(manager_client):
    factories.SupplierFactory(name="Acme Ltd")

    response = manager_client.post(_supplier_url := _url("supplier_create"), _supplier_data(name="acme ltd"))

    assert response.status_code == 200
    text = _text(response)
    assert "A supplier named &#x27;Acme Ltd&#x27; already exists" in text
    assert 'value="Ann Smith"' in text  # nothing typed is lost
    assert Supplier.objects.count() == 1
    assert _supplier_url in text


def test_supplier_create_view_refuses_bad_email_and_website(manager_client):
    response = manager_client.post(_url("supplier_create"), _supplier_data(email="nope", website="ftp://x"))

    assert response.status_code == 200
    assert "Enter a valid email address." in _text(response)
    assert not Supplier.objects.exists()

    response = manager_client.post(_url("supplier_create"), _supplier_data(website="ftp://x"))
    assert "is not a valid web address" in _text(response)
    assert not Supplier.objects.exists()


def test_supplier_edit_view_prefills_and_saves(manager_client):
    supplier = factories.SupplierFactory(name="Acme Ltd", contact_name="Ann")

    form = _text(manager_client.get(_url("supplier_edit", supplier)))
    response = manager_client.post(_url("supplier_edit", supplier), _supplier_data(contact_name="Bob", active=None))

    assert 'value="Ann"' in form
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert (supplier.contact_name, supplier.active) == ("Bob", False)


def test_supplier_edit_view_refuses_another_suppliers_name(manager_client):
    factories.SupplierFactory(name="Brick Co")
    supplier = factories.SupplierFactory(name="Acme Ltd")

    response = manager_client.post(_url("supplier_edit", supplier), _supplier_data(name="BRICK CO"))

    assert response.status_code == 200
    assert "already exists" in _text(response)
    supplier.refresh_from_db()
    assert supplier.name == "Acme Ltd"


@pytest.mark.parametrize("name", ["supplier_create", "supplier_edit", "supplier_delete"])
def test_supplier_write_views_staff_gets_403(staff_client, name):
    supplier = factories.SupplierFactory(name="Acme Ltd")
    url = _url(name) if name == "supplier_create" else _url(name, supplier)

    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url, _supplier_data(name="Changed")).status_code == 403
    assert Supplier.objects.get().name == "Acme Ltd"


# --- delete, deactivate -----------------------------------------------------------

def test_supplier_delete_view_confirms_then_deletes(manager_client):
    item = factories.SupplierItemFactory(supplier=factories.SupplierFactory(name="Acme Ltd"))

    page = _text(manager_client.get(_url("supplier_delete", item.supplier)))
    response = manager_client.post(_url("supplier_delete", item.supplier))

    assert "Delete supplier" in page and "1 item" in page
    assert response.status_code == 302 and response["Location"] == _url("supplier_list")
    assert not Supplier.objects.exists() and not SupplierItem.objects.exists()
    assert "Supplier Acme Ltd deleted." in _text(manager_client.get(response["Location"]))


def test_supplier_delete_view_refuses_with_orders_and_offers_deactivate(manager_client, default_location):
    item = factories.SupplierItemFactory(supplier=factories.SupplierFactory(name="Acme Ltd"))
    purchase_order_for(item.supplier, item.variant)

    page = _text(manager_client.get(_url("supplier_delete", item.supplier)))
    response = manager_client.post(_url("supplier_delete", item.supplier))

    assert "1 purchase order" in page and "Delete supplier" not in page
    assert response.status_code == 409
    text = _text(response)
    assert "Supplier Acme Ltd has 1 purchase order, so it cannot be deleted: deactivate it instead." in text
    assert f'action="{_url("supplier_deactivate", item.supplier)}"' in text
    assert Supplier.objects.filter(pk=item.supplier.pk).exists()


def test_supplier_deactivate_view_deactivates_and_activate_reactivates(manager_client):
    supplier = factories.SupplierFactory(name="Acme Ltd")

    response = manager_client.post(_url("supplier_deactivate", supplier))
    supplier.refresh_from_db()
    assert response.status_code == 302 and supplier.active is False
    assert "is deactivated" in _text(manager_client.get(response["Location"]))

    manager_client.post(_url("supplier_activate", supplier))
    supplier.refresh_from_db()
    assert supplier.active is True


def test_supplier_deactivate_view_get_goes_back_to_the_supplier(manager_client):
    supplier = factories.SupplierFactory()

    response = manager_client.get(_url("supplier_deactivate", supplier))

    assert response.status_code == 302 and response["Location"] == _url("supplier_detail", supplier)
    supplier.refresh_from_db()
    assert supplier.active is True


def test_supplier_deactivate_view_staff_gets_403(staff_client):
    supplier = factories.SupplierFactory()

    assert staff_client.post(_url("supplier_deactivate", supplier)).status_code == 403
    supplier.refresh_from_db()
    assert supplier.active is True


# --- items --------------------------------------------------------------------------

def test_supplier_item_create_view_adds_an_item_and_redirects(manager_client):
    supplier, variant = factories.SupplierFactory(), factories.VariantFactory(sku="WID-1")

    response = manager_client.post(_url("supplier_item_create", supplier), _item_data("WID-1", preferred="on"))

    assert response.status_code == 302
    item = SupplierItem.objects.get()
    assert (item.variant, item.unit_cost, item.lead_time_days, item.minimum_order_quantity, item.preferred) == (
        variant, Decimal("3.20"), 5, 10, True)


def test_supplier_item_create_view_htmx_returns_the_items_section(manager_client):
    supplier = factories.SupplierFactory()
    factories.VariantFactory(sku="WID-1")

    response = manager_client.post(_url("supplier_item_create", supplier), _item_data("WID-1"), headers=HX)

    assert response.status_code == 200
    text = _text(response)
    assert "<html" not in text
    assert 'id="supplier-items"' in text and "WID-1" in text
    assert "WID-1 added to" in text  # the message, swapped out of band
    assert SupplierItem.objects.count() == 1


def test_supplier_item_create_view_unknown_sku_keeps_the_input(manager_client):
    supplier = factories.SupplierFactory()

    response = manager_client.post(_url("supplier_item_create", supplier), _item_data("NOPE-1"), headers=HX)

    text = _text(response)
    assert "Unknown SKU NOPE-1." in text
    assert 'value="NOPE-1"' in text and 'value="AC-1"' in text
    assert not SupplierItem.objects.exists()


def test_supplier_item_create_view_duplicate_is_refused_on_a_full_page(manager_client):
    item = factories.SupplierItemFactory()

    response = manager_client.post(_url("supplier_item_create", item.supplier), _item_data(item.variant.sku))

    assert response.status_code == 400
    assert "<html" in _text(response)
    assert "already has an item for" in _text(response)
    assert SupplierItem.objects.count() == 1


def test_supplier_item_create_view_refuses_bad_numbers(manager_client):
    supplier = factories.SupplierFactory()
    factories.VariantFactory(sku="WID-1")

    response = manager_client.post(_url("supplier_item_create", supplier),
                                   _item_data("WID-1", unit_cost="-1", minimum_order_quantity="0"), headers=HX)

    text = _text(response)
    assert "Ensure this value is greater than or equal to 0." in text
    assert "The minimum order quantity must be at least 1." in text
    assert not SupplierItem.objects.exists()


def test_supplier_item_edit_view_htmx_get_returns_the_edit_row(manager_client):
    item = factories.SupplierItemFactory(unit_cost=Decimal("4.00"), supplier_sku="OLD")

    response = manager_client.get(_url("supplier_item_edit", item.supplier, item), headers=HX)

    assert response.status_code == 200
    text = _text(response)
    assert "<html" not in text
    assert f'id="item-{item.pk}"' in text and 'class="item-edit-row"' in text
    assert 'name="unit_cost" value="4.00"' in text and 'value="OLD"' in text
    assert 'hx-include="closest tr"' in text


def test_supplier_item_edit_view_htmx_post_returns_the_display_row(manager_client):
    item = factories.SupplierItemFactory(unit_cost=Decimal("4.00"))
    other = factories.SupplierItemFactory(variant=item.variant, preferred=True)

    response = manager_client.post(
        _url("supplier_item_edit", item.supplier, item),
        {"supplier_sku": "NEW-9", "unit_cost": "4.50", "lead_time_days": "3", "minimum_order_quantity": "2",
         "preferred": "on"},
        headers=HX,
    )

    assert response.status_code == 200
    text = _text(response)
    assert "item-edit-row" not in text and "NEW-9" in text and "4.50 USD" in text and "Preferred" in text
    item.refresh_from_db()
    other.refresh_from_db()
    assert (item.supplier_sku, item.unit_cost, item.lead_time_days, item.preferred) == (
        "NEW-9", Decimal("4.50"), 3, True)
    assert other.preferred is False


def test_supplier_item_edit_view_htmx_post_with_errors_returns_the_edit_row(manager_client):
    item = factories.SupplierItemFactory(lead_time_days=7)

    response = manager_client.post(
        _url("supplier_item_edit", item.supplier, item),
        {"supplier_sku": "X", "unit_cost": "1.005", "lead_time_days": "-1", "minimum_order_quantity": "1"},
        headers=HX,
    )

    assert response.status_code == 200
    text = _text(response)
    assert "item-edit-row" in text
    assert "Ensure that there are no more than 2 decimal places." in text
    item.refresh_from_db()
    assert item.lead_time_days == 7


def test_supplier_item_edit_view_without_htmx_is_a_page_and_redirects(manager_client):
    item = factories.SupplierItemFactory()

    page = manager_client.get(_url("supplier_item_edit", item.supplier, item))
    response = manager_client.post(_url("supplier_item_edit", item.supplier, item),
                                   {"supplier_sku": "P-1", "unit_cost": "1.00", "lead_time_days": "2",
                                    "minimum_order_quantity": "3"})

    assert page.status_code == 200 and "<html" in _text(page)
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.supplier_sku, item.minimum_order_quantity) == ("P-1", 3)


def test_supplier_item_row_view_returns_the_display_row(staff_client):
    item = factories.SupplierItemFactory(unit_cost=Decimal("4.44"))

    response = staff_client.get(_url("supplier_item_row", item.supplier, item), headers=HX)

    assert response.status_code == 200
    text = _text(response)
    assert f'id="item-{item.pk}"' in text and item.variant.sku in text
    assert "4.44" not in text  # Staff see no costs


def test_supplier_item_edit_view_item_of_another_supplier_is_404(manager_client):
    item = factories.SupplierItemFactory()
    other = factories.SupplierFactory()

    assert manager_client.get(_url("supplier_item_edit", other, item), headers=HX).status_code == 404


def test_supplier_item_delete_view_htmx_removes_the_row(manager_client):
    item = factories.SupplierItemFactory()

    response = manager_client.post(_url("supplier_item_delete", item.supplier, item), headers=HX)

    assert response.status_code == 200
    text = _text(response)
    assert 'hx-swap-oob="innerHTML:#messages"' in text and "removed from" in text
    assert "<tr" not in text
    assert not SupplierItem.objects.exists()


def test_supplier_item_delete_view_get_confirms_and_post_redirects(manager_client):
    item = factories.SupplierItemFactory()

    page = manager_client.get(_url("supplier_item_delete", item.supplier, item))
    response = manager_client.post(_url("supplier_item_delete", item.supplier, item))

    assert page.status_code == 200 and "Remove item" in _text(page)
    assert response.status_code == 302
    assert not SupplierItem.objects.exists()


@pytest.mark.parametrize("name", ["supplier_item_edit", "supplier_item_delete"])
def test_supplier_item_write_views_staff_gets_403(staff_client, name):
    item = factories.SupplierItemFactory(lead_time_days=7)

    assert staff_client.get(_url(name, item.supplier, item), headers=HX).status_code == 403
    assert staff_client.post(_url(name, item.supplier, item), {"lead_time_days": "1"}, headers=HX).status_code == 403
    assert SupplierItem.objects.get().lead_time_days == 7


def test_supplier_item_create_view_staff_gets_403(staff_client):
    supplier = factories.SupplierFactory()
    factories.VariantFactory(sku="WID-1")

    assert staff_client.post(_url("supplier_item_create", supplier), _item_data("WID-1")).status_code == 403
    assert not SupplierItem.objects.exists()


# --- SKU autocomplete -----------------------------------------------------------------

def test_supplier_variant_search_view_returns_datalist_options(manager_client):
    factories.VariantFactory(sku="WID-1", product=factories.ProductFactory(name="Blue widget"))
    factories.VariantFactory(sku="GAD-1")

    response = manager_client.get(_url("variant_search"), {"item-sku": "widget"}, headers=HX)

    assert response.status_code == 200
    text = _text(response)
    assert '<option value="WID-1">' in text and "Blue widget" in text
    assert "GAD-1" not in text


def test_supplier_variant_search_view_empty_term_returns_nothing(manager_client):
    factories.VariantFactory(sku="WID-1")

    assert _text(manager_client.get(_url("variant_search"))).strip() == ""


def test_supplier_variant_search_view_staff_gets_403(staff_client):
    assert staff_client.get(_url("variant_search"), {"q": "x"}).status_code == 403


# --- the item list: pages, page size and search (issue 14) --------------------------

def _items_for(supplier, count: int) -> list:
    return [
        factories.SupplierItemFactory(supplier=supplier, variant=factories.VariantFactory(sku=f"PAGE-{n:03d}"),
                                      supplier_sku=f"SUP-PAGE-{n:03d}")
        for n in range(count)
    ]


def test_supplier_detail_view_pages_the_items(staff_client):
    supplier = factories.SupplierFactory()
    _items_for(supplier, 30)

    text = _text(staff_client.get(_url("supplier_detail", supplier)))

    assert "30 items" in text
    assert "PAGE-000" in text and "PAGE-024" in text
    assert "PAGE-025" not in text
    assert "Page 1 of 2" in text
    assert 'name="page_size"' in text

    second = _text(staff_client.get(_url("supplier_detail", supplier), {"page": 2}))
    assert "PAGE-025" in second and "PAGE-029" in second
    assert "PAGE-000" not in second


def test_supplier_detail_view_page_size_choice(staff_client):
    supplier = factories.SupplierFactory()
    _items_for(supplier, 30)

    text = _text(staff_client.get(_url("supplier_detail", supplier), {"page_size": 50}))

    assert "PAGE-029" in text
    assert "Page 1 of 1" in text
    assert '<option value="50" selected>' in text


def test_supplier_detail_view_searches_items_htmx_fragment(staff_client):
    supplier = factories.SupplierFactory()
    _items_for(supplier, 30)
    other = factories.SupplierFactory(name="Other Ltd")
    factories.SupplierItemFactory(supplier=other, variant=factories.VariantFactory(sku="PAGE-999"))

    response = staff_client.get(_url("supplier_detail", supplier), {"q": "sup-page-02"}, headers=HX)

    assert response.status_code == 200
    text = _text(response)
    assert "<html" not in text
    assert 'id="supplier-item-filters"' not in text  # the rows only: the search box keeps its focus
    assert "10 items matching" in text
    assert "PAGE-020" in text and "PAGE-029" in text
    assert "PAGE-019" not in text and "PAGE-999" not in text
    assert response.headers["Vary"].count("HX-Request") == 1
    _no_inline_script_or_style(text)


def test_supplier_detail_view_search_with_no_match_says_so(staff_client):
    supplier = factories.SupplierFactory()
    _items_for(supplier, 2)

    text = _text(staff_client.get(_url("supplier_detail", supplier), {"q": "nothing-like-it"}))

    assert "0 items matching" in text
    assert "No items match" in text
    assert "PAGE-000" not in text


def test_supplier_detail_view_bad_paging_input_is_ignored(staff_client):
    supplier = factories.SupplierFactory()
    _items_for(supplier, 3)

    response = staff_client.get(_url("supplier_detail", supplier),
                                {"page": "x", "page_size": "-5", "q": "a" * 500})

    assert response.status_code == 200
    assert "3 items" in _text(response)

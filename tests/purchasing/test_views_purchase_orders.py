import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import StockLevel, StockMovement
from purchasing.models import PurchaseOrder, PurchaseOrderStatus, Receipt
from purchasing.services import (
    PurchaseLineRequest,
    ReceiptLineRequest,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_transition,
)
from tests import factories

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
S = PurchaseOrderStatus
# The transitions that take a new draft to each status.
PATHS = {
    S.DRAFT: [],
    S.PENDING: [S.PENDING],
    S.CONFIRMED: [S.PENDING, S.CONFIRMED],
    S.SHIPPED: [S.PENDING, S.CONFIRMED, S.SHIPPED],
    S.CANCELLED: [S.CANCELLED],
}


def _text(response) -> str:
    return response.content.decode()


def _url(name: str, order=None) -> str:
    return reverse(f"purchasing:{name}", kwargs={"po_id": order.pk} if order is not None else None)


@pytest.fixture
def supplier(db):
    return factories.SupplierFactory(name="Northwind Textiles", address="1 Mill Lane\nLeeds", contact_name="Ada")


@pytest.fixture
def make_po(db, default_location, supplier):
    """A purchase order of 10 x jacket at 4.00 and 5 x hat at 2.50 (supplier items), moved to `status`."""

    def make(*, status: str = S.DRAFT, supplier_=None, tax="1.00", shipping="2.00"):
        supplier_ = supplier_ or supplier
        jacket = factories.SupplierItemFactory(supplier=supplier_, variant__product__name="Rain jacket",
                                               unit_cost=Decimal("4.00"), supplier_sku="NW-JKT")
        hat = factories.SupplierItemFactory(supplier=supplier_, variant__product__name="Wool hat",
                                            unit_cost=Decimal("2.50"), supplier_sku="NW-HAT")
        order = purchase_order_create(
            supplier=supplier_,
            lines=[PurchaseLineRequest(variant=jacket.variant, quantity=10),
                   PurchaseLineRequest(variant=hat.variant, quantity=5)],
            tax=Decimal(tax), shipping=Decimal(shipping),
        )
        for to in PATHS[status]:
            order = purchase_order_transition(order=order, to=to)
        order.refresh_from_db()
        return order

    return make


def _lines(order):
    return list(order.lines.select_related("variant").order_by("id"))


def _receive_data(order, quantities, *, key=None, location="main", **extra):
    data = {"idempotency_key": key or uuid.uuid4().hex}
    for line, quantity in zip(_lines(order), quantities):
        data[f"qty_{line.pk}"] = quantity
        data[f"loc_{line.pk}"] = location
    data.update(extra)
    return data


# --- list -----------------------------------------------------------------

def test_order_list_view_renders_orders_with_links_and_totals(manager_client, make_po):
    order = make_po()

    response = manager_client.get(_url("order_list"))

    assert response.status_code == 200
    text = _text(response)
    assert "<html" in text
    assert f'href="{_url("order_detail", order)}"' in text
    assert order.number in text and "Northwind Textiles" in text and "Draft" in text
    assert "55.50 USD" in text  # 40.00 + 12.50 + 1.00 tax + 2.00 shipping
    assert "New purchase order" in text


def test_order_list_view_filters_by_status_supplier_and_search(manager_client, make_po):
    draft = make_po()
    other_supplier = factories.SupplierFactory(name="Acme Wool")
    pending = make_po(status=S.PENDING, supplier_=other_supplier)
    url = _url("order_list")

    def numbers(**params):
        return {o.number for o in manager_client.get(url, params).context["page_obj"]}

    assert numbers(status="PENDING") == {pending.number}
    assert numbers(supplier=other_supplier.pk) == {pending.number}
    assert numbers(q="acme") == {pending.number}
    assert numbers(q=draft.number) == {draft.number}
    sku = _lines(draft)[0].variant.sku
    assert numbers(q=sku) == {draft.number}
    assert numbers(status="DRAFT", supplier=other_supplier.pk) == set()


def test_order_list_view_ignores_bad_parameters(manager_client, make_po):
    order = make_po()

    response = manager_client.get(_url("order_list"),
                                  {"status": "BOGUS", "supplier": "x'; drop", "q": "a" * 500, "page": "zz"})

    assert response.status_code == 200
    assert order in response.context["page_obj"]
    response = manager_client.get(_url("order_list"), {"supplier": "999999", "q": "\x00"})
    assert response.status_code == 200


def test_order_list_view_answers_htmx_with_rows(manager_client, make_po):
    order = make_po(status=S.PENDING)
    make_po()

    response = manager_client.get(_url("order_list"), {"status": "PENDING"}, headers=HX)

    text = _text(response)
    assert response.status_code == 200
    assert "<html" not in text
    assert order.number in text
    assert "1 purchase order" in text


# --- create ---------------------------------------------------------------

def _create_data(chosen, rows, /, **fields):
    data = {"supplier": chosen.pk, "expected_date": "2030-05-01", "tax": "1.50", "shipping": "3.00",
            "notes": "Deliver to dock 2", "sku": [r[0] for r in rows], "quantity": [r[1] for r in rows],
            "unit_cost": [r[2] for r in rows]}
    data.update(fields)
    return data


def test_order_create_view_renders_the_form(manager_client, supplier):
    response = manager_client.get(_url("order_create"))

    text = _text(response)
    assert response.status_code == 200
    assert "New purchase order" in text
    assert "Northwind Textiles" in text
    assert "Save draft" in text and "Save and submit" in text and "Add line" in text
    assert "<script>" not in text and "onclick" not in text


def test_order_create_view_creates_a_draft_with_two_lines(manager_client, manager_user, supplier, default_location):
    jacket = factories.SupplierItemFactory(supplier=supplier, unit_cost=Decimal("4.00"), supplier_sku="NW-1")
    hat = factories.VariantFactory()  # not a supplier item: the typed cost applies

    response = manager_client.post(_url("order_create"), _create_data(
        supplier, [(jacket.variant.sku, "10", ""), (hat.sku, "3", "7.25"), ("", "", "")], save="1"))

    order = PurchaseOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("order_detail", order)
    assert order.status == S.DRAFT and order.created_by == manager_user
    assert [(line.variant.sku, line.quantity_ordered, line.unit_cost, line.supplier_sku) for line in _lines(order)] == [
        (jacket.variant.sku, 10, Decimal("4.00"), "NW-1"),
        (hat.sku, 3, Decimal("7.25"), ""),
    ]
    assert (order.subtotal, order.tax, order.shipping, order.total) == (
        Decimal("61.75"), Decimal("1.50"), Decimal("3.00"), Decimal("66.25"))
    assert str(order.expected_date) == "2030-05-01"
    page = _text(manager_client.get(response["Location"]))
    assert f"Purchase order {order.number} saved as a draft." in page


def test_order_create_view_save_and_submit_makes_it_pending(manager_client, supplier, default_location):
    item = factories.SupplierItemFactory(supplier=supplier)

    manager_client.post(_url("order_create"), _create_data(supplier, [(item.variant.sku, "2", "")], submit="1"))

    order = PurchaseOrder.objects.get()
    assert order.status == S.PENDING
    assert order.submitted_at is not None


def test_order_create_view_unknown_sku_names_the_row_and_creates_nothing(manager_client, supplier):
    item = factories.SupplierItemFactory(supplier=supplier)

    response = manager_client.post(_url("order_create"), _create_data(
        supplier, [(item.variant.sku, "2", ""), ("NOPE-404", "1", "")], save="1"))

    text = _text(response)
    assert response.status_code == 200
    assert "Line 2: Unknown SKU NOPE-404." in text
    assert "Nothing was saved" in text
    assert 'value="NOPE-404"' in text and f'value="{item.variant.sku}"' in text  # what was typed stays
    assert not PurchaseOrder.objects.exists()


def test_order_create_view_refuses_bad_quantities_costs_and_no_lines(manager_client, supplier):
    item = factories.SupplierItemFactory(supplier=supplier)

    text = _text(manager_client.post(_url("order_create"), _create_data(
        supplier, [(item.variant.sku, "0", ""), (item.variant.sku, "2", "-1"), (item.variant.sku, "x", "1.234")])))
    assert "Line 1: Enter a quantity of at least 1." in text
    assert "Line 2: The amount must be zero or more." in text
    assert "Line 3: Enter a whole number." in text

    text = _text(manager_client.post(_url("order_create"), _create_data(supplier, [("", "", "")], tax="-2")))
    assert "Add at least one line" in text
    assert "The amount must be zero or more." in text

    text = _text(manager_client.post(_url("order_create"), _create_data(supplier, [(item.variant.sku, "1", "")],
                                                                        supplier="abc", expected_date="soon")))
    assert "Choose one of the active suppliers." in text
    assert "Enter a date (YYYY-MM-DD)." in text
    assert not PurchaseOrder.objects.exists()


def test_order_create_view_refuses_an_inactive_supplier(manager_client):
    inactive = factories.SupplierFactory(active=False)
    item = factories.SupplierItemFactory(supplier=inactive)

    response = manager_client.post(_url("order_create"), _create_data(inactive, [(item.variant.sku, "1", "")]))

    assert response.status_code == 200
    assert "Choose one of the active suppliers." in _text(response)
    assert not PurchaseOrder.objects.exists()


def test_order_create_view_add_line_without_javascript_keeps_the_rows(manager_client, supplier):
    item = factories.SupplierItemFactory(supplier=supplier)

    response = manager_client.post(_url("order_create"), _create_data(supplier, [(item.variant.sku, "4", "")],
                                                                      add_line="1"))

    text = _text(response)
    assert response.status_code == 200
    assert text.count('class="po-line"') == 2
    assert f'value="{item.variant.sku}"' in text
    assert "Nothing was saved" not in text
    assert not PurchaseOrder.objects.exists()


def test_line_row_view_answers_a_blank_row(manager_client):
    response = manager_client.get(_url("line_row"), headers=HX)

    text = _text(response)
    assert response.status_code == 200
    assert text.count('class="po-line"') == 1
    assert 'name="unit_cost"' in text


def test_variant_search_view_fills_the_suppliers_cost(manager_client, supplier):
    item = factories.SupplierItemFactory(supplier=supplier, variant__sku="JKT-RED-M", unit_cost=Decimal("4.40"),
                                         supplier_sku="NW-RED")
    other = factories.VariantFactory(sku="JKT-RED-L", product__cost=Decimal("9.10"))

    response = manager_client.get(_url("variant_search"), {"sku": "jkt-red", "supplier": supplier.pk}, headers=HX)

    text = _text(response)
    assert response.status_code == 200
    # The supplier's own item first, with its supplier SKU and cost.
    assert text.index('data-sku="JKT-RED-M"') < text.index('data-sku="JKT-RED-L"')
    assert 'data-cost="4.40"' in text and "NW-RED" in text
    assert 'data-cost="9.10"' in text and "Not listed for this supplier" in text
    # By supplier SKU too.
    text = _text(manager_client.get(_url("variant_search"), {"q": "nw-red", "supplier": supplier.pk}))
    assert 'data-sku="JKT-RED-M"' in text and other.sku not in text
    # Another supplier: no supplier cost for this item.
    someone = factories.SupplierFactory()
    text = _text(manager_client.get(_url("variant_search"), {"q": "JKT-RED-M", "supplier": someone.pk}))
    assert 'data-cost="4.40"' not in text and "Not listed for this supplier" in text
    assert item.variant.sku in text


def test_variant_search_view_ignores_bad_parameters(manager_client):
    factories.VariantFactory(sku="HAT-1")
    for params in ({"q": "HAT", "supplier": "abc"}, {"q": "x" * 200}, {"q": "\x00"}, {}):
        assert manager_client.get(_url("variant_search"), params).status_code == 200
    assert 'data-sku="HAT-1"' in _text(manager_client.get(_url("variant_search"), {"q": "HAT", "supplier": "abc"}))


# --- edit and delete ------------------------------------------------------

def test_order_edit_view_changes_a_draft(manager_client, make_po):
    order = make_po()
    jacket, hat = _lines(order)

    response = manager_client.get(_url("order_edit", order))
    assert response.status_code == 200
    assert f'value="{jacket.variant.sku}"' in _text(response)

    response = manager_client.post(_url("order_edit", order), {
        "supplier": order.supplier_id, "tax": "0", "shipping": "5.00", "notes": "", "expected_date": "",
        "sku": [hat.variant.sku], "quantity": ["8"], "unit_cost": ["3.00"], "save": "1"})

    assert response.status_code == 302
    order.refresh_from_db()
    assert [(line.variant.sku, line.quantity_ordered, line.unit_cost) for line in _lines(order)] == [
        (hat.variant.sku, 8, Decimal("3.00"))]
    assert (order.subtotal, order.total) == (Decimal("24.00"), Decimal("29.00"))


def test_order_edit_view_only_while_draft(manager_client, make_po):
    order = make_po(status=S.PENDING)

    response = manager_client.get(_url("order_edit", order))
    assert response.status_code == 302 and response["Location"] == _url("order_detail", order)
    response = manager_client.post(_url("order_edit", order), {"supplier": order.supplier_id, "sku": ["X"],
                                                               "quantity": ["1"]}, follow=True)
    assert "only drafts can be edited" in _text(response)
    assert order.lines.count() == 2


def test_order_delete_view_deletes_a_draft(manager_client, make_po):
    order = make_po()

    response = manager_client.post(_url("order_delete", order), follow=True)

    assert not PurchaseOrder.objects.filter(pk=order.pk).exists()
    assert f"Draft {order.number} deleted." in _text(response)


def test_order_delete_view_htmx_redirects_to_the_list(manager_client, make_po):
    order = make_po()

    response = manager_client.post(_url("order_delete", order), headers=HX)

    assert response.status_code == 204
    assert response["HX-Redirect"] == _url("order_list")
    assert not PurchaseOrder.objects.filter(pk=order.pk).exists()


def test_order_delete_view_refuses_anything_but_a_draft(manager_client, make_po):
    order = make_po(status=S.PENDING)

    response = manager_client.post(_url("order_delete", order), follow=True)

    assert PurchaseOrder.objects.filter(pk=order.pk).exists()
    assert "only drafts can be deleted" in _text(response)


# --- detail and transitions -----------------------------------------------

def test_order_detail_view_shows_lines_totals_and_buttons(manager_client, make_po):
    order = make_po()

    response = manager_client.get(_url("order_detail", order))

    text = _text(response)
    assert response.status_code == 200
    assert "<html" in text
    assert f"Purchase order {order.number}" in text
    assert f'href="/suppliers/{order.supplier_id}/"' in text
    assert "NW-JKT" in text and "Rain jacket" in text
    for figure in ("52.50 USD", "1.00 USD", "2.00 USD", "55.50 USD"):
        assert figure in text
    for label in ("Submit to supplier", "Cancel order", "Edit draft", "Delete draft", "Print"):
        assert label in text
    assert "Mark confirmed" not in text and "Receive goods" not in text
    assert "Purchase order created with 2 lines." in text  # the history


def test_order_detail_view_answers_htmx_with_the_body(manager_client, make_po):
    order = make_po(status=S.SHIPPED)

    response = manager_client.get(_url("order_detail", order), headers=HX)

    text = _text(response)
    assert response.status_code == 200
    assert "<html" not in text
    assert 'id="po-body"' in text
    assert "Receive goods" in text and "Mark shipped" not in text


def test_order_detail_view_confirmed_offers_receiving_and_shipping(manager_client, make_po):
    order = make_po(status=S.CONFIRMED)

    text = _text(manager_client.get(_url("order_detail", order)))

    assert "Receive goods" in text and "Mark shipped" in text


def test_order_receive_view_receives_a_confirmed_order(staff_client, make_po, default_location):
    order = make_po(status=S.CONFIRMED)
    jacket, _hat = _lines(order)

    form = _text(staff_client.get(_url("order_receive", order), headers=HX))
    assert "goods are received once" not in form
    response = staff_client.post(_url("order_receive", order), _receive_data(order, [4, 0]), headers=HX)

    assert response.status_code == 204
    order.refresh_from_db()
    assert order.status == S.PARTIALLY_RECEIVED
    jacket.refresh_from_db()
    assert jacket.quantity_received == 4
    assert StockMovement.objects.filter(purchase_order=order, delta=4).count() == 1


def test_order_detail_view_unknown_id_is_404(manager_client):
    assert manager_client.get(reverse("purchasing:order_detail", kwargs={"po_id": 999999})).status_code == 404


@pytest.mark.parametrize("status,to,label,expected", [
    (S.DRAFT, S.PENDING, "Submit to supplier", "pending"),
    (S.PENDING, S.CONFIRMED, "Mark confirmed", "confirmed"),
    (S.CONFIRMED, S.SHIPPED, "Mark shipped", "shipped"),
    (S.SHIPPED, S.CANCELLED, "Cancel order", "cancelled"),
])
def test_order_transition_view_moves_the_order(manager_client, make_po, status, to, label, expected):
    order = make_po(status=status)
    assert label in _text(manager_client.get(_url("order_detail", order)))

    response = manager_client.post(_url("order_transition", order), {"to": to}, headers=HX)

    text = _text(response)
    assert response.status_code == 200
    assert "<html" not in text
    assert f"Purchase order {order.number} is now {expected}." in text
    order.refresh_from_db()
    assert order.status == to


def test_order_transition_view_refuses_an_illegal_move(manager_client, make_po):
    order = make_po()

    response = manager_client.post(_url("order_transition", order), {"to": S.SHIPPED}, follow=True)
    assert "cannot become shipped" in _text(response)
    response = manager_client.post(_url("order_transition", order), {"to": "BOGUS"}, follow=True)
    assert "Choose one of the actions offered" in _text(response)
    order.refresh_from_db()
    assert order.status == S.DRAFT


def test_order_transition_view_cancel_asks_first(manager_client, make_po):
    order = make_po(status=S.CONFIRMED)

    text = _text(manager_client.get(_url("order_detail", order)))

    assert re.search(r'value="CANCELLED"[^>]*hx-confirm="Cancel purchase order', text)


# --- receiving ------------------------------------------------------------

def test_order_receive_view_renders_the_dialog_with_a_fresh_key(staff_client, make_po):
    order = make_po(status=S.SHIPPED)

    first = _text(staff_client.get(_url("order_receive", order), headers=HX))
    second = _text(staff_client.get(_url("order_receive", order), headers=HX))

    assert "<html" not in first
    assert "Receive goods" in first and "Accept over-receipt" in first
    keys = [re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1) for page in (first, second)]
    assert keys[0] != keys[1]
    jacket, _ = _lines(order)
    assert f'name="qty_{jacket.pk}" id="id_qty_{jacket.pk}" value="10"' in first  # default: the outstanding
    assert '<option value="main" selected>' in first
    # Without JavaScript it is a page.
    assert "<html" in _text(staff_client.get(_url("order_receive", order)))


def test_order_receive_view_part_then_the_rest(staff_client, make_po, default_location, other_location):
    order = make_po(status=S.SHIPPED)
    jacket, hat = _lines(order)

    response = staff_client.post(_url("order_receive", order), _receive_data(order, [4, 0]), headers=HX)

    assert response.status_code == 204
    assert "closeModal" in response["HX-Trigger"] and "purchase-order-changed" in response["HX-Trigger"]
    order.refresh_from_db()
    assert order.status == S.PARTIALLY_RECEIVED
    assert StockLevel.objects.get(variant=jacket.variant, location=default_location).on_hand == 4

    data = _receive_data(order, [6, 5])
    data[f"loc_{hat.pk}"] = "store"
    response = staff_client.post(_url("order_receive", order), data, follow=True)

    text = _text(response)
    assert f"against {order.number}: it is now received." in text
    order.refresh_from_db()
    assert order.status == S.RECEIVED
    assert StockLevel.objects.get(variant=jacket.variant, location=default_location).on_hand == 10
    assert StockLevel.objects.get(variant=hat.variant, location=other_location).on_hand == 5
    movements = StockMovement.objects.filter(purchase_order=order)
    assert sorted(movements.values_list("type", "delta")) == [("RESTOCK", 4), ("RESTOCK", 5), ("RESTOCK", 6)]
    assert set(movements.values_list("supplier_id", flat=True)) == {order.supplier_id}
    # The page shows the receipts and links each line to its movement in the history.
    assert text.count('id="receipt-') == 2
    movement = movements.get(delta=5)
    assert f"#movement-{movement.pk}" in text


def test_order_receive_view_double_submit_counts_once(staff_client, make_po, default_location):
    order = make_po(status=S.SHIPPED)
    jacket, _ = _lines(order)
    data = _receive_data(order, [3, 0], key="same-key-1")

    staff_client.post(_url("order_receive", order), data, headers=HX)
    response = staff_client.post(_url("order_receive", order), data, headers=HX)

    assert response.status_code == 204
    assert Receipt.objects.filter(order=order).count() == 1
    assert StockLevel.objects.get(variant=jacket.variant, location=default_location).on_hand == 3
    page = _text(staff_client.get(_url("order_detail", order), headers=HX))
    assert "already received" in page


def test_order_receive_view_over_receipt_refused_then_accepted_with_reason(staff_client, make_po, default_location):
    order = make_po(status=S.SHIPPED)
    jacket, _ = _lines(order)
    data = _receive_data(order, [12, 5])

    response = staff_client.post(_url("order_receive", order), data, headers=HX)

    text = _text(response)
    assert response.status_code == 200
    assert "More than ordered" in text and jacket.variant.sku in text
    assert f'id="receive-line-{jacket.pk}" class="over-receipt"' in text
    assert f'name="qty_{jacket.pk}" id="id_qty_{jacket.pk}" value="12"' in text  # what was typed stays
    assert f'value="{data["idempotency_key"]}"' in text
    assert not StockMovement.objects.filter(purchase_order=order).exists()

    text = _text(staff_client.post(_url("order_receive", order), {**data, "accept_over_receipt": "on"}, headers=HX))
    assert "Give a reason for accepting more than was ordered." in text
    assert not StockMovement.objects.filter(purchase_order=order).exists()

    response = staff_client.post(_url("order_receive", order),
                                 {**data, "accept_over_receipt": "on", "over_receipt_reason": "Full case sent"},
                                 headers=HX)
    assert response.status_code == 204
    order.refresh_from_db()
    assert order.status == S.RECEIVED
    assert StockLevel.objects.get(variant=jacket.variant, location=default_location).on_hand == 12
    assert Receipt.objects.get(order=order).over_receipt_reason == "Full case sent"


def test_order_receive_view_refuses_bad_input(staff_client, make_po):
    order = make_po(status=S.SHIPPED)
    jacket, hat = _lines(order)

    text = _text(staff_client.post(_url("order_receive", order), _receive_data(order, [0, 0]), headers=HX))
    assert "Enter a received quantity for at least one line." in text
    text = _text(staff_client.post(_url("order_receive", order), _receive_data(order, [-1, "x"], location="nowhere"),
                                   headers=HX))
    assert "Enter zero or more." in text and "Enter a whole number." in text and "Choose an active location." in text
    text = _text(staff_client.post(_url("order_receive", order), {f"qty_{jacket.pk}": 1, f"loc_{jacket.pk}": "main"},
                                   headers=HX))
    assert "open the dialog again" in text
    assert not StockMovement.objects.filter(purchase_order=order).exists()


def test_order_receive_view_not_before_confirmed(staff_client, make_po):
    order = make_po(status=S.PENDING)

    text = _text(staff_client.get(_url("order_receive", order), headers=HX))
    assert "goods are received once the supplier has confirmed it" in text
    text = _text(staff_client.post(_url("order_receive", order), _receive_data(order, [1, 0]), headers=HX))
    assert "goods are received once the supplier has confirmed it" in text
    assert not StockMovement.objects.filter(purchase_order=order).exists()


# --- print ----------------------------------------------------------------

def test_order_print_view_renders_totals_with_currency(manager_client, make_po, settings):
    order = make_po()

    response = manager_client.get(_url("order_print", order))

    text = _text(response)
    assert response.status_code == 200
    assert order.number in text and "Northwind Textiles" in text
    assert "1 Mill Lane<br>Leeds" in text and "Attn: Ada" in text
    assert "Main warehouse" in text
    assert "css/print.css" in text
    for figure in ("52.50 USD", "1.00 USD", "2.00 USD", "55.50 USD"):
        assert figure in text
    assert "site-header" not in text  # no navigation


def test_order_print_view_uses_the_orders_currency(manager_client, supplier, default_location, settings):
    settings.CURRENCY = "eur"
    item = factories.SupplierItemFactory(supplier=supplier, unit_cost=Decimal("1.25"))
    order = purchase_order_create(supplier=supplier, lines=[PurchaseLineRequest(variant=item.variant, quantity=2)])

    text = _text(manager_client.get(_url("order_print", order)))

    assert "2.50 EUR" in text


# --- roles ----------------------------------------------------------------

def test_staff_sees_no_costs_on_list_detail_print_and_dialog(staff_client, make_po):
    order = make_po(status=S.SHIPPED)
    pages = [
        staff_client.get(_url("order_list")),
        staff_client.get(_url("order_detail", order)),
        staff_client.get(_url("order_print", order)),
        staff_client.get(_url("order_receive", order)),
    ]
    for response in pages:
        text = _text(response)
        assert response.status_code == 200
        for figure in ("4.00", "2.50", "52.50", "55.50", "Unit cost", "Subtotal"):
            assert figure not in text, f"{figure} on {response.request['PATH_INFO']}"
    detail = _text(pages[1])
    assert "Receive goods" in detail
    for label in ("Submit to supplier", "Cancel order", "Edit draft", "Delete draft"):
        assert label not in detail


def test_staff_may_receive(staff_client, make_po, default_location):
    order = make_po(status=S.SHIPPED)

    response = staff_client.post(_url("order_receive", order), _receive_data(order, [10, 5]))

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.RECEIVED


def test_staff_gets_403_on_create_edit_transition_and_delete(staff_client, make_po):
    order = make_po()
    item = factories.SupplierItemFactory(supplier=order.supplier)

    assert staff_client.get(_url("order_create")).status_code == 403
    assert staff_client.post(_url("order_create"), _create_data(order.supplier, [(item.variant.sku, "1", "")])
                             ).status_code == 403
    assert staff_client.get(_url("order_edit", order)).status_code == 403
    assert staff_client.post(_url("order_transition", order), {"to": S.PENDING}).status_code == 403
    assert staff_client.post(_url("order_delete", order)).status_code == 403
    assert staff_client.get(_url("variant_search"), {"q": "SKU"}).status_code == 403
    order.refresh_from_db()
    assert order.status == S.DRAFT and PurchaseOrder.objects.count() == 1


def test_anonymous_is_sent_to_login(client, make_po):
    order = make_po()
    for url in (_url("order_list"), _url("order_detail", order), _url("order_print", order),
                _url("order_receive", order), _url("order_create")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- stock history links --------------------------------------------------

def test_movement_list_links_restocks_to_the_purchase_order(staff_client, make_po, default_location):
    order = make_po(status=S.SHIPPED)
    jacket, hat = _lines(order)
    purchase_order_receive(order=order, lines=[ReceiptLineRequest(line_id=jacket.pk, quantity=2),
                                               ReceiptLineRequest(line_id=hat.pk, quantity=1)],
                           idempotency_key="k1")

    text = _text(staff_client.get(reverse("inventory:movement_list")))
    assert text.count(f'href="{_url("order_detail", order)}"') == 2
    variant_page = _text(staff_client.get(reverse("inventory:variant_detail", kwargs={"sku": jacket.variant.sku})))
    assert f'href="{_url("order_detail", order)}"' in variant_page

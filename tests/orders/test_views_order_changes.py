"""Order pages: editing a pending order, the ship-from location, recording a payment, the
warning before creating an order short of stock, and only legal actions on offer."""
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import Reservation, ReservationStatus
from orders.models import OrderPayment, OrderStatus, SalesOrder
from orders.services import sales_order_payment_record
from tests import factories

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
S = OrderStatus


def _detail(order):
    return reverse("orders:order_detail", kwargs={"number": order.number})


def _url(name, order):
    return reverse(f"orders:{name}", kwargs={"number": order.number})


def _text(response) -> str:
    return response.content.decode()


def _lines(order):
    return [(line.variant.sku, line.quantity, line.location_id) for line in order.lines.select_related("variant")]


def _edit(client, order, rows, headers=None):
    data = {"sku": [r[0] for r in rows], "quantity": [r[1] for r in rows], "location": [r[2] if len(r) > 2 else ""
                                                                                        for r in rows]}
    return client.post(_url("order_edit", order), data, headers=headers or {})


# --- only legal actions ------------------------------------------------------

def test_order_detail_view_offers_no_refund_on_an_unpaid_order(manager_client, make_order):
    order = make_order(status=S.CONFIRMED)

    text = _text(manager_client.get(_detail(order)))

    assert 'value="SHIPPED"' in text and 'value="CANCELLED"' in text
    assert 'value="REFUNDED"' not in text
    assert "Refund" not in text


def test_order_detail_view_offers_refund_not_cancel_once_paid(manager_client, make_order):
    order = make_order(status=S.CONFIRMED)
    sales_order_payment_record(order=order, method="CASH", amount=Decimal("5.00"))

    text = _text(manager_client.get(_detail(order)))

    assert 'value="REFUNDED"' in text
    assert 'value="CANCELLED"' not in text
    assert "5.00 USD so far · 34.98 USD due" in text


def test_order_transition_view_refund_of_an_unpaid_order_is_told_and_changes_nothing(manager_client, make_order):
    order = make_order(status=S.CONFIRMED)

    response = manager_client.post(_url("order_transition", order), {"to": "REFUNDED"}, headers=HX)

    assert response.status_code == 200
    assert "nothing to refund: cancel it instead" in _text(response)
    order.refresh_from_db()
    assert order.status == S.CONFIRMED


# --- editing a pending order ---------------------------------------------------

def test_order_detail_view_offers_edit_lines_only_while_pending(staff_client, make_order):
    pending, confirmed = make_order(), make_order(status=S.CONFIRMED)

    assert f'href="{_url("order_edit", pending)}"' in _text(staff_client.get(_detail(pending)))
    assert "Edit lines" not in _text(staff_client.get(_detail(confirmed)))


def test_order_edit_view_htmx_get_opens_the_form_in_the_order_body(staff_client, make_order):
    order = make_order(quantity=3)

    response = staff_client.get(_url("order_edit", order), headers=HX)

    text = _text(response)
    assert response.status_code == 200
    assert "<html" not in text
    assert text.lstrip().startswith('<div id="order-body">')
    assert 'id="order-edit-form"' in text
    assert f'value="{order.level.variant.sku}"' in text and 'name="quantity" value="3"' in text
    assert 'name="location"' in text
    assert "Save lines" in text


def test_order_edit_view_shows_each_lines_location(staff_client, stocked, other_location):
    from orders.services import OrderLineRequest, sales_order_create

    level = stocked(5, location=other_location)
    order = sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=1, location=other_location)])

    text = _text(staff_client.get(_url("order_edit", order), headers=HX))

    assert f'<option value="{other_location.pk}" selected>store — Shop floor</option>' in text
    assert '<option value="">Order&#x27;s ship-from</option>' in text


def test_order_edit_view_full_page(staff_client, make_order):
    order = make_order()
    text = _text(staff_client.get(_url("order_edit", order)))
    assert "<html" in text and 'id="order-edit-form"' in text
    assert "js/orders.js" in text


def test_order_edit_view_add_line_returns_one_blank_row(staff_client, make_order):
    order = make_order()
    text = _text(staff_client.get(_url("order_edit", order), {"add_line": "1"}, headers=HX))
    assert text.count('class="order-line"') == 1
    assert 'name="sku" value=""' in text and 'name="location"' in text


def test_order_edit_view_saves_lines_and_answers_with_the_body(staff_client, staff_user, make_order, stocked,
                                                              other_location):
    order = make_order(quantity=2)
    hat = stocked(5)

    response = _edit(staff_client, order, [(order.level.variant.sku, "4", str(other_location.pk)),
                                           ("", ""), (hat.variant.sku, "1")], headers=HX)

    text = _text(response)
    assert response.status_code == 200
    assert text.lstrip().startswith('<div id="order-body">')
    assert f"Order {order.number} updated." in text
    assert 'id="order-edit-form"' not in text
    assert _lines(order) == [(order.level.variant.sku, 4, other_location.pk), (hat.variant.sku, 1, None)]
    event = order.events.order_by("-id").first()
    assert event.user == staff_user and event.message.startswith("Order changed:")
    assert event.message in text  # on the timeline


def test_order_edit_view_without_htmx_redirects(staff_client, make_order):
    order = make_order(quantity=2)
    response = _edit(staff_client, order, [(order.level.variant.sku, "1")])
    assert response.status_code == 302 and response["Location"] == _detail(order)
    assert _lines(order)[0][1] == 1


@pytest.mark.parametrize(("rows", "error"), [
    ([("NOPE-1", "1")], "Unknown SKU NOPE-1."),
    ([("KEEP", "0")], "Enter a quantity of at least 1."),
    ([("KEEP", "")], "Enter a quantity."),
    ([("", "")], "An order needs at least one line"),
    ([("KEEP", "1", "999999")], "Choose one of the active locations."),
])
def test_order_edit_view_bad_rows_show_errors_and_change_nothing(staff_client, make_order, rows, error):
    order = make_order(quantity=2)
    sku = order.level.variant.sku
    rows = [tuple(sku if cell == "KEEP" else cell for cell in row) for row in rows]
    before = (_lines(order), order.events.count())

    response = _edit(staff_client, order, rows, headers=HX)

    assert response.status_code == 200
    text = _text(response)
    assert error in text
    assert 'id="order-edit-form"' in text  # the form stays open with what was typed
    assert (_lines(order), order.events.count()) == before


def test_order_edit_view_service_error_is_shown_on_the_form(staff_client, make_order):
    order = make_order(quantity=2)
    retired = factories.VariantFactory(active=False)

    response = _edit(staff_client, order, [(retired.sku, "1")], headers=HX)

    assert f"{retired.sku} is not for sale" in _text(response)
    assert _lines(order)[0][0] == order.level.variant.sku


def test_order_edit_view_refuses_a_confirmed_order(staff_client, make_order):
    order = make_order(quantity=2, status=S.CONFIRMED)

    response = _edit(staff_client, order, [(order.level.variant.sku, "5")], headers=HX)

    assert response.status_code == 200
    assert "only a pending order&#x27;s lines can be changed" in _text(response)
    assert _lines(order)[0][1] == 2
    order.level.refresh_from_db()
    assert order.level.reserved == 2


def test_order_edit_view_needs_the_permission(client, make_order):
    order = make_order()
    user = factories.UserFactory(username="customer", role="Customer")
    client.force_login(user)
    assert client.post(_url("order_edit", order), {"sku": "X", "quantity": "1"}).status_code == 403
    assert client.get(_url("order_edit", order)).status_code == 403


# --- ship-from --------------------------------------------------------------------

def test_order_ship_from_view_moves_a_confirmed_orders_reservation(staff_client, make_order, stocked, other_location):
    order = make_order(quantity=3, status=S.CONFIRMED)
    store = stocked(5, location=other_location, variant=order.level.variant)

    page = _text(staff_client.get(_detail(order)))
    assert 'id="ship-from-form"' in page and "Default location" in page

    response = staff_client.post(_url("order_ship_from", order), {"ship_from": str(other_location.pk)}, headers=HX)

    text = _text(response)
    assert f"Order {order.number} ships from store." in text
    assert "store — Shop floor" in text
    order.level.refresh_from_db()
    store.refresh_from_db()
    assert (order.level.reserved, store.reserved) == (0, 3)
    assert Reservation.objects.get(sales_order=order, status=ReservationStatus.ACTIVE).lines.get().location == other_location


def test_order_ship_from_view_short_there_is_an_error_and_changes_nothing(staff_client, make_order, other_location):
    order = make_order(quantity=3, status=S.CONFIRMED)

    response = staff_client.post(_url("order_ship_from", order), {"ship_from": str(other_location.pk)}, headers=HX)

    assert "Not enough stock to reserve" in _text(response)
    order.refresh_from_db()
    order.level.refresh_from_db()
    assert order.ship_from is None and order.level.reserved == 3


def test_order_ship_from_view_refused_once_shipped(staff_client, make_order, other_location):
    order = make_order(status=S.SHIPPED)

    assert 'id="ship-from-form"' not in _text(staff_client.get(_detail(order)))
    response = staff_client.post(_url("order_ship_from", order), {"ship_from": str(other_location.pk)}, headers=HX)

    assert "its ship-from location can no longer change" in _text(response)
    order.refresh_from_db()
    assert order.ship_from is None


def test_order_ship_from_view_unknown_location_is_a_field_error(staff_client, make_order):
    order = make_order()
    response = staff_client.post(_url("order_ship_from", order), {"ship_from": "999999"}, headers=HX)
    assert "Choose one of the active locations." in _text(response)
    order.refresh_from_db()
    assert order.ship_from is None


# --- payments ---------------------------------------------------------------------

def _pay(client, order, **data):
    body = {"payment-method": "CARD", "payment-amount": "10.00", "payment-reference": ""}
    body.update({f"payment-{key}": value for key, value in data.items()})
    return client.post(_url("order_payment", order), body, headers=HX)


def test_order_detail_view_payment_form_for_managers_only(manager_client, staff_user, make_order):
    order = make_order(quantity=2)

    text = _text(manager_client.get(_detail(order)))
    assert "Record a payment" in text and 'name="payment-amount"' in text
    assert 'value="39.98"' in text  # what is due, filled in

    manager_client.force_login(staff_user)
    staff_text = _text(manager_client.get(_detail(order)))
    assert "Record a payment" not in staff_text and "39.98" not in staff_text


def test_order_payment_view_records_a_payment(manager_client, manager_user, make_order):
    order = make_order(quantity=2)

    response = _pay(manager_client, order, method="BANK_TRANSFER", amount="39.98", reference="TR-77")

    text = _text(response)
    assert response.status_code == 200
    assert f"Payment recorded for order {order.number}: paid in full." in text
    assert "Record a payment" not in text  # nothing left to pay
    assert 'id="order-payments"' in text and "TR-77" in text and "Bank transfer" in text
    payment = OrderPayment.objects.get()
    assert (payment.order_id, payment.amount, payment.recorded_by) == (order.pk, Decimal("39.98"), manager_user)
    order.refresh_from_db()
    assert order.is_paid


def test_order_payment_view_part_payment_says_what_is_due(manager_client, make_order):
    order = make_order(quantity=2)
    response = _pay(manager_client, order, method="CASH", amount="9.98")
    assert "30.00 USD still due" in _text(response)


@pytest.mark.parametrize(("data", "error"), [
    ({"amount": "50.00"}, "The amount is more than what is still due (39.98 USD)."),
    ({"amount": "0"}, "The amount must be more than zero."),
    ({"amount": "abc"}, "Enter a number."),
    ({"amount": "1.234"}, "Ensure that there are no more than 2 decimal places."),
    ({"method": "CHEQUE"}, "Select a valid choice."),
    ({"reference": "x" * 101}, "Ensure this value has at most 100 characters"),
])
def test_order_payment_view_bad_input_is_a_field_error(manager_client, make_order, data, error):
    order = make_order(quantity=2)

    response = _pay(manager_client, order, **data)

    assert response.status_code == 200
    assert error in _text(response)
    assert 'id="payment-form"' in _text(response)
    assert OrderPayment.objects.count() == 0


def test_order_payment_view_on_a_closed_order_is_told(manager_client, make_order):
    order = make_order(status=S.CANCELLED)
    response = _pay(manager_client, order)
    assert "takes no more payments" in _text(response)
    assert OrderPayment.objects.count() == 0


def test_order_payment_view_is_forbidden_to_staff(staff_client, make_order):
    order = make_order(quantity=2)
    response = _pay(staff_client, order)
    assert response.status_code == 403
    assert OrderPayment.objects.count() == 0


# --- the new order form -------------------------------------------------------------

def _create(client, lines, **fields):
    data = {"customer_name": "Brick & Co", "sku": [sku for sku, _ in lines], "quantity": [q for _, q in lines]}
    data.update(fields)
    return client.post(reverse("orders:order_create"), data)


def test_order_create_view_warns_about_lines_without_stock_and_creates_nothing(staff_client, stocked):
    jacket, hat = stocked(2), stocked(10)

    response = _create(staff_client, [(jacket.variant.sku, "5"), (hat.variant.sku, "1")])

    text = _text(response)
    assert response.status_code == 200
    assert "Not enough stock for 1 line:" in text
    assert f"{jacket.variant.sku}</span>: 5 requested, 2 available at main" in text
    assert 'name="create_anyway"' in text and "Create anyway" in text
    assert SalesOrder.objects.count() == 0


def test_order_create_view_create_anyway_makes_the_pending_order(staff_client, stocked):
    jacket = stocked(2)

    response = _create(staff_client, [(jacket.variant.sku, "5")], create_anyway="on")

    order = SalesOrder.objects.get()
    assert response.status_code == 302
    assert (order.status, order.lines.get().quantity) == (S.PENDING, 5)


def test_order_create_view_ship_from_is_stored_and_checked_for_stock(staff_client, stocked, other_location):
    at_store = stocked(6, location=other_location)  # none at the default location

    shown = _text(staff_client.get(reverse("orders:order_create")))
    assert 'name="ship_from"' in shown and "store — Shop floor" in shown

    warned = _create(staff_client, [(at_store.variant.sku, "4")])
    assert "Not enough stock" in _text(warned)  # the default location has none
    response = _create(staff_client, [(at_store.variant.sku, "4")], ship_from=str(other_location.pk))

    assert response.status_code == 302
    order = SalesOrder.objects.get()
    assert order.ship_from == other_location


def test_line_availability_view_answers_for_the_ship_from_or_the_lines_location(staff_client, stocked, other_location):
    level = stocked(10)
    stocked(3, location=other_location, variant=level.variant)
    url = reverse("orders:line_availability")

    assert "10 available at main" in _text(staff_client.get(url, {"sku": level.variant.sku}, headers=HX))
    at_store = _text(staff_client.get(url, {"sku": level.variant.sku, "quantity": "4", "ship_from": other_location.pk},
                                      headers=HX))
    assert "Only 3 available at store" in at_store
    own = _text(staff_client.get(url, {"sku": level.variant.sku, "location": level.location.pk,
                                       "ship_from": other_location.pk}, headers=HX))
    assert "10 available at main" in own
    nothing = _text(staff_client.get(url, {"sku": factories.VariantFactory().sku}, headers=HX))
    assert "None available at main" in nothing

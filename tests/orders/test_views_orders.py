from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import Reservation, ReservationStatus, StockMovement
from orders.models import OrderEvent, OrderSource, OrderStatus, SalesOrder, StripeEvent
from orders.services.orders import order_commit_stock, order_reserve
from tests import factories

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
S = OrderStatus


def _detail(order):
    return reverse("orders:order_detail", kwargs={"number": order.number})


def _transition(client, order, to, headers=None):
    url = reverse("orders:order_transition", kwargs={"number": order.number})
    return client.post(url, {"to": to}, headers=headers or {})


def _create(client, lines, **fields):
    data = {"customer_name": "Brick & Co", "customer_email": "orders@brick.test", "notes": "Phone order",
            "sku": [sku for sku, _ in lines], "quantity": [quantity for _, quantity in lines]}
    data.update(fields)
    return client.post(reverse("orders:order_create"), data)


def _text(response) -> str:
    return response.content.decode()


# --- list -----------------------------------------------------------------

def test_order_list_view_renders_orders_with_links(staff_client, make_order):
    order = make_order(customer_name="Acme Ltd")

    response = staff_client.get(reverse("orders:order_list"))

    assert response.status_code == 200
    text = _text(response)
    assert "<html" in text
    assert f'href="{_detail(order)}"' in text
    assert "Acme Ltd" in text
    assert "Pending" in text
    assert 'hx-trigger="input changed delay:300ms, search"' in text
    assert "Total" not in text  # Staff do not see prices


def test_order_list_view_shows_totals_to_managers(manager_client, make_order):
    make_order(quantity=2)  # 2 x 19.99

    text = _text(manager_client.get(reverse("orders:order_list")))

    assert "Total" in text
    assert "39.98 USD" in text


def test_order_list_view_htmx_returns_the_rows_fragment(staff_client, make_order):
    order = make_order()

    response = staff_client.get(reverse("orders:order_list"), {"q": order.number}, headers=HX)

    assert response.status_code == 200
    text = _text(response)
    assert "<html" not in text
    assert 'id="order-filters"' not in text
    assert order.number in text
    assert "1 order" in text
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("field", ["number", "customer_name", "customer_email", "sku"])
def test_order_list_view_search_matches_number_customer_email_and_sku(staff_client, make_order, field):
    wanted = make_order(customer_name="Wanted Widgets", customer_email="wanted@widgets.test")
    other = make_order(customer_name="Someone Else", customer_email="else@other.test")
    term = {
        "number": wanted.number,
        "customer_name": "wanted widg",
        "customer_email": "@widgets.test",
        "sku": wanted.lines.get().variant.sku,
    }[field]

    response = staff_client.get(reverse("orders:order_list"), {"q": term}, headers=HX)

    text = _text(response)
    assert wanted.number in text
    assert other.number not in text


def test_order_list_view_filters_by_status(staff_client, make_order):
    pending = make_order()
    shipped = make_order(status=S.SHIPPED)

    text = _text(staff_client.get(reverse("orders:order_list"), {"status": "SHIPPED"}, headers=HX))

    assert shipped.number in text
    assert pending.number not in text


@pytest.mark.parametrize("query", ["?status=NOPE", "?q=%00", "?page=abc", "?page=999", "?status=%00&q=x"])
def test_order_list_view_ignores_bad_parameters(staff_client, make_order, query):
    make_order()

    response = staff_client.get(reverse("orders:order_list") + query)

    assert response.status_code == 200


def test_order_list_view_search_without_match_says_so(staff_client, make_order):
    make_order()

    text = _text(staff_client.get(reverse("orders:order_list"), {"q": "no-such-thing"}, headers=HX))

    assert "No orders match." in text


def test_order_views_send_anonymous_users_to_login(client, make_order):
    order = make_order()

    for url in [reverse("orders:order_list"), _detail(order), reverse("orders:order_create"),
                reverse("orders:variant_search") + "?q=SKU"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))


def test_order_views_refuse_users_without_a_role(client, make_order):
    order = make_order()
    client.force_login(factories.UserFactory(username="customer", role="Customer"))

    assert client.get(reverse("orders:order_list")).status_code == 403
    assert client.get(_detail(order)).status_code == 403
    assert client.get(reverse("orders:order_create")).status_code == 403
    assert _transition(client, order, "CONFIRMED").status_code == 403


def test_nav_links_to_orders_only_for_users_who_may_see_them(staff_client, client, make_order):
    assert 'href="/orders/"' in _text(staff_client.get(reverse("core:dashboard")))

    client.force_login(factories.UserFactory(username="customer", role="Customer"))
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 403
    assert 'href="/orders/"' not in _text(response)


# --- detail ---------------------------------------------------------------

def test_order_detail_view_shows_lines_status_and_actions(staff_client, make_order):
    order = make_order(quantity=3, customer_name="Acme Ltd")
    line = order.lines.get()

    response = staff_client.get(_detail(order))

    assert response.status_code == 200
    text = _text(response)
    assert f"Order {order.number}" in text
    assert "order-status-pending" in text
    assert line.variant.sku in text
    assert line.variant.display_name in text
    assert "Acme Ltd" in text
    assert "Not reserved yet" in text
    assert 'value="CONFIRMED"' in text and ">Confirm<" in text
    assert 'value="CANCELLED"' in text
    assert "19.99" not in text  # no prices for Staff
    assert "Order created (manual)." in text


def test_order_detail_view_shows_prices_to_managers(manager_client, make_order):
    order = make_order(quantity=3)

    text = _text(manager_client.get(_detail(order)))

    assert "Unit price" in text and "19.99" in text
    assert "59.97" in text  # line total and order total


def test_order_detail_view_confirmed_manual_order_is_held_until_shipped(staff_client, make_order):
    order = make_order(status=S.CONFIRMED)

    text = _text(staff_client.get(_detail(order)))

    assert "held until shipped" in text
    assert 'value="SHIPPED"' in text


def test_order_detail_view_shows_time_left_of_an_expiring_reservation(staff_client, make_order):
    order = make_order()
    order_reserve(order, ttl=timedelta(minutes=12), expires=True)

    text = _text(staff_client.get(_detail(order)))

    assert "expires in 12 min" in text


def test_order_detail_view_shows_an_expired_hold(staff_client, make_order):
    order = make_order()
    reservation = order_reserve(order, ttl=timedelta(minutes=12), expires=True)
    Reservation.objects.filter(pk=reservation.pk).update(status=ReservationStatus.EXPIRED)

    assert "<strong>Expired</strong>" in _text(staff_client.get(_detail(order)))


def test_order_detail_view_shows_the_attention_banner(staff_client, make_order):
    order = make_order()
    SalesOrder.objects.filter(pk=order.pk).update(
        attention="Payment received for a cancelled order: refund the customer.")

    text = _text(staff_client.get(_detail(order)))

    assert 'class="attention"' in text
    assert "Payment received for a cancelled order" in text


def test_order_detail_view_timeline_merges_events_movements_and_stripe_events(manager_client, make_order):
    order = make_order(quantity=2, status=S.SHIPPED)
    StripeEvent.objects.create(event_id="evt_1", type="charge.refunded", payload={}, order=order,
                               outcome="IGNORED", message="nothing to do here")

    text = _text(manager_client.get(_detail(order)))

    timeline = text[text.index('class="timeline"'):]
    assert "Order confirmed: stock reserved." in timeline
    assert "Order shipped: stock taken out (SALE)." in timeline
    assert 'class="type type-sale">Sale</span>' in timeline
    assert ">-2<" in timeline
    assert order.lines.get().variant.sku in timeline
    assert "charge.refunded" in timeline and "Ignored" in timeline and "nothing to do here" in timeline
    # Oldest first: created, confirmed, shipped (the SALE movement sits next to it).
    assert timeline.index("Order created") < timeline.index("Order confirmed") < timeline.index("Order shipped")


def test_order_detail_view_hides_stripe_events_from_staff(staff_client, make_order):
    order = make_order()
    StripeEvent.objects.create(event_id="evt_2", type="checkout.session.completed", payload={}, order=order)

    assert "checkout.session.completed" not in _text(staff_client.get(_detail(order)))


def test_order_detail_view_hides_refund_and_return_from_staff(staff_client, manager_user, make_order):
    confirmed = make_order(status=S.CONFIRMED, paid=True)
    shipped = make_order(status=S.SHIPPED, paid=True)

    staff_confirmed = _text(staff_client.get(_detail(confirmed)))
    staff_shipped = _text(staff_client.get(_detail(shipped)))
    assert 'value="REFUNDED"' not in staff_confirmed
    assert 'value="REFUNDED"' not in staff_shipped
    assert "Receive a return" not in staff_shipped

    staff_client.force_login(manager_user)
    manager_shipped = _text(staff_client.get(_detail(shipped)))
    assert 'value="REFUNDED"' in manager_shipped
    assert "Receive a return" in manager_shipped


def test_order_detail_view_htmx_returns_the_body_fragment(staff_client, make_order):
    order = make_order()

    response = staff_client.get(_detail(order), headers=HX)

    text = _text(response)
    assert "<html" not in text
    assert text.lstrip().startswith('<div id="order-body">')


@pytest.mark.parametrize("number", ["SO-999999", "%00", "nope"])
def test_order_detail_view_unknown_number_is_404(staff_client, number):
    assert staff_client.get(f"/orders/{number}/").status_code == 404


# --- create ---------------------------------------------------------------

def test_order_create_view_get_renders_form_with_autocomplete(staff_client, default_location):
    response = staff_client.get(reverse("orders:order_create"))

    text = _text(response)
    assert response.status_code == 200
    assert 'name="sku"' in text and 'name="quantity"' in text
    assert f'hx-get="{reverse("orders:variant_search")}"' in text
    assert 'hx-trigger="input changed delay:300ms"' in text
    assert f'hx-get="{reverse("orders:line_availability")}"' in text
    assert "js/orders.js" in text
    assert " onclick" not in text and " oninput" not in text


def test_order_create_view_add_line_returns_one_blank_row(staff_client, default_location):
    response = staff_client.get(reverse("orders:order_create"), {"add_line": "1"}, headers=HX)

    text = _text(response)
    assert "<html" not in text
    assert text.count('class="order-line"') == 1
    assert 'name="sku" value=""' in text


def test_order_create_view_creates_a_manual_order(staff_client, staff_user, stocked):
    jacket, hat = stocked(10), stocked(5)

    response = _create(staff_client, [(jacket.variant.sku, "3"), ("", ""), (hat.variant.sku, "1")])

    order = SalesOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _detail(order)
    assert (order.status, order.source, order.created_by) == (S.PENDING, OrderSource.MANUAL, staff_user)
    assert (order.customer_name, order.customer_email, order.notes) == (
        "Brick & Co", "orders@brick.test", "Phone order")
    assert [(line.variant.sku, line.quantity) for line in order.lines.all()] == [
        (jacket.variant.sku, 3), (hat.variant.sku, 1)]
    assert order.total == Decimal("79.96")
    assert f"Order {order.number} created" in _text(staff_client.get(response["Location"]))
    assert StockMovement.objects.filter(sales_order=order).count() == 0  # stock moves on confirm and ship


def test_order_create_view_unknown_sku_shows_error_and_creates_nothing(staff_client, stocked):
    level = stocked(10)

    response = _create(staff_client, [(level.variant.sku, "1"), ("NO-SUCH-SKU", "2")])

    assert response.status_code == 200
    text = _text(response)
    assert "Unknown SKU NO-SUCH-SKU." in text
    assert 'value="NO-SUCH-SKU"' in text  # the rows come back as typed
    assert f'value="{level.variant.sku}"' in text
    assert SalesOrder.objects.count() == 0


@pytest.mark.parametrize("quantity, error", [
    ("0", "Enter a quantity of at least 1."),
    ("-2", "Enter a quantity of at least 1."),
    ("abc", "Enter a whole number."),
    ("", "Enter a quantity."),
    ("99999999", "Ensure this value is less than or equal to 1000000."),
])
def test_order_create_view_bad_quantity_shows_error_and_creates_nothing(staff_client, stocked, quantity, error):
    level = stocked(10)

    response = _create(staff_client, [(level.variant.sku, quantity)])

    assert response.status_code == 200
    assert error in _text(response)
    assert SalesOrder.objects.count() == 0


def test_order_create_view_reports_every_problem_of_a_line(staff_client, stocked):
    level = stocked(10)

    response = _create(staff_client, [("NO-SUCH-SKU", "abc"), ("", "2"), (level.variant.sku, "1")])

    text = _text(response)
    assert "Unknown SKU NO-SUCH-SKU." in text
    assert "Enter a whole number." in text
    assert "Enter a SKU." in text
    assert SalesOrder.objects.count() == 0


def test_order_create_view_without_lines_shows_error_and_creates_nothing(staff_client, default_location):
    response = _create(staff_client, [("", ""), ("  ", "")])

    assert response.status_code == 200
    text = _text(response)
    assert "Add at least one line" in text
    assert 'class="order-line"' in text
    assert SalesOrder.objects.count() == 0


def test_order_create_view_inactive_variant_is_refused_by_the_service(staff_client, stocked):
    level = stocked(10)
    level.variant.active = False
    level.variant.save(update_fields=["active"])

    response = _create(staff_client, [(level.variant.sku, "1")])

    assert response.status_code == 200
    assert "is not for sale (inactive)" in _text(response)
    assert SalesOrder.objects.count() == 0


def test_order_create_view_bad_email_is_a_field_error(staff_client, stocked):
    level = stocked(10)

    response = _create(staff_client, [(level.variant.sku, "1")], customer_email="not-an-email")

    assert "Enter a valid email address." in _text(response)
    assert SalesOrder.objects.count() == 0


def test_order_create_view_too_many_rows_is_refused(staff_client, default_location):
    response = _create(staff_client, [("", "")] * 201)

    assert response.status_code == 200
    assert "at most 200 lines" in _text(response)
    assert SalesOrder.objects.count() == 0


# --- autocomplete and availability ----------------------------------------

def test_variant_search_view_lists_matches_with_availability(staff_client, stocked):
    level = stocked(8)
    other = stocked(2)
    level.variant.product.name = "Rain jacket"
    level.variant.product.save(update_fields=["name"])

    response = staff_client.get(reverse("orders:variant_search"), {"q": "rain"}, headers=HX)

    text = _text(response)
    assert response.status_code == 200
    assert "<html" not in text
    assert f'data-sku="{level.variant.sku}"' in text
    assert "8 available" in text
    assert other.variant.sku not in text


def test_variant_search_view_takes_the_line_input_name_and_skips_inactive(staff_client, stocked):
    active = stocked(1)
    inactive = stocked(1)
    inactive.variant.active = False
    inactive.variant.save(update_fields=["active"])

    text = _text(staff_client.get(reverse("orders:variant_search"), {"sku": "SKU-"}, headers=HX))

    assert f'data-sku="{active.variant.sku}"' in text
    assert f'data-sku="{inactive.variant.sku}"' not in text


@pytest.mark.parametrize("params, expected", [
    ({"q": ""}, ""),
    ({"q": "zzz-none"}, "No SKU matches"),
    ({"q": "\x00"}, ""),
])
def test_variant_search_view_empty_and_bad_terms(staff_client, stocked, params, expected):
    stocked(1)

    response = staff_client.get(reverse("orders:variant_search"), params, headers=HX)

    assert response.status_code == 200
    if expected:
        assert expected in _text(response)
    else:
        assert _text(response).strip() == ""


@pytest.mark.parametrize("quantity, expected", [("3", "8 available"), ("9", "Only 8 available"), ("", "8 available"),
                                                ("abc", "8 available")])
def test_line_availability_view_compares_quantity_with_available(staff_client, stocked, make_order, quantity, expected):
    level = stocked(10)
    # Two units held by another order: available is on hand minus reserved.
    make_order(quantity=2, variant=level.variant, on_hand=0, status=S.CONFIRMED)

    response = staff_client.get(reverse("orders:line_availability"), {"sku": level.variant.sku, "quantity": quantity},
                                headers=HX)

    text = _text(response)
    assert response.status_code == 200
    assert expected in text
    assert level.variant.display_name in text


@pytest.mark.parametrize("sku, expected", [("NOPE", "Unknown SKU"), ("", ""), ("\x00", "")])
def test_line_availability_view_unknown_or_empty_sku(staff_client, default_location, sku, expected):
    response = staff_client.get(reverse("orders:line_availability"), {"sku": sku, "quantity": "1"}, headers=HX)

    assert response.status_code == 200
    assert expected in _text(response)


# --- transitions ----------------------------------------------------------

def test_order_transition_view_confirm_reserves_and_returns_the_fragment(staff_client, staff_user, make_order):
    order = make_order(quantity=2, on_hand=10)

    response = _transition(staff_client, order, "CONFIRMED", headers=HX)

    assert response.status_code == 200
    text = _text(response)
    assert "<html" not in text
    assert f"Order {order.number} is now confirmed." in text
    assert 'hx-swap-oob="innerHTML:#messages"' in text  # the message replaces the layout's messages
    assert "held until shipped" in text
    assert 'value="SHIPPED"' in text
    order.refresh_from_db()
    order.level.refresh_from_db()
    assert order.status == S.CONFIRMED
    assert (order.level.on_hand, order.level.reserved) == (10, 2)
    assert OrderEvent.objects.filter(order=order, to_status=S.CONFIRMED, user=staff_user).count() == 1


def test_order_transition_view_ship_takes_stock_out(staff_client, make_order):
    order = make_order(quantity=2, on_hand=10, status=S.CONFIRMED)

    response = _transition(staff_client, order, "SHIPPED", headers=HX)

    text = _text(response)
    assert "is now shipped" in text
    assert 'class="type type-sale">Sale</span>' in text
    order.refresh_from_db()
    order.level.refresh_from_db()
    assert order.status == S.SHIPPED
    assert (order.level.on_hand, order.level.reserved) == (8, 0)
    assert list(StockMovement.objects.filter(sales_order=order).values_list("type", "delta")) == [("SALE", -2)]


def test_order_transition_view_deliver(staff_client, make_order):
    order = make_order(status=S.SHIPPED)

    _transition(staff_client, order, "DELIVERED", headers=HX)

    order.refresh_from_db()
    assert order.status == S.DELIVERED


def test_order_transition_view_cancel_releases_stock(staff_client, make_order):
    order = make_order(quantity=2, status=S.CONFIRMED)

    response = _transition(staff_client, order, "CANCELLED", headers=HX)

    assert "is now cancelled" in _text(response)
    assert "The order is closed." in _text(response)
    order.refresh_from_db()
    order.level.refresh_from_db()
    assert order.status == S.CANCELLED
    assert order.level.reserved == 0


def test_order_transition_view_refund_by_manager(manager_client, make_order):
    order = make_order(quantity=2, status=S.CONFIRMED, paid=True)

    response = _transition(manager_client, order, "REFUNDED", headers=HX)

    assert "is now refunded" in _text(response)
    order.refresh_from_db()
    order.level.refresh_from_db()
    assert order.status == S.REFUNDED
    assert order.level.reserved == 0


def test_order_transition_view_refund_is_forbidden_to_staff(staff_client, make_order):
    order = make_order(status=S.CONFIRMED, paid=True)

    response = _transition(staff_client, order, "REFUNDED", headers=HX)

    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == S.CONFIRMED


def test_order_transition_view_illegal_move_is_a_message_and_changes_nothing(staff_client, make_order):
    order = make_order(quantity=2)

    response = _transition(staff_client, order, "SHIPPED", headers=HX)

    assert response.status_code == 200
    text = _text(response)
    assert "cannot become shipped" in text
    assert "message-error" in text
    order.refresh_from_db()
    assert order.status == S.PENDING
    assert StockMovement.objects.filter(sales_order=order).count() == 0


def test_order_transition_view_short_stock_is_a_message_and_changes_nothing(staff_client, make_order):
    order = make_order(quantity=5, on_hand=3)

    response = _transition(staff_client, order, "CONFIRMED", headers=HX)

    assert response.status_code == 200
    assert "5 requested, 3 available" in _text(response)
    order.refresh_from_db()
    order.level.refresh_from_db()
    assert order.status == S.PENDING
    assert order.level.reserved == 0
    assert not Reservation.objects.filter(sales_order=order).exists()


def test_order_transition_view_without_htmx_redirects_with_message(staff_client, make_order):
    order = make_order()

    response = _transition(staff_client, order, "CONFIRMED")

    assert response.status_code == 302
    assert response["Location"] == _detail(order)
    assert f"Order {order.number} is now confirmed." in _text(staff_client.get(response["Location"]))


@pytest.mark.parametrize("to", ["NOPE", "", "\x00"])
def test_order_transition_view_unknown_status_changes_nothing(staff_client, make_order, to):
    order = make_order()

    response = _transition(staff_client, order, to, headers=HX)

    assert response.status_code == 200
    assert "Choose one of the actions" in _text(response)
    order.refresh_from_db()
    assert order.status == S.PENDING


@pytest.mark.parametrize("name", ["orders:order_transition", "orders:order_return", "orders:order_refund_lines"])
def test_order_action_views_answer_get_with_the_order_page(manager_client, make_order, name):
    order = make_order()

    response = manager_client.get(reverse(name, kwargs={"number": order.number}))

    assert response.status_code == 302
    assert response["Location"] == _detail(order)
    order.refresh_from_db()
    assert order.status == S.PENDING


def test_order_action_views_refuse_staff_the_refund_actions_before_anything_else(staff_client, make_order):
    order = make_order()

    assert staff_client.get(reverse("orders:order_return", kwargs={"number": order.number})).status_code == 403
    assert staff_client.get(reverse("orders:order_refund_lines", kwargs={"number": order.number})).status_code == 403


def test_order_transition_view_unknown_order_is_404(staff_client, db):
    assert staff_client.post("/orders/SO-424242/transition/", {"to": "CONFIRMED"}).status_code == 404


# --- returns and partial refunds ------------------------------------------

def _return(client, order, quantities, headers=None, **extra):
    data = {f"return-line_{line_id}": str(qty) for line_id, qty in quantities.items()}
    data.update(extra)
    return client.post(reverse("orders:order_return", kwargs={"number": order.number}), data, headers=headers or {})


def test_order_return_view_restocks_returned_units(manager_client, make_order):
    order = make_order(quantity=3, on_hand=10, status=S.SHIPPED)
    line = order.lines.get()

    response = _return(manager_client, order, {line.pk: 2}, headers=HX, **{"return-note": "Box damaged"})

    assert response.status_code == 200
    assert "Return received" in _text(response)
    line.refresh_from_db()
    order.level.refresh_from_db()
    assert line.restocked_quantity == 2
    assert order.level.on_hand == 9
    assert StockMovement.objects.filter(sales_order=order, type="RETURN", delta=2).count() == 1


def test_order_return_view_too_many_units_shows_error_and_changes_nothing(manager_client, make_order):
    order = make_order(quantity=3, on_hand=10, status=S.SHIPPED)
    line = order.lines.get()

    response = _return(manager_client, order, {line.pk: 4}, headers=HX)

    assert response.status_code == 200
    text = _text(response)
    assert "only 3 sold and not yet back" in text
    assert 'class="form-error"' in text
    order.level.refresh_from_db()
    assert order.level.on_hand == 7


@pytest.mark.parametrize("value", ["-1", "abc"])
def test_order_return_view_bad_quantity_is_a_field_error(manager_client, make_order, value):
    order = make_order(quantity=3, status=S.SHIPPED)
    line = order.lines.get()

    response = _return(manager_client, order, {line.pk: value}, headers=HX)

    assert response.status_code == 200
    assert "field-error" in _text(response)
    assert not StockMovement.objects.filter(sales_order=order, type="RETURN").exists()


def test_order_return_view_before_shipping_is_refused(manager_client, make_order):
    order = make_order(status=S.CONFIRMED)

    response = _return(manager_client, order, {}, headers=HX)

    assert response.status_code == 200
    assert "only shipped, delivered or refunded orders take returns" in _text(response)


def test_order_return_view_is_forbidden_to_staff(staff_client, make_order):
    order = make_order(status=S.SHIPPED)

    response = _return(staff_client, order, {order.lines.get().pk: 1})

    assert response.status_code == 403
    assert not StockMovement.objects.filter(sales_order=order, type="RETURN").exists()


def _partially_refunded(make_order):
    """A paid order whose stock is sold but not shipped, then partly refunded through Stripe."""
    order = make_order(quantity=3, on_hand=10, status=S.CONFIRMED)
    order_commit_stock(order)
    SalesOrder.objects.filter(pk=order.pk).update(
        attention="Partial refund of 19.99 USD: choose the lines to restock.", amount_refunded=Decimal("19.99"))
    order.refresh_from_db()
    return order


def test_order_refund_lines_view_restocks_chosen_units_and_clears_the_flag(manager_client, make_order):
    order = _partially_refunded(make_order)
    line = order.lines.get()
    assert "Partial refund: restock lines" in _text(manager_client.get(_detail(order)))

    response = manager_client.post(reverse("orders:order_refund_lines", kwargs={"number": order.number}),
                                   {f"refund-line_{line.pk}": "1"}, headers=HX)

    assert response.status_code == 200
    text = _text(response)
    assert "Partial refund of order" in text
    assert 'class="attention"' not in text
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.attention == ""
    assert line.restocked_quantity == 1
    assert StockMovement.objects.filter(sales_order=order, type="REFUND", delta=1).count() == 1


def test_order_refund_lines_view_is_forbidden_to_staff(staff_client, make_order):
    order = _partially_refunded(make_order)

    response = staff_client.post(reverse("orders:order_refund_lines", kwargs={"number": order.number}),
                                 {f"refund-line_{order.lines.get().pk}": "1"})

    assert response.status_code == 403
    order.refresh_from_db()
    assert order.attention != ""


def test_order_refund_lines_view_after_shipping_only_clears_the_flag(manager_client, make_order):
    order = make_order(quantity=3, status=S.SHIPPED)
    SalesOrder.objects.filter(pk=order.pk).update(attention="Partial refund of 19.99 USD: choose the lines to restock.",
                                                  amount_refunded=Decimal("19.99"))
    page = _text(manager_client.get(_detail(order)))
    assert "shipped units come back through a return" in page
    assert "refund-line_" not in page

    response = manager_client.post(reverse("orders:order_refund_lines", kwargs={"number": order.number}), {},
                                   headers=HX)

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.attention == ""
    assert not StockMovement.objects.filter(sales_order=order, type="REFUND").exists()


def test_order_list_view_offers_a_page_size(staff_client, make_order):
    for _ in range(3):
        make_order()

    default = staff_client.get(reverse("orders:order_list"))
    bigger = staff_client.get(reverse("orders:order_list"), {"page_size": 100})
    unknown = staff_client.get(reverse("orders:order_list"), {"page_size": 7})

    assert default.context["page_obj"].page_size == 50
    assert bigger.context["page_obj"].page_size == 100 and len(bigger.context["page_obj"]) == 3
    assert unknown.context["page_obj"].page_size == 50  # only the sizes offered

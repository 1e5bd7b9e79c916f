"""Changing an order after creation: a pending order's lines, and where an order ships from."""
from decimal import Decimal

import pytest

from core.exceptions import IllegalTransition, InsufficientStock, ValidationFailed
from inventory.models import MovementType, Reservation, ReservationStatus, StockMovement
from inventory.services import ledger_verify
from orders.models import OrderEvent, OrderSource, OrderStatus, SalesOrder, SalesOrderLine
from orders.services import (
    OrderLineRequest,
    sales_order_create,
    sales_order_payment_record,
    sales_order_transition,
    sales_order_update,
)
from orders.services.orders import order_reserve
from tests import factories

pytestmark = pytest.mark.django_db
S = OrderStatus


def _stock(level):
    level.refresh_from_db()
    return level.on_hand, level.reserved


def _lines(order):
    return [(line.variant.sku, line.quantity, line.location_id, line.unit_price)
            for line in order.lines.select_related("variant").order_by("id")]


def _snapshot(order):
    order.refresh_from_db()
    return (order.status, order.total, order.ship_from_id, _lines(order), order.events.count(),
            Reservation.objects.filter(sales_order=order, status=ReservationStatus.ACTIVE).count())


# --- lines ------------------------------------------------------------------

@pytest.mark.smoke
def test_sales_order_update_lines_change_add_remove_and_keep_prices(stocked, other_location, staff_user):
    a, b, c = stocked(10), stocked(10), stocked(10)
    order = sales_order_create(lines=[
        OrderLineRequest(variant=a.variant, quantity=2, unit_price=Decimal("5.00")),  # a negotiated price
        OrderLineRequest(variant=b.variant, quantity=1),
    ])
    first_line = order.lines.get(variant=a.variant)

    sales_order_update(order=order, user=staff_user, lines=[
        OrderLineRequest(variant=a.variant, quantity=3, location=other_location),
        OrderLineRequest(variant=c.variant, quantity=4),
    ])

    order.refresh_from_db()
    assert _lines(order) == [
        (a.variant.sku, 3, other_location.pk, Decimal("5.00")),  # same line, price kept
        (c.variant.sku, 4, None, Decimal("19.99")),  # new SKU: catalogue price
    ]
    assert order.lines.get(variant=a.variant).pk == first_line.pk
    assert order.total == Decimal("94.96")  # 3 × 5.00 + 4 × 19.99
    assert order.status == S.PENDING
    event = order.events.order_by("-id").first()
    assert event.user == staff_user
    assert event.message == (f"Order changed: {a.variant.sku} quantity 2 → 3; {a.variant.sku} location default → store; "
                             f"added {c.variant.sku} × 4; removed {b.variant.sku}.")
    assert "19.99" not in event.message and "5.00" not in event.message  # Staff read the timeline
    assert _stock(a) == (10, 0)  # a pending order holds nothing


def test_sales_order_update_lines_with_a_new_unit_price(stocked):
    level = stocked(10)
    order = sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=2)])

    sales_order_update(order=order, lines=[OrderLineRequest(variant=level.variant, quantity=2,
                                                            unit_price=Decimal("7.5"))])

    order.refresh_from_db()
    assert (order.total, order.lines.get().unit_price) == (Decimal("15.00"), Decimal("7.50"))
    assert "unit price changed" in order.events.order_by("-id").first().message


def test_sales_order_update_same_lines_changes_nothing(stocked):
    level = stocked(10)
    order = sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=2)])
    before = _snapshot(order)

    sales_order_update(order=order, lines=[OrderLineRequest(variant=level.variant, quantity=2)])

    assert _snapshot(order) == before  # no event either


def test_sales_order_update_then_confirm_reserves_the_new_lines(stocked, other_location):
    a = stocked(10)
    b = stocked(6, location=other_location)
    order = sales_order_create(lines=[OrderLineRequest(variant=a.variant, quantity=2)])
    sales_order_update(order=order, lines=[OrderLineRequest(variant=a.variant, quantity=5),
                                           OrderLineRequest(variant=b.variant, quantity=6, location=other_location)])

    sales_order_transition(order=order, to=S.CONFIRMED)

    assert _stock(a) == (10, 5)
    assert _stock(b) == (6, 6)
    assert ledger_verify() == []


@pytest.mark.parametrize("status", [S.CONFIRMED, S.SHIPPED, S.CANCELLED])
def test_sales_order_update_lines_refused_unless_pending(make_order, status):
    order = make_order(status=status)
    before = _snapshot(order)

    with pytest.raises(IllegalTransition) as caught:
        sales_order_update(order=order, lines=[OrderLineRequest(variant=order.level.variant, quantity=1)])

    assert "only a pending order's lines can be changed" in caught.value.message
    assert caught.value.status_code == 409
    assert _snapshot(order) == before


def test_sales_order_update_refuses_a_checkout_order(stocked):
    level = stocked(10)
    order = sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=2)], source=OrderSource.CHECKOUT)
    order_reserve(order, expires=True)
    before = _snapshot(order)

    with pytest.raises(IllegalTransition):
        sales_order_update(order=order, lines=[OrderLineRequest(variant=level.variant, quantity=1)])
    with pytest.raises(IllegalTransition):
        sales_order_update(order=order, ship_from=None)

    assert _snapshot(order) == before


def test_sales_order_update_bad_lines_change_nothing(stocked):
    level = stocked(10)
    order = sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=2)])
    before = _snapshot(order)
    retired = factories.VariantFactory(active=False)
    closed = factories.LocationFactory(code="closed", active=False)

    for lines, words in [
        ([], "at least one line"),
        ([OrderLineRequest(variant=level.variant, quantity=0)], "positive whole number"),
        ([OrderLineRequest(variant=level.variant, quantity=1), OrderLineRequest(variant=retired, quantity=1)],
         "not for sale"),
        ([OrderLineRequest(variant=level.variant, quantity=1, location=closed)], "inactive"),
        ([OrderLineRequest(variant=level.variant, quantity=1, unit_price=Decimal("-1"))], "zero or more"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            sales_order_update(order=order, lines=lines)
        assert caught.value.field == "lines"
        assert words in caught.value.message

    assert _snapshot(order) == before


def test_sales_order_update_needs_something_to_change(stocked):
    order = sales_order_create(lines=[OrderLineRequest(variant=stocked(3).variant, quantity=1)])
    with pytest.raises(ValidationFailed):
        sales_order_update(order=order)


def test_sales_order_update_lines_not_below_what_was_paid(stocked):
    level = stocked(10)
    order = sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=2)])  # 39.98
    sales_order_payment_record(order=order, method="CASH", amount=Decimal("30.00"))
    before = _snapshot(order)

    with pytest.raises(ValidationFailed) as caught:
        sales_order_update(order=order, lines=[OrderLineRequest(variant=level.variant, quantity=1)])

    assert "less than what was already paid" in caught.value.message
    assert _snapshot(order) == before


def test_sales_order_update_more_lines_make_a_paid_order_part_paid(stocked):
    level = stocked(10)
    order = sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=1)])
    sales_order_payment_record(order=order, method="CARD", amount=Decimal("19.99"))
    order.refresh_from_db()
    assert order.is_paid

    sales_order_update(order=order, lines=[OrderLineRequest(variant=level.variant, quantity=2)])

    order.refresh_from_db()
    assert not order.is_paid and order.has_payment and order.amount_due == Decimal("19.99")


# --- ship-from ----------------------------------------------------------------

def test_sales_order_create_with_ship_from_reserves_sells_and_restocks_there(stocked, other_location):
    at_store = stocked(5, location=other_location)
    at_main = stocked(5, variant=at_store.variant)
    order = sales_order_create(lines=[OrderLineRequest(variant=at_store.variant, quantity=3)], ship_from=other_location)
    assert order.ship_from == other_location

    sales_order_transition(order=order, to=S.CONFIRMED)
    assert (_stock(at_store), _stock(at_main)) == ((5, 3), (5, 0))
    sales_order_transition(order=order, to=S.SHIPPED)
    assert (_stock(at_store), _stock(at_main)) == ((2, 0), (5, 0))
    line = order.lines.get()
    from orders.services import sales_order_return_receive

    sales_order_return_receive(order=order, quantities={line.pk: 1})
    assert _stock(at_store) == (3, 0)
    assert StockMovement.objects.get(sales_order=order, type=MovementType.RETURN).location == other_location
    assert ledger_verify() == []


def test_sales_order_create_refuses_an_inactive_ship_from(stocked):
    closed = factories.LocationFactory(code="closed", active=False)
    with pytest.raises(ValidationFailed) as caught:
        sales_order_create(lines=[OrderLineRequest(variant=stocked(3).variant, quantity=1)], ship_from=closed)
    assert caught.value.field == "ship_from"
    assert SalesOrder.objects.count() == 0


def test_sales_order_update_ship_from_of_a_pending_order(stocked, other_location, staff_user):
    level = stocked(5)
    order = sales_order_create(lines=[OrderLineRequest(variant=level.variant, quantity=1)])

    sales_order_update(order=order, ship_from=other_location, user=staff_user)

    order.refresh_from_db()
    assert order.ship_from == other_location
    assert order.events.order_by("-id").first().message == "Order changed: ship-from location default → store."
    sales_order_update(order=order, ship_from=None)
    order.refresh_from_db()
    assert order.ship_from is None


def test_sales_order_update_ship_from_moves_a_confirmed_orders_reservation(stocked, other_location):
    main = stocked(10)
    store = stocked(10, location=other_location, variant=main.variant)
    own = stocked(10)  # a line with its own location stays where it is
    order = sales_order_create(lines=[OrderLineRequest(variant=main.variant, quantity=4),
                                      OrderLineRequest(variant=own.variant, quantity=2, location=own.location)])
    sales_order_transition(order=order, to=S.CONFIRMED)
    first = Reservation.objects.get(sales_order=order)
    assert (_stock(main), _stock(store), _stock(own)) == ((10, 4), (10, 0), (10, 2))

    sales_order_update(order=order, ship_from=other_location)

    assert (_stock(main), _stock(store), _stock(own)) == ((10, 0), (10, 4), (10, 2))
    first.refresh_from_db()
    assert first.status == ReservationStatus.RELEASED
    held = Reservation.objects.get(sales_order=order, status=ReservationStatus.ACTIVE)
    assert held.expires_at is None
    order.refresh_from_db()
    assert order.status == S.CONFIRMED
    assert "reserved stock moved" in order.events.order_by("-id").first().message
    sales_order_transition(order=order, to=S.SHIPPED)
    assert (_stock(main), _stock(store)) == ((10, 0), (6, 0))
    assert ledger_verify() == []


def test_sales_order_update_ship_from_short_there_changes_nothing(stocked, other_location):
    main = stocked(10)
    stocked(1, location=other_location, variant=main.variant)
    order = sales_order_create(lines=[OrderLineRequest(variant=main.variant, quantity=4)])
    sales_order_transition(order=order, to=S.CONFIRMED)
    before = _snapshot(order)

    with pytest.raises(InsufficientStock) as caught:
        sales_order_update(order=order, ship_from=other_location)

    assert caught.value.details["lines"][0]["available"] == 1
    assert _snapshot(order) == before
    assert _stock(main) == (10, 4)


@pytest.mark.parametrize("status", [S.SHIPPED, S.DELIVERED, S.CANCELLED])
def test_sales_order_update_ship_from_refused_once_shipped_or_closed(make_order, other_location, status):
    order = make_order(status=status)
    before = _snapshot(order)

    with pytest.raises(IllegalTransition):
        sales_order_update(order=order, ship_from=other_location)

    assert _snapshot(order) == before


def test_sales_order_update_refuses_an_inactive_ship_from(make_order):
    order = make_order()
    closed = factories.LocationFactory(code="closed", active=False)
    with pytest.raises(ValidationFailed) as caught:
        sales_order_update(order=order, ship_from=closed)
    assert caught.value.field == "ship_from"
    order.refresh_from_db()
    assert order.ship_from is None
    assert not SalesOrderLine.objects.filter(location=closed).exists()
    assert not OrderEvent.objects.filter(message__contains="closed").exists()

import pytest

from core.exceptions import IllegalTransition
from inventory.models import MovementType, Reservation, ReservationStatus, StockMovement
from inventory.services import ReservationLineRequest, reservation_create
from orders.models import OrderStatus
from orders.services import reservation_commit_standalone, reservation_release_standalone
from tests import factories

pytestmark = pytest.mark.django_db


def _reserve(level, quantity: int):
    return reservation_create(reference="cart-1", lines=[
        ReservationLineRequest(variant=level.variant, quantity=quantity, location=level.location),
    ]).reservation


def _stock(level):
    level.refresh_from_db()
    return level.on_hand, level.reserved


@pytest.fixture
def order_reservation(make_order):
    """A confirmed order's reservation (it belongs to the order), with the order on `.order`."""
    order = make_order(quantity=2, on_hand=10, status=OrderStatus.CONFIRMED)
    reservation = Reservation.objects.get(sales_order=order)
    reservation.order = order
    return reservation


# --- commit -------------------------------------------------------------------------

def test_reservation_commit_standalone_sells_what_is_held(stocked):
    level = stocked(10)
    reservation = _reserve(level, 3)
    user = factories.UserFactory(username="clerk")

    result = reservation_commit_standalone(reservation=reservation, user=user)

    assert (result.reservation.status, result.replayed) == (ReservationStatus.COMMITTED, False)
    assert _stock(level) == (7, 0)
    sale = StockMovement.objects.get(type=MovementType.SALE)
    assert (sale.delta, sale.user, sale.reservation_id) == (-3, user, reservation.pk)


def test_reservation_commit_standalone_twice_changes_nothing(stocked):
    level = stocked(10)
    reservation = _reserve(level, 3)
    reservation_commit_standalone(reservation=reservation)

    result = reservation_commit_standalone(reservation=reservation)

    assert (result.reservation.status, result.replayed) == (ReservationStatus.COMMITTED, True)
    assert _stock(level) == (7, 0)
    assert StockMovement.objects.filter(type=MovementType.SALE).count() == 1


def test_reservation_commit_standalone_refuses_an_orders_reservation(order_reservation):
    order, level = order_reservation.order, order_reservation.order.level
    movements = StockMovement.objects.count()

    with pytest.raises(IllegalTransition) as caught:
        reservation_commit_standalone(reservation=order_reservation)

    assert caught.value.status_code == 409
    assert caught.value.message == (
        f"Reservation {order_reservation.pk} belongs to order {order.number}: ship it through the order instead."
    )
    order_reservation.refresh_from_db()
    order.refresh_from_db()
    assert order_reservation.status == ReservationStatus.ACTIVE
    assert order.status == OrderStatus.CONFIRMED
    assert _stock(level) == (10, 2)
    assert StockMovement.objects.count() == movements


def test_reservation_commit_standalone_keeps_the_inventory_rules(stocked):
    level = stocked(10)
    reservation = _reserve(level, 3)
    reservation_release_standalone(reservation=reservation)

    with pytest.raises(IllegalTransition, match="only an active reservation can be committed"):
        reservation_commit_standalone(reservation=reservation)

    assert _stock(level) == (10, 0)


# --- release ------------------------------------------------------------------------

def test_reservation_release_standalone_gives_the_stock_back(stocked):
    level = stocked(10)
    reservation = _reserve(level, 3)
    assert _stock(level) == (10, 3)

    result = reservation_release_standalone(reservation=reservation)

    assert (result.reservation.status, result.replayed) == (ReservationStatus.RELEASED, False)
    assert _stock(level) == (10, 0)
    assert reservation_release_standalone(reservation=reservation).replayed is True


def test_reservation_release_standalone_refuses_an_orders_reservation(order_reservation):
    order, level = order_reservation.order, order_reservation.order.level

    with pytest.raises(IllegalTransition) as caught:
        reservation_release_standalone(reservation=order_reservation)

    assert caught.value.status_code == 409
    assert caught.value.message == (
        f"Reservation {order_reservation.pk} belongs to order {order.number}: cancel it through the order instead."
    )
    order_reservation.refresh_from_db()
    assert order_reservation.status == ReservationStatus.ACTIVE
    assert _stock(level) == (10, 2)


def test_reservation_release_standalone_keeps_the_inventory_rules(stocked):
    level = stocked(10)
    reservation = _reserve(level, 3)
    reservation_commit_standalone(reservation=reservation)

    with pytest.raises(IllegalTransition, match="is committed"):
        reservation_release_standalone(reservation=reservation)

    assert _stock(level) == (7, 0)

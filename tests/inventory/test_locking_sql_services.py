"""Every public stock service, on the SQL it sends: each stock level it changes is locked
(SELECT ... FOR UPDATE, primary-key order, inside its transaction) before it is updated, and a
statement locking several levels asks for them in ascending id order.

The single-service checks (adjust, count, transfer) are in test_locking_sql.py; this file covers
the rest: reservations (create, commit, release, expiry), receiving, bulk changes, count sheets,
the reversal of an import's movements and level settings (orders' refunds and returns: in
tests/orders/test_locking_sql_orders.py).
"""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import MovementType, Reservation, StockMovement
from inventory.services import (
    ReceiveLine,
    ReservationLineRequest,
    ReturnLine,
    reservation_commit,
    reservation_create,
    reservation_release,
    reservations_expire_due,
    stock_level_settings_update,
    stock_receive,
    stock_return,
)
from inventory.services.bulk import BulkLine, stock_adjust_bulk
from inventory.services.counts import CountLine, stock_count_bulk, stock_movements_reverse
from tests.inventory.test_locking_sql import _check_locked_before_updated, _is_lock, _locked_ids

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no SELECT ... FOR UPDATE"),
]


def _sql_of(action) -> tuple[list[str], list[int]]:
    """Run the action, check its statements, return (lock statements, updated level ids)."""
    with CaptureQueriesContext(connection) as ctx:
        action()
    statements = [query["sql"] for query in ctx.captured_queries]
    locks, updated = _check_locked_before_updated(statements)
    for sql in locks:
        ids = _locked_ids(sql)
        assert ids == sorted(ids), f"levels locked out of primary-key order: {sql}"
    assert all(_is_lock(sql) for sql in locks)
    return locks, updated


@pytest.fixture
def three_levels(stocked, other_location):
    first, second = stocked(10), stocked(10)
    third = stocked(10, location=other_location, variant=first.variant)
    return first, second, third


def _request(level, quantity):
    return ReservationLineRequest(variant=level.variant, location=level.location, quantity=quantity)


def test_reservation_create_one_line(stocked):
    level = stocked(10)
    locks, updated = _sql_of(lambda: reservation_create(reference="cart", lines=[_request(level, 2)]))
    assert updated == [level.pk]


def test_reservation_create_several_lines_locks_them_together_ascending(three_levels):
    first, second, third = three_levels
    lines = [_request(third, 1), _request(first, 1), _request(second, 1)]
    locks, updated = _sql_of(lambda: reservation_create(reference="cart", lines=lines))
    assert len(locks) == 1 and _locked_ids(locks[0]) == sorted([first.pk, second.pk, third.pk])
    assert sorted(updated) == sorted([first.pk, second.pk, third.pk])


def test_reservation_create_expiring_an_overdue_hold_on_another_level(three_levels):
    first, second, _ = three_levels
    overdue = reservation_create(reference="old", lines=[_request(first, 1), _request(second, 1)]).reservation
    Reservation.objects.filter(pk=overdue.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    locks, updated = _sql_of(lambda: reservation_create(reference="new", lines=[_request(first, 3)]))
    assert set(updated) == {first.pk, second.pk}


@pytest.mark.parametrize("held", [True, False], ids=["held", "reacquired"])
def test_reservation_commit(three_levels, held):
    first, second, third = three_levels
    reservation = reservation_create(reference="sale", lines=[_request(third, 1), _request(first, 2)]).reservation
    if not held:
        reservation_release(reservation=reservation)
    locks, updated = _sql_of(lambda: reservation_commit(reservation=reservation, reacquire=not held))
    assert sorted(set(updated)) == sorted([first.pk, third.pk])
    assert StockMovement.objects.filter(reservation=reservation, type=MovementType.SALE).count() == 2


def test_reservation_release(three_levels):
    first, _, third = three_levels
    reservation = reservation_create(reference="cart", lines=[_request(third, 1), _request(first, 2)]).reservation
    locks, updated = _sql_of(lambda: reservation_release(reservation=reservation))
    assert sorted(updated) == sorted([first.pk, third.pk])


def test_reservations_expire_due(three_levels):
    first, second, _ = three_levels
    reservation_create(reference="a", lines=[_request(second, 1), _request(first, 1)], ttl=timedelta(seconds=1))
    later = timezone.now() + timedelta(minutes=5)
    locks, updated = _sql_of(lambda: reservations_expire_due(now=later))
    assert sorted(updated) == sorted([first.pk, second.pk])


def test_stock_receive(three_levels, variant, default_location):
    first, _, third = three_levels
    lines = [ReceiveLine(variant=third.variant, location=third.location, quantity=4),
             ReceiveLine(variant=variant, location=default_location, quantity=2),
             ReceiveLine(variant=first.variant, location=first.location, quantity=1)]
    locks, updated = _sql_of(lambda: stock_receive(lines=lines, reason="PO-1"))
    assert len(locks) == 1 and len(set(updated)) == 3


def test_stock_adjust_bulk(three_levels):
    first, second, third = three_levels
    lines = [BulkLine(variant=level.variant, location=level.location, quantity=-1, type="DAMAGE", reason="Torn")
             for level in (third, second, first)]
    locks, updated = _sql_of(lambda: stock_adjust_bulk(lines=lines))
    assert len(locks) == 1 and sorted(updated) == sorted([first.pk, second.pk, third.pk])


def test_stock_count_bulk(three_levels):
    first, second, third = three_levels
    lines = [CountLine(line=n, variant_id=level.variant_id, location_id=level.location_id, sku=level.variant.sku,
                       reason="Count sheet", counted=4) for n, level in enumerate((third, first, second), start=2)]
    locks, updated = _sql_of(lambda: stock_count_bulk(lines=lines))
    assert len(locks) == 1 and sorted(updated) == sorted([first.pk, second.pk, third.pk])


def test_stock_movements_reverse(three_levels):
    first, second, third = three_levels
    results = stock_count_bulk(lines=[
        CountLine(line=n, variant_id=level.variant_id, location_id=level.location_id, sku=level.variant.sku,
                  reason="Count sheet", change=2) for n, level in enumerate((third, first, second), start=2)
    ])
    movements = [result.movement for result in results]
    locks, updated = _sql_of(lambda: stock_movements_reverse(movements=movements, reason="Undo"))
    assert sorted(updated) == sorted([first.pk, second.pk, third.pk])
    for level in (first, second, third):
        level.refresh_from_db()
        assert level.on_hand == 10


def test_stock_level_settings_update(stocked):
    level = stocked(10)
    locks, updated = _sql_of(lambda: stock_level_settings_update(level=level, low_stock_threshold=4,
                                                                 reorder_quantity=12))
    assert updated == [level.pk]


def test_stock_return(three_levels):
    first, _, third = three_levels
    lines = [ReturnLine(variant=third.variant, location=third.location, quantity=1),
             ReturnLine(variant=first.variant, location=None, quantity=2)]
    locks, updated = _sql_of(lambda: stock_return(lines=lines, type=MovementType.RETURN, reason="Return SO-1"))
    assert sorted(updated) == sorted([first.pk, third.pk])

from datetime import timedelta

import pytest
from django.utils import timezone

from core.exceptions import IllegalTransition, InsufficientStock, StockMismatch, ValidationFailed
from inventory.models import MovementType, Reservation, ReservationStatus, StockLevel, StockMovement
from inventory.services import (
    ReservationLineRequest,
    ledger_verify,
    reservation_commit,
    reservation_create,
    reservation_hold,
    reservation_release,
    reservations_expire_due,
)
from tests import factories

pytestmark = pytest.mark.django_db


def _line(variant, quantity, location=None):
    return ReservationLineRequest(variant=variant, quantity=quantity, location=location)


def _levels(*levels):
    for level in levels:
        level.refresh_from_db()
    return [(level.on_hand, level.reserved) for level in levels]


def _overdue(reservation):
    Reservation.objects.filter(pk=reservation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_reservation_create_holds_every_line(stocked):
    a, b = stocked(10), stocked(5)
    result = reservation_create(reference="cart-1", lines=[_line(a.variant, 3), _line(b.variant, 5)])

    assert not result.replayed
    assert result.reservation.status == ReservationStatus.ACTIVE
    assert sorted(line.quantity for line in result.reservation.lines.all()) == [3, 5]
    assert _levels(a, b) == [(10, 3), (5, 5)]
    assert StockMovement.objects.filter(type=MovementType.SALE).count() == 0
    assert ledger_verify() == []


@pytest.mark.smoke
def test_reservation_create_default_ttl_is_thirty_minutes(stocked, settings):
    settings.RESERVATION_TTL_MINUTES = 30
    level = stocked(5)
    before = timezone.now()
    reservation = reservation_create(reference="r", lines=[_line(level.variant, 1)]).reservation
    assert before + timedelta(minutes=30) <= reservation.expires_at <= timezone.now() + timedelta(minutes=30)


def test_reservation_create_custom_ttl_and_no_expiry(stocked):
    level = stocked(5)
    short = reservation_create(reference="a", lines=[_line(level.variant, 1)], ttl=timedelta(seconds=90)).reservation
    assert short.expires_at - short.created_at < timedelta(seconds=91)
    held = reservation_create(reference="b", lines=[_line(level.variant, 1)], expires=False).reservation
    assert held.expires_at is None


@pytest.mark.smoke
def test_reservation_create_shortfall_lists_each_line_and_holds_nothing(stocked):
    a, b, c = stocked(10), stocked(2), stocked(0)
    with pytest.raises(InsufficientStock) as caught:
        reservation_create(reference="cart", lines=[_line(a.variant, 4), _line(b.variant, 3), _line(c.variant, 1)])

    body = caught.value.as_dict()
    assert body["lines"] == [
        {"sku": b.variant.sku, "location": "main", "requested": 3, "available": 2},
        {"sku": c.variant.sku, "location": "main", "requested": 1, "available": 0},
    ]
    assert b.variant.sku in body["detail"]
    assert _levels(a, b, c) == [(10, 0), (2, 0), (0, 0)]
    assert Reservation.objects.count() == 0


def test_reservation_create_counts_existing_holds(stocked):
    level = stocked(5)
    reservation_create(reference="first", lines=[_line(level.variant, 4)])
    with pytest.raises(InsufficientStock) as caught:
        reservation_create(reference="second", lines=[_line(level.variant, 2)])
    assert caught.value.details["lines"][0]["available"] == 1


def test_reservation_create_merges_repeated_lines(stocked):
    level = stocked(5)
    reservation = reservation_create(reference="r", lines=[_line(level.variant, 2), _line(level.variant, 3)]).reservation
    assert [line.quantity for line in reservation.lines.all()] == [5]
    assert _levels(level) == [(5, 5)]


def test_reservation_create_named_location(stocked, other_location):
    main = stocked(1)
    store = stocked(4, variant=main.variant, location=other_location)
    reservation_create(reference="r", lines=[_line(main.variant, 3, other_location)])
    assert _levels(main, store) == [(1, 0), (4, 3)]


@pytest.mark.parametrize("quantity", [0, -1, "2", 1.5, True])
def test_reservation_create_refuses_bad_quantity(stocked, quantity):
    level = stocked(5)
    with pytest.raises(ValidationFailed):
        reservation_create(reference="r", lines=[_line(level.variant, quantity)])
    assert Reservation.objects.count() == 0


def test_reservation_create_refuses_bad_input(stocked):
    level = stocked(5)
    with pytest.raises(ValidationFailed) as caught:
        reservation_create(reference="  ", lines=[_line(level.variant, 1)])
    assert caught.value.field == "reference"
    with pytest.raises(ValidationFailed) as caught:
        reservation_create(reference="r", lines=[])
    assert caught.value.field == "lines"
    with pytest.raises(ValidationFailed) as caught:
        reservation_create(reference="r", lines=[_line(level.variant, 1)], ttl=timedelta(0))
    assert caught.value.field == "ttl_seconds"
    inactive = factories.LocationFactory(code="old", active=False)
    with pytest.raises(ValidationFailed):
        reservation_create(reference="r", lines=[_line(level.variant, 1, inactive)])
    assert Reservation.objects.count() == 0
    assert _levels(level) == [(5, 0)]


def test_reservation_create_idempotency_key_replays(stocked):
    level = stocked(5)
    first = reservation_create(reference="r", lines=[_line(level.variant, 2)], idempotency_key="k1")
    again = reservation_create(reference="r", lines=[_line(level.variant, 2)], idempotency_key="k1")
    assert again.replayed and again.reservation.pk == first.reservation.pk
    assert _levels(level) == [(5, 2)]
    with pytest.raises(StockMismatch):
        reservation_create(reference="r", lines=[_line(level.variant, 3)], idempotency_key="k1")
    assert _levels(level) == [(5, 2)]


def test_reservation_create_expires_overdue_holds_on_the_same_levels(stocked):
    level = stocked(5)
    lapsed = reservation_create(reference="lapsed", lines=[_line(level.variant, 5)]).reservation
    _overdue(lapsed)

    live = reservation_create(reference="live", lines=[_line(level.variant, 5)]).reservation

    lapsed.refresh_from_db()
    assert lapsed.status == ReservationStatus.EXPIRED
    assert live.status == ReservationStatus.ACTIVE
    assert _levels(level) == [(5, 5)]
    assert ledger_verify() == []


def test_reservation_create_keeps_expiries_when_still_short(stocked):
    level, other = stocked(5), stocked(3)
    lapsed = reservation_create(reference="lapsed", lines=[_line(level.variant, 2), _line(other.variant, 3)]).reservation
    _overdue(lapsed)
    with pytest.raises(InsufficientStock):
        reservation_create(reference="big", lines=[_line(level.variant, 9)])
    lapsed.refresh_from_db()
    assert lapsed.status == ReservationStatus.EXPIRED
    # The lapsed hold is given back on every level it held, including the one not asked for.
    assert _levels(level, other) == [(5, 0), (3, 0)]
    assert ledger_verify() == []


@pytest.mark.smoke
def test_reservation_commit_sells_and_links_movements(stocked):
    a, b = stocked(10), stocked(4)
    reservation = reservation_create(reference="SO-X", lines=[_line(a.variant, 3), _line(b.variant, 4)]).reservation
    result = reservation_commit(reservation=reservation)

    assert result.reservation.status == ReservationStatus.COMMITTED
    assert _levels(a, b) == [(7, 0), (0, 0)]
    sales = StockMovement.objects.filter(type=MovementType.SALE, reservation=reservation)
    assert sorted(m.delta for m in sales) == [-4, -3]
    assert {m.reference for m in sales} == {"SO-X"}
    assert ledger_verify() == []


def test_reservation_commit_twice_is_a_replay(stocked):
    level = stocked(5)
    reservation = reservation_create(reference="r", lines=[_line(level.variant, 2)]).reservation
    reservation_commit(reservation=reservation)
    again = reservation_commit(reservation=reservation)
    assert again.replayed
    assert _levels(level) == [(3, 0)]
    assert StockMovement.objects.filter(type=MovementType.SALE).count() == 1


def test_reservation_commit_refuses_released(stocked):
    level = stocked(5)
    reservation = reservation_create(reference="r", lines=[_line(level.variant, 2)]).reservation
    reservation_release(reservation=reservation)
    with pytest.raises(IllegalTransition):
        reservation_commit(reservation=reservation)
    assert _levels(level) == [(5, 0)]


def test_reservation_commit_reacquire_after_expiry(stocked):
    level = stocked(5)
    reservation = reservation_create(reference="r", lines=[_line(level.variant, 2)]).reservation
    _overdue(reservation)
    assert reservations_expire_due() == 1
    assert _levels(level) == [(5, 0)]

    result = reservation_commit(reservation=reservation, reacquire=True)
    assert result.reservation.status == ReservationStatus.COMMITTED
    assert _levels(level) == [(3, 0)]
    assert ledger_verify() == []


def test_reservation_commit_reacquire_refused_when_stock_gone(stocked):
    level = stocked(5)
    reservation = reservation_create(reference="r", lines=[_line(level.variant, 2)]).reservation
    _overdue(reservation)
    reservation_create(reference="other buyer", lines=[_line(level.variant, 4)])
    with pytest.raises(InsufficientStock) as caught:
        reservation_commit(reservation=reservation, reacquire=True)
    shortfall = caught.value.details["lines"][0]
    assert {name: shortfall[name] for name in ("sku", "location", "requested", "available")} == {
        "sku": level.variant.sku, "location": "main", "requested": 2, "available": 1}
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.EXPIRED
    assert _levels(level) == [(5, 4)]
    assert ledger_verify() == []


def test_reservation_release_gives_stock_back_once(stocked):
    level = stocked(5)
    reservation = reservation_create(reference="r", lines=[_line(level.variant, 4)]).reservation
    assert not reservation_release(reservation=reservation).replayed
    assert reservation_release(reservation=reservation).replayed
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.RELEASED
    assert _levels(level) == [(5, 0)]


def test_reservation_release_refuses_committed(stocked):
    level = stocked(5)
    reservation = reservation_create(reference="r", lines=[_line(level.variant, 1)]).reservation
    reservation_commit(reservation=reservation)
    with pytest.raises(IllegalTransition):
        reservation_release(reservation=reservation)
    assert _levels(level) == [(4, 0)]


def test_reservations_expire_due_only_overdue(stocked):
    level = stocked(10)
    overdue = [reservation_create(reference=f"o{i}", lines=[_line(level.variant, 1)]).reservation for i in range(3)]
    fresh = reservation_create(reference="fresh", lines=[_line(level.variant, 2)]).reservation
    held = reservation_create(reference="held", lines=[_line(level.variant, 1)], expires=False).reservation
    for reservation in overdue:
        _overdue(reservation)

    assert reservations_expire_due(batch_size=2) == 3
    assert reservations_expire_due() == 0
    statuses = dict(Reservation.objects.values_list("reference", "status"))
    assert statuses == {"o0": "EXPIRED", "o1": "EXPIRED", "o2": "EXPIRED", "fresh": "ACTIVE", "held": "ACTIVE"}
    assert fresh.pk and held.pk
    assert _levels(level) == [(10, 3)]
    assert ledger_verify() == []


def test_reservation_hold_extends_active_only(stocked):
    level = stocked(5)
    reservation = reservation_create(reference="r", lines=[_line(level.variant, 1)]).reservation
    assert reservation_hold(reservation=reservation, expires_at=None).expires_at is None
    _overdue(reservation)
    reservation_release(reservation=reservation)
    with pytest.raises(IllegalTransition):
        reservation_hold(reservation=reservation, expires_at=None)


def test_ledger_verify_reports_reserved_drift(stocked):
    level = stocked(5)
    reservation_create(reference="r", lines=[_line(level.variant, 2)])
    StockLevel.objects.filter(pk=level.pk).update(reserved=3)
    mismatches = ledger_verify()
    assert [(m.level_id, m.reserved, m.reservations_sum) for m in mismatches] == [(level.pk, 3, 2)]

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.exceptions import InsufficientStock, ValidationFailed
from inventory.models import StockLevel, StockMovement
from inventory.services.bulk import MAX_BULK_LINES, BulkLine, stock_adjust_bulk
from tests import factories
from tests.inventory.test_locking_sql import _check_locked_before_updated, _locked_ids

pytestmark = pytest.mark.django_db


def _line(level_or_variant, quantity, type="ADJUSTMENT", reason="Shelf check", location=None):
    variant = getattr(level_or_variant, "variant", level_or_variant)
    location = location or getattr(level_or_variant, "location", None)
    return BulkLine(variant=variant, location=location, quantity=quantity, type=type, reason=reason)


def _on_hand(level) -> int:
    level.refresh_from_db()
    return level.on_hand


def test_stock_adjust_bulk_applies_every_line_with_before_and_after(stocked, manager_user):
    a, b = stocked(10), stocked(4)

    results = stock_adjust_bulk(lines=[_line(a, -3), _line(b, 6, type="RESTOCK"), _line(a, 2, type="RETURN")],
                                user=manager_user)

    assert [(r.line, r.variant.sku, r.before, r.after) for r in results] == [
        (1, a.variant.sku, 10, 7), (2, b.variant.sku, 4, 10), (3, a.variant.sku, 7, 9),
    ]
    assert (_on_hand(a), _on_hand(b)) == (9, 10)
    movements = StockMovement.objects.filter(reason="Shelf check").order_by("id")
    assert [(m.type, m.delta, m.user_id) for m in movements] == [
        ("ADJUSTMENT", -3, manager_user.pk), ("RESTOCK", 6, manager_user.pk), ("RETURN", 2, manager_user.pk),
    ]
    assert all(r.movement is not None for r in results)


def test_stock_adjust_bulk_default_location_and_new_level(variant, default_location):
    (result,) = stock_adjust_bulk(lines=[_line(variant, 5, type="RESTOCK")])

    level = StockLevel.objects.get(variant=variant, location=default_location)
    assert (result.location, result.before, result.after, level.on_hand) == (default_location, 0, 5, 5)


def test_stock_adjust_bulk_is_all_or_nothing(stocked):
    a, b = stocked(10), stocked(2)
    count = StockMovement.objects.count()

    # A shortfall is an InsufficientStock (409) naming each short line, as for one adjustment.
    with pytest.raises(InsufficientStock) as caught:
        stock_adjust_bulk(lines=[_line(a, -3), _line(b, -5), _line(a, 1)])

    (shortfall,) = caught.value.details["lines"]
    assert (shortfall["line"], shortfall["sku"], shortfall["requested"], shortfall["available"]) == (2, b.variant.sku, 5, 2)
    assert shortfall["message"] == f"Not enough stock of {b.variant.sku} at main: 5 requested, 2 available."
    assert (_on_hand(a), _on_hand(b)) == (10, 2)
    assert StockMovement.objects.count() == count


def test_stock_adjust_bulk_lists_every_bad_line(stocked):
    a = stocked(10)

    with pytest.raises(ValidationFailed) as caught:
        stock_adjust_bulk(lines=[
            _line(a, 5, type="DAMAGE"),
            _line(a, -1, type="RESTOCK"),
            _line(a, 1, reason="  "),
            _line(a, 0),
            _line(a, 1, type="TRANSFER_IN"),
            _line(a, -2),
        ])

    by_line = {item["line"]: item["message"] for item in caught.value.details["lines"]}
    assert set(by_line) == {1, 2, 3, 4, 5}
    assert "must be negative" in by_line[1]
    assert "must be positive" in by_line[2]
    assert by_line[3] == "A reason is required."
    assert "zero" in by_line[4]
    assert "TRANSFER_IN" in by_line[5]
    assert _on_hand(a) == 10


def test_stock_adjust_bulk_counts_lines_on_one_level_in_order(stocked):
    level = stocked(5)

    with pytest.raises(InsufficientStock) as caught:
        stock_adjust_bulk(lines=[_line(level, -4), _line(level, -4)])

    (problem,) = caught.value.details["lines"]
    assert problem["line"] == 2 and problem["on_hand"] == 1 and "4 requested, 1 available" in problem["message"]
    assert _on_hand(level) == 5


def test_stock_adjust_bulk_refuses_going_below_reserved(stocked):
    from inventory.services import ReservationLineRequest, reservation_create

    level = stocked(10)
    reservation_create(reference="hold", lines=[ReservationLineRequest(variant=level.variant, quantity=6)],
                       expires=False)

    with pytest.raises(InsufficientStock) as caught:
        stock_adjust_bulk(lines=[_line(level, -5)])

    (problem,) = caught.value.details["lines"]
    assert problem["line"] == 1 and "6 reserved" in problem["message"]
    assert _on_hand(level) == 10


def test_stock_adjust_bulk_refuses_an_inactive_location(variant):
    closed = factories.LocationFactory(code="closed", active=False)

    with pytest.raises(ValidationFailed) as caught:
        stock_adjust_bulk(lines=[_line(variant, 3, location=closed)])

    assert caught.value.details["lines"][0]["message"] == "Location closed is inactive."


def test_stock_adjust_bulk_caps_the_number_of_lines(stocked):
    level = stocked(10)

    with pytest.raises(ValidationFailed) as caught:
        stock_adjust_bulk(lines=[_line(level, 1)] * (MAX_BULK_LINES + 1))

    assert caught.value.field == "lines" and "At most 500 lines" in caught.value.message
    assert _on_hand(level) == 10


def test_stock_adjust_bulk_takes_500_lines(stocked):
    level = stocked(0)

    results = stock_adjust_bulk(lines=[_line(level, 1, type="RESTOCK")] * MAX_BULK_LINES)

    assert len(results) == MAX_BULK_LINES
    assert _on_hand(level) == MAX_BULK_LINES


def test_stock_adjust_bulk_refuses_no_lines():
    with pytest.raises(ValidationFailed) as caught:
        stock_adjust_bulk(lines=[])
    assert caught.value.field == "lines"


def test_stock_adjust_bulk_dry_run_writes_nothing(stocked, variant, default_location):
    level = stocked(10)
    count = StockMovement.objects.count()

    results = stock_adjust_bulk(lines=[_line(level, -4), _line(variant, 3, type="RESTOCK")], dry_run=True)

    assert [(r.before, r.after, r.movement) for r in results] == [(10, 6, None), (0, 3, None)]
    assert _on_hand(level) == 10
    assert StockMovement.objects.count() == count
    assert not StockLevel.objects.filter(variant=variant).exists()


def test_stock_adjust_bulk_dry_run_reports_problems_with_the_preview(stocked):
    level = stocked(3)

    with pytest.raises(InsufficientStock) as caught:
        stock_adjust_bulk(lines=[_line(level, 2), _line(level, -9)], dry_run=True)

    assert [item["line"] for item in caught.value.details["lines"]] == [2]
    assert [(p["line"], p["before"], p["after"]) for p in caught.value.details["preview"]] == [(1, 3, 5), (2, 5, -4)]


def test_stock_adjust_bulk_links_movements_to_the_import_job(stocked):
    from dataio.models import ImportJob

    level = stocked(1)
    job = ImportJob.objects.create(type="stock_counts")

    (result,) = stock_adjust_bulk(lines=[_line(level, 2)], import_job=job)

    assert result.movement.import_job_id == job.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no SELECT ... FOR UPDATE")
def test_stock_adjust_bulk_locks_every_level_in_pk_order_before_updating(stocked, other_location):
    first, second = stocked(5), stocked(5)
    third = stocked(5, location=other_location, variant=first.variant)
    lines = [_line(third, -1), _line(first, 2), _line(second, -3), _line(third, 1)]

    with CaptureQueriesContext(connection) as ctx:
        stock_adjust_bulk(lines=lines)

    locks, updated = _check_locked_before_updated([query["sql"] for query in ctx.captured_queries])
    assert len(locks) == 1
    assert _locked_ids(locks[0]) == sorted([first.pk, second.pk, third.pk])
    assert updated == [third.pk, first.pk, second.pk, third.pk]

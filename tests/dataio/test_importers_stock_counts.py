import pytest

from dataio.models import ImportChange, ImportStatus
from dataio.services.imports import import_job_undo
from inventory.models import MovementType, StockLevel, StockMovement
from inventory.services import ledger_verify, reservation_create, stock_adjust
from inventory.services.reservations import ReservationLineRequest
from tests import factories
from tests.dataio.import_helpers import csv_bytes, errors, run, validate

pytestmark = pytest.mark.django_db


def test_stock_counts_import_writes_count_and_adjustment_movements_linked_to_the_job(
        stocked, other_location, django_capture_on_commit_callbacks):
    counted, changed = stocked(10), stocked(4)
    new = factories.VariantFactory()
    job = run(django_capture_on_commit_callbacks, csv_bytes(
        "sku,location,counted,change,reason,type",
        f"{counted.variant.sku},,7,,Quarterly count,",
        f"{changed.variant.sku},main,,-3,Broken,DAMAGE",
        f"{new.sku},{other_location.code},5,,First count,",
    ), type="stock_counts")
    assert job.status == ImportStatus.COMPLETED, errors(job)
    assert job.counts["update"] == 2 and job.counts["create"] == 1
    counted.refresh_from_db()
    changed.refresh_from_db()
    assert (counted.on_hand, changed.on_hand) == (7, 1)
    assert StockLevel.objects.get(variant=new, location=other_location).on_hand == 5
    movements = StockMovement.objects.filter(import_job=job)
    assert sorted(movements.values_list("type", "delta")) == [("COUNT", -3), ("COUNT", 5), ("DAMAGE", -3)]
    assert job.changes.filter(action=ImportChange.Action.STOCK).count() == 3
    assert ledger_verify() == []


def test_stock_counts_import_row_errors(stocked):
    level = stocked(5)
    reservation_create(reference="cart", lines=[ReservationLineRequest(variant=level.variant, quantity=4,
                                                                          location=level.location)])
    job = validate(csv_bytes(
        "sku,location,counted,change,reason",
        f"{level.variant.sku},,3,,Count",
        "NOPE,,1,,Count",
        f"{level.variant.sku},nowhere,1,,Count",
        f"{level.variant.sku},,1,2,Both",
        f"{level.variant.sku},,,-1,",
    ), type="stock_counts")
    assert errors(job) == [
        (2, "counted", "4 units are reserved for open orders; the stock cannot go below that (it would be 3)."),
        (3, "sku", "No variant with SKU NOPE."),
        (4, "location", 'No location with the code "nowhere".'),
        (5, "counted", "Give either a counted quantity or a change, not both and not neither."),
        (6, "reason", "A reason is required."),
    ]


def test_stock_counts_import_duplicate_sku_and_location(stocked):
    level = stocked(5)
    job = validate(csv_bytes("sku,counted,reason", f"{level.variant.sku},1,a", f"{level.variant.sku},2,b"),
                   type="stock_counts")
    assert errors(job) == [(3, "sku", "Duplicate: row 2 has the same sku and location.")]


def test_stock_counts_import_skip_mode_applies_the_good_rows(stocked, django_capture_on_commit_callbacks):
    good, bad = stocked(5), stocked(5)
    job = run(django_capture_on_commit_callbacks, csv_bytes(
        "sku,change,reason", f"{good.variant.sku},2,Found", f"{bad.variant.sku},-9,Lost",
    ), type="stock_counts", on_error="skip")
    assert job.status == ImportStatus.PARTIAL
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.on_hand, bad.on_hand) == (7, 5)
    assert ledger_verify() == []


def test_stock_counts_undo_compensates_and_leaves_moved_stock_alone(stocked, manager_user,
                                                                    django_capture_on_commit_callbacks):
    first, second = stocked(5), stocked(5)
    job = run(django_capture_on_commit_callbacks, csv_bytes(
        "sku,counted,reason", f"{first.variant.sku},8,Count", f"{second.variant.sku},2,Count",
    ), type="stock_counts", user=manager_user)
    stock_adjust(variant=second.variant, location=second.location, quantity=1, type="RESTOCK", reason="Later")

    result = import_job_undo(job=job, user=manager_user)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.on_hand, second.on_hand) == (5, 3)
    assert result.undone == 1 and len(result.left_alone) == 1 and second.variant.sku in result.left_alone[0]
    undo = StockMovement.objects.filter(import_job=job, type=MovementType.ADJUSTMENT).get()
    assert undo.delta == -3 and undo.reason == f"Undo of import {job.pk}"
    assert ledger_verify() == []

"""stock_receive: goods in, RESTOCK per line, all lines or none, levels locked in pk order."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.exceptions import ValidationFailed
from inventory.models import MovementType, StockLevel, StockMovement
from inventory.services import ReceiveLine, ledger_verify, stock_receive
from tests import factories
from tests.inventory.test_locking_sql import (
    LEVEL_TABLE,
    _check_locked_before_updated,
    _first_index,
    _is_level_update,
    _is_lock,
    _locked_ids,
    _statements,
)
from tests.purchasing.builders import order_create

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no SELECT ... FOR UPDATE")


def _levels() -> dict:
    return dict(StockLevel.objects.values_list("pk", "on_hand"))


@pytest.mark.smoke
def test_stock_receive_restocks_every_line_linked_to_supplier_and_order(stocked, other_location, manager_user):
    existing = stocked(5)
    new_variant = factories.VariantFactory()
    supplier = factories.SupplierFactory()
    order = order_create(supplier, (existing.variant, 3), (new_variant, 2))

    movements = stock_receive(
        lines=[ReceiveLine(variant=existing.variant, location=existing.location, quantity=3),
               ReceiveLine(variant=new_variant, location=other_location, quantity=2)],
        reason=" Received PO-000001 ", supplier=supplier, purchase_order=order, notes="Pallet 1",
        user=manager_user, reference="PO-000001",
    )

    existing.refresh_from_db()
    assert existing.on_hand == 8
    assert StockLevel.objects.get(variant=new_variant, location=other_location).on_hand == 2
    assert [(m.variant_id, m.delta, m.quantity_before, m.quantity_after) for m in movements] == [
        (existing.variant_id, 3, 5, 8), (new_variant.pk, 2, 0, 2)]
    for movement in movements:
        movement.refresh_from_db()
        assert movement.type == MovementType.RESTOCK
        assert (movement.supplier, movement.purchase_order, movement.user) == (supplier, order, manager_user)
        assert (movement.reason, movement.notes, movement.reference) == ("Received PO-000001", "Pallet 1", "PO-000001")
        assert movement.idempotency_key is None
    assert ledger_verify() == []


def test_stock_receive_two_lines_on_one_level_chain_their_quantities(stocked):
    level = stocked(1)

    movements = stock_receive(lines=[ReceiveLine(variant=level.variant, location=level.location, quantity=2),
                                     ReceiveLine(variant=level.variant, location=level.location, quantity=4)],
                              reason="Delivery")

    assert [(m.quantity_before, m.quantity_after) for m in movements] == [(1, 3), (3, 7)]
    level.refresh_from_db()
    assert level.on_hand == 7
    assert ledger_verify() == []


def test_stock_receive_without_an_order_or_supplier(stocked):
    level = stocked(0)

    (movement,) = stock_receive(lines=[ReceiveLine(variant=level.variant, location=level.location, quantity=1)],
                                reason="Found in the back", reference="x" * 150)

    movement.refresh_from_db()
    assert (movement.supplier_id, movement.purchase_order_id) == (None, None)
    assert movement.reference == "x" * 100


def test_stock_receive_inactive_location_changes_nothing(stocked, default_location):
    level = stocked(5)
    closed = factories.LocationFactory(code="closed", active=False)
    new_variant = factories.VariantFactory()
    before, movements = _levels(), StockMovement.objects.count()

    with pytest.raises(ValidationFailed) as caught:
        stock_receive(lines=[ReceiveLine(variant=level.variant, location=default_location, quantity=3),
                             ReceiveLine(variant=new_variant, location=closed, quantity=2)],
                      reason="Delivery")

    assert caught.value.field == "lines"
    assert "Line 2" in caught.value.message and "closed is inactive" in caught.value.message
    assert _levels() == before
    assert StockMovement.objects.count() == movements
    assert not StockLevel.objects.filter(variant=new_variant).exists()


@pytest.mark.parametrize("quantity", [0, -1, "2", 1.5, True])
def test_stock_receive_bad_quantity_changes_nothing(stocked, quantity):
    level = stocked(5)
    before = _levels()

    with pytest.raises(ValidationFailed):
        stock_receive(lines=[ReceiveLine(variant=level.variant, location=level.location, quantity=1),
                             ReceiveLine(variant=level.variant, location=level.location, quantity=quantity)],
                      reason="Delivery")

    assert _levels() == before
    assert StockMovement.objects.count() == 1


@pytest.mark.parametrize(("kwargs", "field"), [({"lines": []}, "lines"), ({"reason": "  "}, "reason"),
                                               ({"reason": "r" * 201}, "reason")])
def test_stock_receive_refuses_no_lines_and_a_bad_reason(stocked, kwargs, field):
    level = stocked(5)
    arguments = {"lines": [ReceiveLine(variant=level.variant, location=level.location, quantity=1)],
                 "reason": "Delivery", **kwargs}

    with pytest.raises(ValidationFailed) as caught:
        stock_receive(**arguments)

    assert caught.value.field == field
    assert StockMovement.objects.count() == 1


@postgres_only
def test_stock_receive_locks_every_level_in_one_statement_in_pk_order(stocked, other_location):
    levels = [stocked(2), stocked(2), stocked(2, location=other_location)]
    # Lines name the levels in descending pk order; the lock still asks for them ascending.
    lines = [ReceiveLine(variant=level.variant, location=level.location, quantity=1) for level in reversed(levels)]

    with CaptureQueriesContext(connection) as ctx:
        stock_receive(lines=lines, reason="Delivery")

    locks, updated = _check_locked_before_updated(_statements(ctx))
    ids = sorted(level.pk for level in levels)
    assert len(locks) == 1
    assert _locked_ids(locks[0]) == ids
    assert sorted(updated) == ids


@postgres_only
def test_stock_receive_creates_missing_levels_before_locking_them(stocked, other_location):
    level = stocked(2)
    new_variant = factories.VariantFactory()

    with CaptureQueriesContext(connection) as ctx:
        stock_receive(lines=[ReceiveLine(variant=new_variant, location=other_location, quantity=4),
                             ReceiveLine(variant=level.variant, location=level.location, quantity=1)],
                      reason="Delivery")

    statements = _statements(ctx)
    locks, updated = _check_locked_before_updated(statements)
    created = StockLevel.objects.get(variant=new_variant, location=other_location)
    assert len(locks) == 1
    assert _locked_ids(locks[0]) == sorted([level.pk, created.pk])
    insert = _first_index(statements, lambda s: s.startswith(f"INSERT INTO {LEVEL_TABLE}"))
    assert insert < _first_index(statements, _is_lock) < _first_index(statements, _is_level_update)
    assert sorted(updated) == sorted([level.pk, created.pk])


@postgres_only
def test_purchase_order_receive_locks_the_order_before_the_levels(stocked, default_location):
    from purchasing.models import PurchaseOrderStatus as S
    from purchasing.services import purchase_order_transition
    from tests.purchasing.builders import receive

    level = stocked(2)
    order = order_create(factories.SupplierFactory(), (level.variant, 5))
    for to in (S.PENDING, S.CONFIRMED, S.SHIPPED):
        order = purchase_order_transition(order=order, to=to)

    with CaptureQueriesContext(connection) as ctx:
        receive(order, {order.lines.get().pk: 5}, key="k")

    statements = _statements(ctx)
    order_lock = _first_index(statements, lambda s: 'FROM "purchasing_purchaseorder"' in s and "FOR UPDATE" in s)
    assert statements[order_lock].endswith('FOR UPDATE OF "purchasing_purchaseorder"')
    assert order_lock < _first_index(statements, _is_lock) < _first_index(statements, _is_level_update)
    _check_locked_before_updated(statements)

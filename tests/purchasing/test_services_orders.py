from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.exceptions import Conflict, IllegalTransition, ValidationFailed
from inventory.models import Location, MovementType, StockLevel, StockMovement
from inventory.services import ledger_verify
from purchasing.models import PurchaseOrder, PurchaseOrderEvent, PurchaseOrderLine, Receipt, ReceiptLine
from purchasing.models import PurchaseOrderStatus as S
from purchasing.services import (
    TRANSITIONS,
    OverReceipt,
    PurchaseLineRequest,
    ReceiptLineRequest,
    purchase_order_allowed_transitions,
    purchase_order_create,
    purchase_order_delete,
    purchase_order_receive,
    purchase_order_transition,
    purchase_order_update,
)
from tests import factories
from tests.purchasing.builders import order_create, order_in_status, receive, supplier_item

pytestmark = pytest.mark.django_db

ALL = list(S.values)


def _on_hand(variant, location=None) -> int:
    qs = StockLevel.objects.filter(variant=variant)
    qs = qs.filter(location=location) if location is not None else qs.filter(location__is_default=True)
    level = qs.first()
    return level.on_hand if level else 0


def _snapshot(order) -> tuple:
    """Everything a refused call must leave as it was."""
    order = PurchaseOrder.objects.get(pk=order.pk)
    lines = tuple(order.lines.values_list("variant_id", "quantity_ordered", "quantity_received", "unit_cost",
                                          "supplier_sku"))
    return (order.status, order.supplier_id, order.subtotal, order.tax, order.shipping, order.total,
            order.expected_date, order.notes, order.received_date, lines,
            tuple(StockLevel.objects.order_by("pk").values_list("pk", "on_hand")),
            StockMovement.objects.count(), Receipt.objects.count(), ReceiptLine.objects.count())


@pytest.fixture
def shipped(db):
    """A SHIPPED order: 10 of variant A at 2.50 and 4 of variant B at 10.00."""
    supplier = factories.SupplierFactory(name="Acme Textiles")
    a, b = factories.VariantFactory(), factories.VariantFactory()
    order = order_create(supplier, (a, 10, Decimal("2.50")), (b, 4, Decimal("10.00")))
    for to in (S.PENDING, S.CONFIRMED, S.SHIPPED):
        order = purchase_order_transition(order=order, to=to)
    line_a, line_b = order.lines.order_by("pk")
    return order, line_a, line_b


# --- create -----------------------------------------------------------------

@pytest.mark.smoke
def test_purchase_order_create_numbers_status_and_event(manager_user):
    item = supplier_item()

    first = order_create(item.supplier, (item.variant, 5), user=manager_user, notes=" Rush ",
                         expected_date=date(2030, 1, 15))
    second = order_create(item.supplier, (item.variant, 1))

    assert (first.number, second.number) == ("PO-000001", "PO-000002")
    first.refresh_from_db()
    assert first.status == S.DRAFT
    assert first.currency == "USD"
    assert first.order_date == timezone.localdate()
    assert first.expected_date == date(2030, 1, 15)
    assert first.received_date is None
    assert first.notes == "Rush"
    assert first.created_by == manager_user
    assert first.auto_drafted is False
    assert list(first.events.values_list("to_status", "user__username")) == [("DRAFT", "manager")]
    assert "created with 1 line." in first.events.get().message
    assert StockMovement.objects.count() == 0  # ordering moves no stock


def test_purchase_order_create_submit_makes_it_pending(manager_user):
    item = supplier_item()

    order = order_create(item.supplier, (item.variant, 5), user=manager_user, submit=True)

    order.refresh_from_db()
    assert order.status == S.PENDING
    assert order.submitted_at is not None
    assert list(order.events.values_list("from_status", "to_status")) == [("", "DRAFT"), ("DRAFT", "PENDING")]


def test_purchase_order_create_costs_default_to_supplier_then_catalogue():
    supplier = factories.SupplierFactory()
    from_supplier = factories.SupplierItemFactory(supplier=supplier, unit_cost=Decimal("3.10"),
                                                  supplier_sku="ACME-1").variant
    from_product = factories.VariantFactory()  # product cost 8.50, no variant cost
    from_variant = factories.VariantFactory(cost=Decimal("6.25"))
    # A supplier item of another supplier does not count.
    elsewhere = factories.SupplierItemFactory(unit_cost=Decimal("1.00"), variant=factories.VariantFactory()).variant
    explicit = factories.SupplierItemFactory(supplier=supplier, unit_cost=Decimal("3.00")).variant

    order = order_create(supplier, (from_supplier, 1), (from_product, 1), (from_variant, 1), (elsewhere, 1),
                         (explicit, 1, "2.75"))

    costs = {line.variant_id: (line.unit_cost, line.supplier_sku) for line in order.lines.all()}
    assert costs[from_supplier.pk] == (Decimal("3.10"), "ACME-1")
    assert costs[from_product.pk] == (Decimal("8.50"), "")
    assert costs[from_variant.pk] == (Decimal("6.25"), "")
    assert costs[elsewhere.pk] == (Decimal("8.50"), "")
    assert costs[explicit.pk][0] == Decimal("2.75")


def test_purchase_order_create_merges_repeated_variants():
    item = supplier_item(cost="4.00")
    other = factories.VariantFactory()

    order = order_create(item.supplier, (item.variant, 3), (other, 1), (item.variant, 2, "9.99"))

    lines = list(order.lines.order_by("pk").values_list("variant_id", "quantity_ordered", "unit_cost"))
    assert lines == [(item.variant.pk, 5, Decimal("4.00")), (other.pk, 1, Decimal("8.50"))]
    assert order.subtotal == Decimal("28.50")


@pytest.mark.smoke
def test_purchase_order_create_totals_with_tax_and_shipping():
    supplier = factories.SupplierFactory()
    a, b = factories.VariantFactory(), factories.VariantFactory()

    order = order_create(supplier, (a, 3, Decimal("2.50")), (b, 2, "10.00"), tax="2.18", shipping=Decimal("5"))

    order.refresh_from_db()
    assert order.subtotal == Decimal("27.50")
    assert (order.tax, order.shipping) == (Decimal("2.18"), Decimal("5.00"))
    assert order.total == Decimal("34.68")
    assert [line.line_total for line in order.lines.order_by("pk")] == [Decimal("7.50"), Decimal("20.00")]
    assert all(isinstance(value, Decimal) for value in (order.subtotal, order.tax, order.shipping, order.total))


def test_purchase_order_create_refuses_an_inactive_supplier():
    item = supplier_item()
    item.supplier.active = False
    item.supplier.save()

    with pytest.raises(ValidationFailed) as caught:
        order_create(item.supplier, (item.variant, 1))

    assert caught.value.field == "supplier"
    assert item.supplier.name in caught.value.message
    assert PurchaseOrder.objects.count() == 0
    # The number was not used up.
    assert order_create(factories.SupplierFactory(), (item.variant, 1)).number == "PO-000001"


@pytest.mark.parametrize("quantity", [0, -3, "3", 2.5, True, None, 10_000_001])
def test_purchase_order_create_refuses_bad_quantities(quantity):
    item = supplier_item()

    with pytest.raises(ValidationFailed) as caught:
        order_create(item.supplier, (factories.VariantFactory(), 1), (item.variant, quantity))

    assert caught.value.field == "lines"
    assert caught.value.message.startswith(f"Line 2 ({item.variant.sku})")
    assert PurchaseOrder.objects.count() == 0 and PurchaseOrderLine.objects.count() == 0


def test_purchase_order_create_refuses_a_merged_quantity_too_large():
    item = supplier_item()

    with pytest.raises(ValidationFailed) as caught:
        order_create(item.supplier, (item.variant, 6_000_000), (item.variant, 6_000_000))

    assert caught.value.field == "lines" and "too large" in caught.value.message
    assert PurchaseOrder.objects.count() == 0


@pytest.mark.parametrize("cost", ["-0.01", "abc", "1.234", "NaN", "Infinity", True, "10000000000", [1]])
def test_purchase_order_create_refuses_bad_unit_costs(cost):
    item = supplier_item()

    with pytest.raises(ValidationFailed) as caught:
        order_create(item.supplier, (item.variant, 1, cost))

    assert caught.value.field == "lines"
    assert caught.value.message.startswith(f"Line 1 ({item.variant.sku}): unit cost:")
    assert PurchaseOrder.objects.count() == 0


@pytest.mark.parametrize("field", ["tax", "shipping"])
@pytest.mark.parametrize("value", ["-1", "x", "1.001", True, "1000000000000", "sNaN"])
def test_purchase_order_create_refuses_bad_tax_and_shipping(field, value):
    item = supplier_item()

    with pytest.raises(ValidationFailed) as caught:
        order_create(item.supplier, (item.variant, 1), **{field: value})

    assert caught.value.field == field
    assert PurchaseOrder.objects.count() == 0


def test_purchase_order_create_blank_tax_and_shipping_are_zero():
    item = supplier_item(cost="4.00")

    order = order_create(item.supplier, (item.variant, 2), tax="", shipping=None)

    assert (order.tax, order.shipping, order.total) == (Decimal("0.00"), Decimal("0.00"), Decimal("8.00"))


def test_purchase_order_create_refuses_a_total_too_large_for_the_columns():
    supplier = factories.SupplierFactory()

    with pytest.raises(ValidationFailed) as caught:
        order_create(supplier, (factories.VariantFactory(), 10_000_000, "9999999999.99"))

    assert caught.value.field == "lines" and "too large" in caught.value.message
    assert PurchaseOrder.objects.count() == 0
    assert order_create(supplier, (factories.VariantFactory(), 1)).number == "PO-000001"


def test_purchase_order_create_refuses_no_lines_bad_date_and_long_notes():
    supplier = factories.SupplierFactory()
    variant = factories.VariantFactory()

    with pytest.raises(ValidationFailed) as no_lines:
        purchase_order_create(supplier=supplier, lines=[])
    with pytest.raises(ValidationFailed) as bad_date:
        order_create(supplier, (variant, 1), expected_date="2030-01-01")
    with pytest.raises(ValidationFailed) as long_notes:
        order_create(supplier, (variant, 1), notes="x" * 5001)
    with pytest.raises(ValidationFailed) as too_many:
        purchase_order_create(supplier=supplier, lines=[PurchaseLineRequest(variant=variant, quantity=1)] * 501)

    assert (no_lines.value.field, bad_date.value.field, long_notes.value.field, too_many.value.field) == (
        "lines", "expected_date", "notes", "lines")
    assert PurchaseOrder.objects.count() == 0


# --- update -------------------------------------------------------------------

def test_purchase_order_update_draft_lines_tax_and_shipping(manager_user):
    supplier = factories.SupplierFactory()
    a, b = factories.VariantFactory(), factories.VariantFactory()
    order = order_create(supplier, (a, 1, "1.00"))

    order = purchase_order_update(
        order=order, user=manager_user,
        lines=[PurchaseLineRequest(variant=a, quantity=3, unit_cost=Decimal("2.50")),
               PurchaseLineRequest(variant=b, quantity=2, unit_cost=Decimal("10.00"))],
        tax="2.18", shipping="5.00",
    )

    order.refresh_from_db()
    assert list(order.lines.order_by("pk").values_list("variant_id", "quantity_ordered")) == [(a.pk, 3), (b.pk, 2)]
    assert (order.subtotal, order.tax, order.shipping, order.total) == (
        Decimal("27.50"), Decimal("2.18"), Decimal("5.00"), Decimal("34.68"))
    event = order.events.last()
    assert event.message.startswith("Edited: 2 lines, tax 2.18, shipping 5.00")
    assert event.user == manager_user


def test_purchase_order_update_tax_alone_recomputes_the_total():
    item = supplier_item(cost="4.00")
    order = order_create(item.supplier, (item.variant, 2), shipping="1.00")

    order = purchase_order_update(order=order, tax="0.80")

    order.refresh_from_db()
    assert (order.subtotal, order.total) == (Decimal("8.00"), Decimal("9.80"))


def test_purchase_order_update_supplier_while_draft_takes_its_skus():
    item = supplier_item(cost="4.00", supplier_sku="OLD-1")
    other = factories.SupplierFactory(name="Second Source")
    factories.SupplierItemFactory(supplier=other, variant=item.variant, supplier_sku="NEW-1", unit_cost=Decimal("3.00"))
    order = order_create(item.supplier, (item.variant, 2))

    order = purchase_order_update(order=order, supplier=other)

    order.refresh_from_db()
    assert order.supplier == other
    line = order.lines.get()
    assert (line.supplier_sku, line.unit_cost) == ("NEW-1", Decimal("4.00"))  # the agreed cost stays
    assert "supplier Second Source" in order.events.last().message


def test_purchase_order_update_refuses_an_inactive_supplier():
    item = supplier_item()
    order = order_create(item.supplier, (item.variant, 2))
    inactive = factories.SupplierFactory(active=False)
    before = _snapshot(order)

    with pytest.raises(ValidationFailed) as caught:
        purchase_order_update(order=order, supplier=inactive)

    assert caught.value.field == "supplier"
    assert _snapshot(order) == before


def test_purchase_order_update_bad_input_changes_nothing():
    item = supplier_item()
    order = order_create(item.supplier, (item.variant, 2), tax="1.00")
    before = _snapshot(order)
    events = PurchaseOrderEvent.objects.count()

    with pytest.raises(ValidationFailed) as bad_tax:
        purchase_order_update(order=order, lines=[PurchaseLineRequest(variant=item.variant, quantity=9)], tax="-1")
    with pytest.raises(ValidationFailed) as bad_lines:
        purchase_order_update(order=order, lines=[PurchaseLineRequest(variant=item.variant, quantity=0)])
    with pytest.raises(ValidationFailed) as no_lines:
        purchase_order_update(order=order, lines=[])

    assert (bad_tax.value.field, bad_lines.value.field, no_lines.value.field) == ("tax", "lines", "lines")
    assert _snapshot(order) == before
    assert PurchaseOrderEvent.objects.count() == events


def test_purchase_order_update_with_nothing_to_change_writes_no_event():
    item = supplier_item()
    order = order_create(item.supplier, (item.variant, 2))

    purchase_order_update(order=order, supplier=item.supplier)

    assert order.events.count() == 1


@pytest.mark.parametrize("status", [S.PENDING, S.CONFIRMED, S.SHIPPED, S.PARTIALLY_RECEIVED, S.RECEIVED, S.CANCELLED])
@pytest.mark.parametrize("field", ["lines", "tax", "shipping", "supplier"])
def test_purchase_order_update_refuses_draft_only_fields_later(default_location, status, field):
    order = order_in_status(status)
    values = {
        "lines": [PurchaseLineRequest(variant=factories.VariantFactory(), quantity=1)],
        "tax": "1.00",
        "shipping": "1.00",
        "supplier": factories.SupplierFactory(),
    }
    before = _snapshot(order)

    with pytest.raises(IllegalTransition) as caught:
        purchase_order_update(order=order, **{field: values[field]})

    assert caught.value.status_code == 409
    assert field in caught.value.message and "draft" in caught.value.message
    assert caught.value.details == {"status": status}
    assert _snapshot(order) == before


@pytest.mark.parametrize("status", [S.DRAFT, S.PENDING, S.CONFIRMED, S.SHIPPED, S.PARTIALLY_RECEIVED])
def test_purchase_order_update_expected_date_and_notes_until_closed(default_location, status):
    order = order_in_status(status)
    day = timezone.localdate() + timedelta(days=9)

    purchase_order_update(order=order, expected_date=day, notes="Call before delivery")

    order.refresh_from_db()
    assert (order.expected_date, order.notes, order.status) == (day, "Call before delivery", status)
    purchase_order_update(order=order, expected_date=None)
    order.refresh_from_db()
    assert order.expected_date is None


@pytest.mark.parametrize("status", [S.RECEIVED, S.CANCELLED])
@pytest.mark.parametrize("field", ["expected_date", "notes"])
def test_purchase_order_update_refuses_a_closed_order(default_location, status, field):
    order = order_in_status(status)
    before = _snapshot(order)

    with pytest.raises(IllegalTransition) as caught:
        purchase_order_update(order=order, **{field: date(2031, 1, 1) if field == "expected_date" else "Late"})

    assert "no longer be changed" in caught.value.message
    assert _snapshot(order) == before


def test_purchase_order_update_refuses_a_bad_expected_date_and_notes():
    item = supplier_item()
    order = order_create(item.supplier, (item.variant, 1))

    with pytest.raises(ValidationFailed) as bad_date:
        purchase_order_update(order=order, expected_date="soon")
    with pytest.raises(ValidationFailed) as long_notes:
        purchase_order_update(order=order, notes="x" * 5001)

    assert (bad_date.value.field, long_notes.value.field) == ("expected_date", "notes")


# --- delete ---------------------------------------------------------------------

def test_purchase_order_delete_removes_a_draft_and_its_lines():
    item = supplier_item()
    order = order_create(item.supplier, (item.variant, 1))

    purchase_order_delete(order=order)

    assert not PurchaseOrder.objects.exists()
    assert not PurchaseOrderLine.objects.exists()
    assert not PurchaseOrderEvent.objects.exists()


@pytest.mark.parametrize("status", [S.PENDING, S.CONFIRMED, S.SHIPPED, S.PARTIALLY_RECEIVED, S.RECEIVED, S.CANCELLED])
def test_purchase_order_delete_refuses_anything_but_a_draft(default_location, status):
    order = order_in_status(status)
    before = _snapshot(order)

    with pytest.raises(IllegalTransition) as caught:
        purchase_order_delete(order=order)

    assert "only drafts can be deleted" in caught.value.message
    assert _snapshot(order) == before


# --- transitions -------------------------------------------------------------------

def test_transitions_table_never_reaches_the_received_statuses_by_hand():
    assert set(TRANSITIONS) == set(ALL)
    targets = {to for allowed in TRANSITIONS.values() for to in allowed}
    assert S.PARTIALLY_RECEIVED not in targets and S.RECEIVED not in targets
    assert TRANSITIONS[S.RECEIVED] == () and TRANSITIONS[S.CANCELLED] == ()
    # CANCELLED from every status before RECEIVED.
    assert {s for s, allowed in TRANSITIONS.items() if S.CANCELLED in allowed} == set(ALL) - {S.RECEIVED, S.CANCELLED}


@pytest.mark.parametrize("to", ALL)
@pytest.mark.parametrize("start", ALL)
def test_purchase_order_transition_every_pair(default_location, start, to):
    order = order_in_status(start)
    assert purchase_order_allowed_transitions(order) == list(TRANSITIONS[start])
    before = _snapshot(order)

    if to in TRANSITIONS[start]:
        moved = purchase_order_transition(order=order, to=to)
        assert moved.status == to
        order.refresh_from_db()
        assert order.status == to
        assert order.events.last().from_status == start and order.events.last().to_status == to
    else:
        with pytest.raises(IllegalTransition) as caught:
            purchase_order_transition(order=order, to=to)
        assert caught.value.status_code == 409
        assert caught.value.details == {"status": start, "to": to, "allowed": list(TRANSITIONS[start])}
        assert order.number in caught.value.message
        assert "Allowed next:" in caught.value.message
        assert _snapshot(order) == before


def test_purchase_order_transition_allowed_set_is_exactly_the_table(default_location):
    for start in ALL:
        allowed = set()
        for to in ALL:
            order = order_in_status(start)
            try:
                purchase_order_transition(order=order, to=to)
            except IllegalTransition:
                continue
            allowed.add(to)
        assert allowed == set(TRANSITIONS[start]), start


def test_purchase_order_transition_explains_received_is_reached_by_receiving(default_location):
    order = order_in_status(S.SHIPPED)

    with pytest.raises(IllegalTransition) as caught:
        purchase_order_transition(order=order, to=S.RECEIVED)

    assert "by receiving goods" in caught.value.message


def test_purchase_order_transition_to_the_same_status_says_already(default_location):
    order = order_in_status(S.CONFIRMED)

    with pytest.raises(IllegalTransition) as caught:
        purchase_order_transition(order=order, to=S.CONFIRMED)

    assert "already confirmed" in caught.value.message


@pytest.mark.parametrize("to", ["SENT", "", "pending", None])
def test_purchase_order_transition_refuses_an_unknown_status(to):
    item = supplier_item()
    order = order_create(item.supplier, (item.variant, 1))

    with pytest.raises(ValidationFailed) as caught:
        purchase_order_transition(order=order, to=to)

    assert caught.value.field == "to" and caught.value.status_code == 400
    order.refresh_from_db()
    assert order.status == S.DRAFT


def test_purchase_order_transition_stamps_each_step(manager_user):
    item = supplier_item()
    order = order_create(item.supplier, (item.variant, 1))

    for to in (S.PENDING, S.CONFIRMED, S.SHIPPED):
        order = purchase_order_transition(order=order, to=to, user=manager_user, note="  via phone ")
    order.refresh_from_db()

    assert order.submitted_at and order.confirmed_at and order.shipped_at and not order.cancelled_at
    assert list(order.events.values_list("from_status", "to_status")) == [
        ("", "DRAFT"), ("DRAFT", "PENDING"), ("PENDING", "CONFIRMED"), ("CONFIRMED", "SHIPPED")]
    assert order.events.last().message == "Shipped by the supplier. via phone"
    assert order.events.last().user == manager_user


def test_purchase_order_transition_cancel_stamps_cancelled_at(default_location):
    order = order_in_status(S.CONFIRMED)

    order = purchase_order_transition(order=order, to=S.CANCELLED)

    assert order.status == S.CANCELLED and order.cancelled_at is not None


# --- receiving -----------------------------------------------------------------------

@pytest.mark.smoke
def test_purchase_order_receive_partial_then_final(shipped, default_location, manager_user):
    order, line_a, line_b = shipped

    first = receive(order, {line_a.pk: 6, line_b.pk: 4}, key="delivery-1", user=manager_user)

    assert first.replayed is False
    assert first.order.status == S.PARTIALLY_RECEIVED
    order.refresh_from_db()
    assert order.status == S.PARTIALLY_RECEIVED and order.received_date is None
    assert (_on_hand(line_a.variant), _on_hand(line_b.variant)) == (6, 4)
    line_a.refresh_from_db()
    assert (line_a.quantity_received, line_a.quantity_outstanding) == (6, 4)

    second = receive(order, {line_a.pk: 4}, key="delivery-2", user=manager_user)

    order.refresh_from_db()
    assert second.order.status == order.status == S.RECEIVED
    assert order.received_date == timezone.localdate()
    assert (_on_hand(line_a.variant), _on_hand(line_b.variant)) == (10, 4)
    assert list(order.lines.order_by("pk").values_list("quantity_received", flat=True)) == [10, 4]

    movements = StockMovement.objects.filter(purchase_order=order).order_by("pk")
    assert [(m.variant_id, m.delta, m.type) for m in movements] == [
        (line_a.variant_id, 6, MovementType.RESTOCK), (line_b.variant_id, 4, MovementType.RESTOCK),
        (line_a.variant_id, 4, MovementType.RESTOCK)]
    assert all(m.supplier_id == order.supplier_id for m in movements)
    assert all(m.reference == order.number and m.reason == f"Received {order.number}" for m in movements)
    assert all(m.location_id == default_location.pk and m.user == manager_user for m in movements)
    assert [(m.quantity_before, m.quantity_after) for m in movements] == [(0, 6), (0, 4), (6, 10)]

    receipts = list(order.receipts.order_by("pk"))
    assert [r.idempotency_key for r in receipts] == ["delivery-1", "delivery-2"]
    assert [(rl.line_id, rl.quantity, rl.movement_id) for rl in receipts[0].lines.order_by("pk")] == [
        (line_a.pk, 6, movements[0].pk), (line_b.pk, 4, movements[1].pk)]
    assert list(order.events.values_list("from_status", "to_status"))[-2:] == [
        ("SHIPPED", "PARTIALLY_RECEIVED"), ("PARTIALLY_RECEIVED", "RECEIVED")]
    assert "Received 10 units" in order.events.order_by("pk")[len(order.events.all()) - 2].message
    assert ledger_verify() == []


def test_purchase_order_receive_into_named_locations(shipped, default_location, other_location):
    order, line_a, line_b = shipped

    result = purchase_order_receive(order=order, idempotency_key="split", lines=[
        ReceiptLineRequest(line_id=line_a.pk, quantity=3, location=other_location),
        ReceiptLineRequest(line_id=line_a.pk, quantity=2),
        ReceiptLineRequest(line_id=line_b.pk, quantity=0),
    ])

    assert (_on_hand(line_a.variant, other_location), _on_hand(line_a.variant, default_location)) == (3, 2)
    assert not StockLevel.objects.filter(variant=line_b.variant).exists()  # a zero row is skipped
    line_a.refresh_from_db()
    assert line_a.quantity_received == 5
    assert list(result.receipt.lines.values_list("location__code", "quantity")) == [("store", 3), ("main", 2)]
    assert result.order.status == S.PARTIALLY_RECEIVED
    assert ledger_verify() == []


def test_purchase_order_receive_same_key_twice_counts_once(shipped, default_location):
    order, line_a, _ = shipped
    first = receive(order, {line_a.pk: 5}, key="delivery-1")

    again = receive(order, {line_a.pk: 5}, key="delivery-1")

    assert again.replayed is True
    assert again.receipt.pk == first.receipt.pk
    assert again.order.status == S.PARTIALLY_RECEIVED
    assert _on_hand(line_a.variant) == 5
    assert Receipt.objects.count() == 1 and StockMovement.objects.count() == 1
    line_a.refresh_from_db()
    assert line_a.quantity_received == 5
    # The same key with other quantities is refused, not taken for the first receipt.
    with pytest.raises(Conflict) as caught:
        receive(order, {line_a.pk: 2}, key="delivery-1")
    assert caught.value.field == "idempotency_key" and "other lines or quantities" in caught.value.message
    assert _on_hand(line_a.variant) == 5 and Receipt.objects.count() == 1
    assert ledger_verify() == []


def test_purchase_order_receive_replay_after_the_order_is_received(shipped, default_location):
    order, line_a, line_b = shipped
    first = receive(order, {line_a.pk: 10, line_b.pk: 4}, key="all-of-it")

    again = receive(order, {line_a.pk: 10, line_b.pk: 4}, key=" all-of-it ")

    assert again.replayed and again.receipt.pk == first.receipt.pk
    assert again.order.status == S.RECEIVED
    assert StockMovement.objects.count() == 2


def test_purchase_order_receive_key_of_another_order_is_a_conflict(shipped, default_location):
    order, line_a, _ = shipped
    receive(order, {line_a.pk: 1}, key="shared-key")
    other = order_in_status(S.SHIPPED)
    before = _snapshot(other)

    with pytest.raises(Conflict) as caught:
        receive(other, {other.lines.get().pk: 1}, key="shared-key")

    assert caught.value.status_code == 409 and caught.value.field == "idempotency_key"
    assert _snapshot(other) == before


def test_purchase_order_receive_over_receipt_refused_then_accepted_with_a_reason(shipped, default_location,
                                                                                manager_user):
    order, line_a, line_b = shipped
    receive(order, {line_a.pk: 8}, key="first")
    before = _snapshot(order)

    with pytest.raises(OverReceipt) as refused:
        receive(order, {line_a.pk: 3, line_b.pk: 4}, key="second")

    assert refused.value.status_code == 409
    assert refused.value.details == {"lines": [
        {"line": line_a.pk, "sku": line_a.variant.sku, "ordered": 10, "received": 8, "receiving": 3, "outstanding": 2},
    ]}
    assert "accept over-receipt" in refused.value.message
    assert _snapshot(order) == before

    with pytest.raises(ValidationFailed) as no_reason:
        receive(order, {line_a.pk: 3, line_b.pk: 4}, key="second", allow_over_receipt=True, over_receipt_reason="  ")
    assert no_reason.value.field == "over_receipt_reason"
    assert _snapshot(order) == before

    result = receive(order, {line_a.pk: 3, line_b.pk: 4}, key="second", allow_over_receipt=True,
                     over_receipt_reason="Supplier sent a spare", user=manager_user)

    assert result.order.status == S.RECEIVED
    line_a.refresh_from_db()
    assert (line_a.quantity_received, line_a.quantity_outstanding) == (11, 0)
    assert _on_hand(line_a.variant) == 11
    assert result.receipt.over_receipt_reason == "Supplier sent a spare"
    assert "over-receipt accepted: Supplier sent a spare" in order.events.last().message
    assert ledger_verify() == []


def test_purchase_order_receive_over_receipt_within_one_receipt_adds_up_rows(shipped, default_location):
    order, line_a, _ = shipped

    with pytest.raises(OverReceipt) as caught:
        purchase_order_receive(order=order, idempotency_key="k", lines=[
            ReceiptLineRequest(line_id=line_a.pk, quantity=6), ReceiptLineRequest(line_id=line_a.pk, quantity=6)])

    assert caught.value.details["lines"][0]["receiving"] == 12
    assert StockMovement.objects.count() == 0


def test_purchase_order_receive_a_reason_without_over_receipt_is_not_kept(shipped, default_location):
    order, line_a, _ = shipped

    result = receive(order, {line_a.pk: 2}, key="k", allow_over_receipt=True, over_receipt_reason="Just in case")

    assert result.receipt.over_receipt_reason == ""


@pytest.mark.parametrize("status", [S.DRAFT, S.PENDING, S.RECEIVED, S.CANCELLED])
def test_purchase_order_receive_refused_unless_confirmed(default_location, status):
    order = order_in_status(status)
    before = _snapshot(order)

    with pytest.raises(IllegalTransition) as caught:
        receive(order, {order.lines.get().pk: 1}, key=f"try-{status}")

    assert caught.value.status_code == 409
    assert order.get_status_display().lower() in caught.value.message
    assert _snapshot(order) == before


def test_purchase_order_receive_from_confirmed_without_shipping(default_location, manager_user):
    """Suppliers often deliver without a shipping notice: a CONFIRMED order takes goods in."""
    order = order_in_status(S.CONFIRMED, quantity=4)
    line = order.lines.get()

    part = receive(order, {line.pk: 3}, key="no-notice", user=manager_user)

    assert part.order.status == S.PARTIALLY_RECEIVED
    assert _on_hand(line.variant) == 3
    event = part.order.events.last()
    assert (event.from_status, event.to_status) == (S.CONFIRMED, S.PARTIALLY_RECEIVED)
    rest = receive(part.order, {line.pk: 1}, key="no-notice-2")
    assert rest.order.status == S.RECEIVED
    assert _on_hand(line.variant) == 4
    assert ledger_verify() == []


def test_purchase_order_receive_refused_before_confirmation_says_why(default_location):
    order = order_in_status(S.PENDING)

    with pytest.raises(IllegalTransition) as caught:
        receive(order, {order.lines.get().pk: 1}, key="too-early")

    assert "once the supplier has confirmed it" in caught.value.message


def test_purchase_order_cancel_partially_received_keeps_the_stock(shipped, default_location):
    order, line_a, line_b = shipped
    receive(order, {line_a.pk: 4}, key="part")

    order = purchase_order_transition(order=order, to=S.CANCELLED)

    assert order.status == S.CANCELLED
    assert "what was received stays in stock" in order.events.last().message
    assert _on_hand(line_a.variant) == 4
    line_a.refresh_from_db()
    assert line_a.quantity_received == 4
    assert StockMovement.objects.filter(purchase_order=order).count() == 1
    with pytest.raises(IllegalTransition):
        receive(order, {line_b.pk: 1}, key="late")
    assert ledger_verify() == []


def _bad(line_id, quantity, location=None):
    return [ReceiptLineRequest(line_id=line_id, quantity=quantity, location=location)]


@pytest.mark.parametrize("case", ["no-key", "blank-key", "long-key", "int-key", "no-lines", "all-zero", "negative",
                                  "text-quantity", "bool-quantity", "huge", "foreign-line", "inactive-location",
                                  "long-reason", "long-notes"])
def test_purchase_order_receive_bad_input_changes_nothing(shipped, default_location, case):
    order, line_a, _ = shipped
    foreign = order_in_status(S.SHIPPED).lines.get()
    closed = factories.LocationFactory(code="closed", active=False)
    before = _snapshot(order)
    kwargs = {"order": order, "idempotency_key": "k", "lines": _bad(line_a.pk, 1)}
    expected_field = "lines"
    if case == "no-key":
        kwargs["idempotency_key"], expected_field = None, "idempotency_key"
    elif case == "blank-key":
        kwargs["idempotency_key"], expected_field = "   ", "idempotency_key"
    elif case == "long-key":
        kwargs["idempotency_key"], expected_field = "k" * 201, "idempotency_key"
    elif case == "int-key":
        kwargs["idempotency_key"], expected_field = 7, "idempotency_key"
    elif case == "no-lines":
        kwargs["lines"] = []
    elif case == "all-zero":
        kwargs["lines"] = _bad(line_a.pk, 0)
    elif case == "negative":
        kwargs["lines"] = _bad(line_a.pk, -1)
    elif case == "text-quantity":
        kwargs["lines"] = _bad(line_a.pk, "2")
    elif case == "bool-quantity":
        kwargs["lines"] = _bad(line_a.pk, True)
    elif case == "huge":
        kwargs["lines"] = _bad(line_a.pk, 10_000_001)
    elif case == "foreign-line":
        kwargs["lines"] = _bad(foreign.pk, 1)
    elif case == "inactive-location":
        kwargs["lines"] = _bad(line_a.pk, 1, closed)
    elif case == "long-reason":
        kwargs.update(allow_over_receipt=True, over_receipt_reason="r" * 201)
        expected_field = "over_receipt_reason"
    elif case == "long-notes":
        kwargs["notes"], expected_field = "n" * 5001, "notes"

    with pytest.raises(ValidationFailed) as caught:
        purchase_order_receive(**kwargs)

    assert caught.value.field == expected_field
    assert _snapshot(order) == before
    # The refused key is still free.
    assert receive(order, {line_a.pk: 1}, key="k").replayed is False


def test_purchase_order_receive_without_a_default_location_names_the_location(shipped):
    order, line_a, _ = shipped

    with pytest.raises(ValidationFailed) as caught:
        receive(order, {line_a.pk: 1}, key="k")

    assert caught.value.field == "location"
    assert not Receipt.objects.exists() and not Location.objects.exists()


def test_purchase_order_full_cycle_leaves_verify_ledger_clean(shipped, default_location, other_location):
    order, line_a, line_b = shipped
    receive(order, {line_a.pk: 3}, key="a", location=other_location)
    receive(order, {line_a.pk: 3}, key="a", location=other_location)  # resubmitted
    receive(order, {line_a.pk: 8, line_b.pk: 4}, key="b", allow_over_receipt=True, over_receipt_reason="Extra")
    partial = order_in_status(S.PARTIALLY_RECEIVED)
    purchase_order_transition(order=partial, to=S.CANCELLED)

    out = StringIO()
    call_command("verify_ledger", stdout=out)

    assert "Ledger OK" in out.getvalue()
    assert ledger_verify() == []
    assert StockMovement.objects.filter(purchase_order__isnull=False).count() == 4

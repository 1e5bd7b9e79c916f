import pytest

from core.exceptions import ValidationFailed
from purchasing.models import PurchaseOrder, PurchaseOrderStatus, ReorderRule
from purchasing.services import (
    PurchaseLineRequest,
    ReceiptLineRequest,
    low_stock_reorder,
    on_order_quantities,
    purchase_order_create,
    purchase_order_draft_extend,
    purchase_order_receive,
    purchase_order_transition,
    reorder_rules_run,
    reorder_suggested_quantity,
)
from tests import factories

pytestmark = pytest.mark.django_db
S = PurchaseOrderStatus


def _quantities(order) -> dict[str, int]:
    return {line.variant.sku: line.quantity_ordered for line in order.lines.select_related("variant")}


def _low(stocked, supplier=None, *, on_hand=2, threshold=5, moq=1, reorder_quantity=0):
    level = stocked(on_hand, threshold=threshold)
    if reorder_quantity:
        level.reorder_quantity = reorder_quantity
        level.save(update_fields=["reorder_quantity"])
    if supplier is not None:
        factories.SupplierItemFactory(supplier=supplier, variant=level.variant, preferred=True,
                                      minimum_order_quantity=moq)
    return level


def _ship(order):
    for to in (S.PENDING, S.CONFIRMED, S.SHIPPED):
        purchase_order_transition(order=order, to=to)
    return order


# --- reorder_suggested_quantity -----------------------------------------------------

def test_reorder_suggested_quantity_prefers_reorder_quantity_then_twice_threshold_then_moq(stocked):
    level = stocked(1, threshold=6)

    assert reorder_suggested_quantity(level=level) == 12
    assert reorder_suggested_quantity(level=level, minimum_order_quantity=50) == 50
    level.reorder_quantity = 20
    assert reorder_suggested_quantity(level=level) == 20
    assert reorder_suggested_quantity(level=level, minimum_order_quantity=15) == 20
    level.reorder_quantity, level.low_stock_threshold = 0, 0
    assert reorder_suggested_quantity(level=level) == 1


# --- low_stock_reorder (quick reorder) ---------------------------------------------

def test_low_stock_reorder_groups_by_preferred_supplier_into_one_draft_each(stocked):
    acme, bolt = factories.SupplierFactory(name="Acme"), factories.SupplierFactory(name="Bolt")
    a1 = _low(stocked, acme, threshold=5)
    a2 = _low(stocked, acme, threshold=5, reorder_quantity=30)
    b1 = _low(stocked, bolt, threshold=4, moq=25)

    result = low_stock_reorder(level_ids=[a1.pk, a2.pk, b1.pk])

    assert len(result.orders) == 2 and len(result.created) == 2
    assert result.unassigned == []
    by_supplier = {order.supplier_id: order for order in result.orders}
    assert set(by_supplier) == {acme.pk, bolt.pk}
    assert _quantities(by_supplier[acme.pk]) == {a1.variant.sku: 10, a2.variant.sku: 30}
    assert _quantities(by_supplier[bolt.pk]) == {b1.variant.sku: 25}  # 2 x 4 raised to the MOQ
    assert all(order.status == S.DRAFT and not order.auto_drafted for order in result.orders)
    assert PurchaseOrder.objects.count() == 2


def test_low_stock_reorder_extends_an_existing_draft_instead_of_opening_another(stocked):
    acme = factories.SupplierFactory()
    other = factories.SupplierItemFactory(supplier=acme).variant
    draft = purchase_order_create(supplier=acme, lines=[PurchaseLineRequest(variant=other, quantity=7)])
    level = _low(stocked, acme, threshold=5)

    result = low_stock_reorder(level_ids=[level.pk])

    assert [order.pk for order in result.orders] == [draft.pk]
    assert result.created == []
    assert PurchaseOrder.objects.filter(supplier=acme).count() == 1
    assert _quantities(draft) == {other.sku: 7, level.variant.sku: 10}
    draft.refresh_from_db()
    assert draft.subtotal == sum(line.line_total for line in draft.lines.all())
    assert draft.events.filter(message__startswith="Quick reorder").exists()


def test_low_stock_reorder_twice_does_not_double_quantities(stocked):
    acme = factories.SupplierFactory()
    first, second = _low(stocked, acme, threshold=5), _low(stocked, acme, threshold=3)

    one = low_stock_reorder(level_ids=[first.pk, second.pk])
    two = low_stock_reorder(level_ids=[second.pk, first.pk])

    assert one.orders[0].pk == two.orders[0].pk
    assert two.created == []
    assert PurchaseOrder.objects.count() == 1
    assert _quantities(two.orders[0]) == {first.variant.sku: 10, second.variant.sku: 6}


def test_low_stock_reorder_raises_a_smaller_line_on_the_draft_but_never_lowers_it(stocked):
    acme = factories.SupplierFactory()
    level = _low(stocked, acme, threshold=5)
    draft = purchase_order_create(supplier=acme, lines=[PurchaseLineRequest(variant=level.variant, quantity=4)])

    low_stock_reorder(level_ids=[level.pk])
    assert _quantities(draft) == {level.variant.sku: 10}

    level.reorder_quantity = 3
    level.save(update_fields=["reorder_quantity"])
    low_stock_reorder(level_ids=[level.pk])
    assert _quantities(draft) == {level.variant.sku: 10}


def test_low_stock_reorder_leaves_submitted_orders_alone_and_opens_a_draft(stocked):
    acme = factories.SupplierFactory()
    level = _low(stocked, acme)
    pending = purchase_order_create(supplier=acme, lines=[PurchaseLineRequest(variant=level.variant, quantity=3)],
                                    submit=True)

    result = low_stock_reorder(level_ids=[level.pk])

    assert result.orders[0].pk != pending.pk
    assert result.created == result.orders
    assert _quantities(pending) == {level.variant.sku: 3}


def test_low_stock_reorder_adds_up_two_locations_of_one_variant(stocked, other_location):
    acme = factories.SupplierFactory()
    main = _low(stocked, acme, threshold=5)
    store = stocked(1, variant=main.variant, location=other_location, threshold=2)

    result = low_stock_reorder(level_ids=[main.pk, store.pk])

    assert _quantities(result.orders[0]) == {main.variant.sku: 10 + 4}


def test_low_stock_reorder_returns_unassigned_skus_then_drafts_them_with_the_chosen_supplier(stocked):
    acme = factories.SupplierFactory()
    assigned = _low(stocked, acme)
    orphan = _low(stocked, None, threshold=4)
    chosen = factories.SupplierFactory(name="Chosen")
    factories.SupplierItemFactory(supplier=chosen, variant=orphan.variant, preferred=False, minimum_order_quantity=12)

    first = low_stock_reorder(level_ids=[assigned.pk, orphan.pk])

    assert first.unassigned == [orphan.variant]
    assert [order.supplier_id for order in first.orders] == [acme.pk]

    second = low_stock_reorder(level_ids=[orphan.pk], supplier_choices={orphan.variant.pk: chosen})

    assert second.unassigned == []
    assert [order.supplier_id for order in second.orders] == [chosen.pk]
    assert _quantities(second.orders[0]) == {orphan.variant.sku: 12}  # 2 x 4 raised to that supplier's MOQ


def test_low_stock_reorder_refuses_an_empty_or_stale_selection(stocked):
    with pytest.raises(ValidationFailed):
        low_stock_reorder(level_ids=[])
    level = _low(stocked, factories.SupplierFactory())
    with pytest.raises(ValidationFailed):
        low_stock_reorder(level_ids=[level.pk, 999_999])
    assert PurchaseOrder.objects.count() == 0


def test_low_stock_reorder_refuses_an_inactive_chosen_supplier_even_with_a_draft(stocked):
    orphan = _low(stocked, None)
    dormant = factories.SupplierFactory()
    draft = purchase_order_create(supplier=dormant, lines=[
        PurchaseLineRequest(variant=factories.VariantFactory(), quantity=1)])
    dormant.active = False
    dormant.save(update_fields=["active"])

    with pytest.raises(ValidationFailed):
        low_stock_reorder(level_ids=[orphan.pk], supplier_choices={orphan.variant.pk: dormant})

    assert draft.lines.count() == 1


def test_purchase_order_draft_extend_opens_a_draft_when_there_is_none():
    acme = factories.SupplierFactory()
    variant = factories.SupplierItemFactory(supplier=acme).variant

    order, created = purchase_order_draft_extend(supplier=acme, lines=[PurchaseLineRequest(variant=variant, quantity=5)])

    assert created is True
    assert order.status == S.DRAFT
    assert _quantities(order) == {variant.sku: 5}


# --- on_order_quantities --------------------------------------------------------------

def test_on_order_quantities_counts_what_open_orders_still_expect(stocked):
    acme = factories.SupplierFactory()
    level = stocked(0)
    variant = level.variant
    shipped = _ship(purchase_order_create(supplier=acme, lines=[PurchaseLineRequest(variant=variant, quantity=10)]))
    line = shipped.lines.get()
    purchase_order_receive(order=shipped, lines=[ReceiptLineRequest(line_id=line.pk, quantity=4)], idempotency_key="r1")
    cancelled = purchase_order_create(supplier=acme, lines=[PurchaseLineRequest(variant=variant, quantity=50)],
                                      submit=True)
    purchase_order_transition(order=cancelled, to=S.CANCELLED)
    purchase_order_create(supplier=factories.SupplierFactory(), lines=[PurchaseLineRequest(variant=variant, quantity=3)])

    assert on_order_quantities([variant.pk]) == {variant.pk: 6 + 3}


def test_on_order_quantities_an_over_received_line_does_not_cancel_another(stocked):
    acme = factories.SupplierFactory()
    variant = stocked(0).variant
    filler = factories.VariantFactory()
    over = _ship(purchase_order_create(supplier=acme, lines=[PurchaseLineRequest(variant=variant, quantity=2),
                                                             PurchaseLineRequest(variant=filler, quantity=5)]))
    line = over.lines.get(variant=variant)
    purchase_order_receive(order=over, lines=[ReceiptLineRequest(line_id=line.pk, quantity=5)],
                           idempotency_key="over", allow_over_receipt=True, over_receipt_reason="Extra in the box")
    purchase_order_create(supplier=acme, lines=[PurchaseLineRequest(variant=variant, quantity=8)])

    over.refresh_from_db()
    assert over.status == S.PARTIALLY_RECEIVED
    assert on_order_quantities([variant.pk, filler.pk]) == {variant.pk: 8, filler.pk: 5}


# --- reorder_rules_run (the nightly min/max run) -----------------------------------

def _rule(level, *, minimum, maximum, location=None, active=True):
    return ReorderRule.objects.create(variant=level.variant, min_quantity=minimum, max_quantity=maximum,
                                      location=location, active=active)


def test_reorder_rules_run_drafts_up_to_max_once_not_twice(stocked):
    acme = factories.SupplierFactory()
    level = _low(stocked, acme, on_hand=3)
    _rule(level, minimum=5, maximum=20)

    first = reorder_rules_run()
    second = reorder_rules_run()

    assert len(first.created) == 1
    order = first.created[0]
    assert order.auto_drafted is True and order.status == S.DRAFT
    assert _quantities(order) == {level.variant.sku: 17}
    assert second.orders == [] and second.created == []
    assert PurchaseOrder.objects.count() == 1
    assert _quantities(order) == {level.variant.sku: 17}


def test_reorder_rules_run_at_exactly_min_drafts_and_above_min_does_not(stocked):
    acme = factories.SupplierFactory()
    at_min = _low(stocked, acme, on_hand=5)
    above = _low(stocked, acme, on_hand=6)
    _rule(at_min, minimum=5, maximum=10)
    _rule(above, minimum=5, maximum=10)

    result = reorder_rules_run()

    assert _quantities(result.orders[0]) == {at_min.variant.sku: 5}


def test_reorder_rules_run_counts_open_purchase_orders_as_on_order(stocked):
    acme = factories.SupplierFactory()
    covered = _low(stocked, acme, on_hand=2)
    partly = _low(stocked, acme, on_hand=2)
    _ship(purchase_order_create(supplier=acme, lines=[PurchaseLineRequest(variant=covered.variant, quantity=10)]))
    purchase_order_create(supplier=acme, lines=[PurchaseLineRequest(variant=partly.variant, quantity=1)], submit=True)
    _rule(covered, minimum=5, maximum=20)  # 2 + 10 on order > 5: nothing to do
    _rule(partly, minimum=5, maximum=20)   # 2 + 1 on order: 17 missing

    result = reorder_rules_run()

    assert len(result.created) == 1
    assert _quantities(result.created[0]) == {partly.variant.sku: 17}


def test_reorder_rules_run_raises_to_the_suppliers_minimum_order(stocked):
    acme = factories.SupplierFactory()
    level = _low(stocked, acme, on_hand=4, moq=50)
    _rule(level, minimum=5, maximum=10)

    result = reorder_rules_run()

    assert _quantities(result.orders[0]) == {level.variant.sku: 50}
    assert reorder_rules_run().orders == []


def test_reorder_rules_run_adds_to_an_existing_draft_of_the_supplier(stocked):
    acme = factories.SupplierFactory()
    level = _low(stocked, acme, on_hand=0)
    other = factories.SupplierItemFactory(supplier=acme).variant
    draft = purchase_order_create(supplier=acme, lines=[PurchaseLineRequest(variant=other, quantity=2),
                                                        PurchaseLineRequest(variant=level.variant, quantity=4)])
    _rule(level, minimum=5, maximum=12)  # 0 + 4 on the draft: 8 more

    result = reorder_rules_run()

    assert [order.pk for order in result.orders] == [draft.pk]
    assert result.created == []
    assert _quantities(draft) == {other.sku: 2, level.variant.sku: 12}
    assert reorder_rules_run().orders == []


def test_reorder_rules_run_ignores_inactive_rules_and_inactive_variants(stocked):
    acme = factories.SupplierFactory()
    paused = _low(stocked, acme, on_hand=0)
    _rule(paused, minimum=5, maximum=10, active=False)
    retired = _low(stocked, acme, on_hand=0)
    retired.variant.active = False
    retired.variant.save(update_fields=["active"])
    _rule(retired, minimum=5, maximum=10)

    result = reorder_rules_run()

    assert result.orders == [] and result.unassigned == []
    assert PurchaseOrder.objects.count() == 0


def test_reorder_rules_run_uses_the_rules_location(stocked, other_location):
    acme = factories.SupplierFactory()
    main = _low(stocked, acme, on_hand=40)
    stocked(1, variant=main.variant, location=other_location)
    _rule(main, minimum=5, maximum=10, location=other_location)

    result = reorder_rules_run()

    assert _quantities(result.orders[0]) == {main.variant.sku: 9}


def test_reorder_rules_run_without_a_stock_level_counts_zero(default_location):
    acme = factories.SupplierFactory()
    item = factories.SupplierItemFactory(supplier=acme, preferred=True)
    ReorderRule.objects.create(variant=item.variant, min_quantity=0, max_quantity=6)

    result = reorder_rules_run()

    assert _quantities(result.orders[0]) == {item.variant.sku: 6}


def test_reorder_rules_run_lists_variants_without_a_preferred_supplier(stocked):
    level = _low(stocked, None, on_hand=0)
    _rule(level, minimum=5, maximum=10)

    result = reorder_rules_run()

    assert result.orders == []
    assert result.unassigned == [level.variant]

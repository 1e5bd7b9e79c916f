"""Reordering: turn low stock into draft purchase orders.

Quick reorder (from the alerts page) and the nightly min/max run both add to the
supplier's newest DRAFT rather than opening another, so clicking twice or running the
rule twice never doubles an order. Drafts are never sent: a person submits them.
"""
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Greatest

from core.exceptions import ValidationFailed
from inventory.models import StockLevel, Variant
from inventory.selectors import location_default
from purchasing.models import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus, ReorderRule
from purchasing.services.orders import (
    OPEN_STATUSES,
    PurchaseLineRequest,
    _check_supplier,
    _clean_lines,
    _lines_write,
    _lock_order,
    _totals_refresh,
    purchase_order_create,
    purchase_order_event_add,
)
from suppliers.models import Supplier, SupplierItem

S = PurchaseOrderStatus


@dataclass
class ReorderResult:
    orders: list[PurchaseOrder] = field(default_factory=list)
    created: list[PurchaseOrder] = field(default_factory=list)
    # Variants the user picked that have no preferred supplier: the page asks for one.
    unassigned: list[Variant] = field(default_factory=list)


def reorder_suggested_quantity(*, level: StockLevel, minimum_order_quantity: int | None = None) -> int:
    """The level's reorder quantity, else twice its threshold (at least 1), raised to the
    supplier's minimum order quantity."""
    quantity = level.reorder_quantity or 2 * level.low_stock_threshold
    quantity = max(quantity, 1)
    if minimum_order_quantity:
        quantity = max(quantity, minimum_order_quantity)
    return quantity


def purchase_order_draft_extend(
    *,
    supplier: Supplier,
    lines: list[PurchaseLineRequest],
    user=None,
    auto_drafted: bool = False,
    reason: str = "Quick reorder",
) -> tuple[PurchaseOrder, bool]:
    """Add the lines to the supplier's newest DRAFT, or open one; (order, created).

    A variant already on the draft keeps the larger of its quantity and the new one, so
    the same suggestion applied twice orders it once. The supplier row is locked first,
    so two reorders for one supplier at once end up on one draft.
    """
    with transaction.atomic():
        supplier = Supplier.objects.select_for_update(of=("self",)).get(pk=supplier.pk)
        _check_supplier(supplier)
        draft = PurchaseOrder.objects.filter(supplier=supplier, status=S.DRAFT).order_by("-pk").first()
        if draft is None:
            order = purchase_order_create(supplier=supplier, lines=lines, user=user, auto_drafted=auto_drafted,
                                          notes=reason)
            return order, True
        order = _lock_order(draft)
        cleaned = _clean_lines(supplier, lines)
        existing = {line.variant_id: line for line in order.lines.all()}
        added, raised = [], 0
        for variant, quantity, cost, sku in cleaned:
            line = existing.get(variant.pk)
            if line is None:
                added.append((variant, quantity, cost, sku))
            elif quantity > line.quantity_ordered:
                PurchaseOrderLine.objects.filter(pk=line.pk).update(quantity_ordered=quantity)
                raised += 1
        if added:
            _lines_write(order, added)
        if added or raised:
            _totals_refresh(order)
            purchase_order_event_add(order=order, user=user,
                                     message=f"{reason}: {len(added)} lines added, {raised} raised.")
    return order, False


def _preferred_items(variant_ids) -> dict[int, SupplierItem]:
    return {
        item.variant_id: item
        for item in SupplierItem.objects.filter(variant_id__in=variant_ids, preferred=True, supplier__active=True)
        .select_related("supplier")
    }


def low_stock_reorder(*, level_ids: list[int], supplier_choices: dict[int, Supplier] | None = None,
                      user=None) -> ReorderResult:
    """Draft purchase orders for the chosen low-stock levels, one per supplier.

    Each variant goes to its preferred supplier, or to the supplier in
    `supplier_choices[variant_id]`; variants with neither are returned as `unassigned`.
    Quantities are the levels' suggestions, added up per variant.
    """
    if not level_ids:
        raise ValidationFailed("Choose at least one stock level to reorder.", field="levels")
    supplier_choices = supplier_choices or {}
    levels = list(StockLevel.objects.filter(pk__in=level_ids).select_related("variant__product").order_by("pk"))
    if len(levels) != len(set(level_ids)):
        raise ValidationFailed("Some of the chosen stock levels no longer exist; reload the page.", field="levels")
    preferred = _preferred_items({level.variant_id for level in levels})
    wanted: dict[int, dict[int, int]] = {}  # supplier id → variant id → quantity
    variants: dict[int, Variant] = {}
    suppliers: dict[int, Supplier] = {}
    result = ReorderResult()
    for level in levels:
        variant = level.variant
        supplier = supplier_choices.get(variant.pk)
        item = preferred.get(variant.pk)
        if supplier is None and item is not None:
            supplier = item.supplier
        if supplier is None:
            if variant not in result.unassigned:
                result.unassigned.append(variant)
            continue
        moq = None
        if item is not None and item.supplier_id == supplier.pk:
            moq = item.minimum_order_quantity
        else:
            moq = (SupplierItem.objects.filter(supplier=supplier, variant=variant)
                   .values_list("minimum_order_quantity", flat=True).first())
        quantity = reorder_suggested_quantity(level=level, minimum_order_quantity=moq)
        by_variant = wanted.setdefault(supplier.pk, {})
        by_variant[variant.pk] = by_variant.get(variant.pk, 0) + quantity
        variants[variant.pk] = variant
        suppliers[supplier.pk] = supplier
    # One transaction for every supplier: all drafts are written or none. Suppliers are
    # locked in id order, so two reorders at once queue instead of deadlocking.
    with transaction.atomic():
        for supplier_id in sorted(wanted):
            lines = [PurchaseLineRequest(variant=variants[vid], quantity=quantity)
                     for vid, quantity in sorted(wanted[supplier_id].items())]
            order, created = purchase_order_draft_extend(supplier=suppliers[supplier_id], lines=lines, user=user)
            result.orders.append(order)
            if created:
                result.created.append(order)
    return result


def on_order_quantities(variant_ids) -> dict[int, int]:
    """Units still expected per variant: ordered minus received on open purchase orders."""
    rows = (
        PurchaseOrderLine.objects.filter(variant_id__in=variant_ids, order__status__in=OPEN_STATUSES)
        .values("variant_id")
        # A line received beyond its quantity is simply complete: it must not cancel out another.
        .annotate(outstanding=Sum(Greatest(F("quantity_ordered") - F("quantity_received"), Value(0))))
    )
    return {row["variant_id"]: max(row["outstanding"] or 0, 0) for row in rows}


def reorder_rules_run(*, user=None) -> ReorderResult:
    """The nightly min/max run: for every active rule whose variant's available stock at
    the rule's location (plus what is already on order) is at or below min, draft enough
    to reach max, rounded up to the preferred supplier's minimum order quantity.

    Counting open purchase orders (drafts included) as stock on its way makes a second run
    draft nothing more.
    """
    with transaction.atomic():
        # Locking the rules makes a second run that starts meanwhile (a redelivered task)
        # wait, then see this run's drafts as on order and draft nothing more.
        rules = list(
            ReorderRule.objects.select_for_update(of=("self",))
            .filter(active=True, variant__active=True, variant__product__active=True)
            .select_related("variant", "location")
            .order_by("pk")
        )
        result = ReorderResult()
        if not rules:
            return result
        default = None
        wanted_levels: dict[int, int] = {}  # variant id → location id
        for rule in rules:
            location = rule.location
            if location is None:
                default = default or location_default()
                location = default
            wanted_levels[rule.variant_id] = location.pk
        levels = {
            (level.variant_id, level.location_id): level
            for level in StockLevel.objects.filter(variant_id__in=list(wanted_levels))
        }
        available: dict[int, int] = {}
        for variant_id, location_id in wanted_levels.items():
            level = levels.get((variant_id, location_id))
            available[variant_id] = (level.on_hand - level.reserved) if level is not None else 0
        on_order = on_order_quantities([rule.variant_id for rule in rules])
        preferred = _preferred_items([rule.variant_id for rule in rules])
        wanted: dict[int, list[PurchaseLineRequest]] = {}
        suppliers: dict[int, Supplier] = {}
        for rule in rules:
            position = available[rule.variant_id] + on_order.get(rule.variant_id, 0)
            if position > rule.min_quantity:
                continue
            item = preferred.get(rule.variant_id)
            if item is None:
                result.unassigned.append(rule.variant)
                continue
            quantity = max(rule.max_quantity - position, item.minimum_order_quantity)
            wanted.setdefault(item.supplier_id, []).append(PurchaseLineRequest(variant=rule.variant, quantity=quantity))
            suppliers[item.supplier_id] = item.supplier
        for supplier_id in sorted(wanted):
            order, created = _draft_add(supplier=suppliers[supplier_id], lines=wanted[supplier_id], user=user)
            result.orders.append(order)
            if created:
                result.created.append(order)
    return result


def _draft_add(*, supplier: Supplier, lines: list[PurchaseLineRequest], user=None) -> tuple[PurchaseOrder, bool]:
    """For the min/max run: quantities are what is missing beyond what is on order, so they
    add to a draft's line rather than replace it."""
    with transaction.atomic():
        supplier = Supplier.objects.select_for_update(of=("self",)).get(pk=supplier.pk)
        draft = PurchaseOrder.objects.filter(supplier=supplier, status=S.DRAFT).order_by("-pk").first()
        if draft is None:
            order = purchase_order_create(supplier=supplier, lines=lines, user=user, auto_drafted=True,
                                          notes="Drafted by the nightly min/max reorder rules.")
            return order, True
        order = _lock_order(draft)
        cleaned = _clean_lines(supplier, lines)
        existing = {line.variant_id: line for line in order.lines.all()}
        added = []
        for variant, quantity, cost, sku in cleaned:
            line = existing.get(variant.pk)
            if line is None:
                added.append((variant, quantity, cost, sku))
            else:
                PurchaseOrderLine.objects.filter(pk=line.pk).update(quantity_ordered=F("quantity_ordered") + quantity)
        if added:
            _lines_write(order, added)
        _totals_refresh(order)
        purchase_order_event_add(order=order, user=user,
                                 message=f"Min/max reorder rules: {len(cleaned)} lines added or raised.")
    return order, False

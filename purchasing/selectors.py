"""Reads for the purchase order pages, a supplier's orders and delivery performance, the
low-stock alerts and reorder screens, and the API."""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, NullIf

from core.exceptions import NotFound
from inventory.models import Location, StockLevel, Variant
from inventory.selectors import (
    stock_alert_base,
    stock_alert_condition,
    stock_available_annotated,
    variants_matching,
)
from purchasing.models import (
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    ReceiptLine,
    ReorderRule,
)
from suppliers.models import Supplier, SupplierItem


def purchase_order_list(*, status: str | None = None, supplier_id: int | None = None,
                        q: str | None = None) -> QuerySet[PurchaseOrder]:
    """Purchase orders, newest first; `q` matches the number, the supplier's name or a line's SKU."""
    qs = PurchaseOrder.objects.select_related("supplier", "created_by").annotate(line_count=Count("lines"))
    if status:
        qs = qs.filter(status=status)
    if supplier_id:
        qs = qs.filter(supplier_id=supplier_id)
    q = (q or "").replace("\x00", "").strip()
    if q:
        with_sku = PurchaseOrderLine.objects.filter(order=OuterRef("pk"), variant__sku__icontains=q)
        qs = qs.filter(Q(number__icontains=q) | Q(supplier__name__icontains=q) | Exists(with_sku))
    return qs.order_by("-created_at", "-id")


def purchase_order_with_details(qs: QuerySet[PurchaseOrder]) -> QuerySet[PurchaseOrder]:
    """Load each order's lines (with SKU and product) alongside, for the API."""
    lines = PurchaseOrderLine.objects.select_related("variant__product").order_by("id")
    return qs.prefetch_related(Prefetch("lines", queryset=lines))


def purchase_order_get(*, pk: int) -> PurchaseOrder:
    order = PurchaseOrder.objects.select_related("supplier", "created_by").filter(pk=pk).first()
    if order is None:
        raise NotFound(f"Unknown purchase order {pk}.", details={"id": pk})
    return order


def purchase_order_lines(*, order: PurchaseOrder) -> QuerySet[PurchaseOrderLine]:
    return order.lines.select_related("variant", "variant__product").order_by("id")


def purchase_order_receipts(*, order: PurchaseOrder) -> QuerySet[Receipt]:
    lines = ReceiptLine.objects.select_related("line__variant", "location", "movement").order_by("id")
    return order.receipts.select_related("user").prefetch_related(Prefetch("lines", queryset=lines)).order_by("id")


def purchase_order_events(*, order: PurchaseOrder) -> QuerySet[PurchaseOrderEvent]:
    return order.events.select_related("user").order_by("created_at", "id")


def purchase_variant_search(*, q: str, supplier_id: int | None = None, limit: int = 10) -> list[Variant]:
    """Active variants whose SKU, product name or barcode matches `q` (or, with a supplier, whose
    supplier SKU does), for the purchase order form.

    Each carries `supplier_sku` and `supplier_cost` (None when the variant is no item of that
    supplier) and `is_supplier_item`; the supplier's own items come first.
    """
    q = (q or "").replace("\x00", "").strip()
    if not q:
        return []
    match = Q(sku__icontains=q) | Q(product__name__icontains=q) | Q(barcode=q)
    qs = Variant.objects.filter(active=True).select_related("product")
    if supplier_id:
        items = SupplierItem.objects.filter(supplier_id=supplier_id, variant=OuterRef("pk"))
        match |= Exists(items.filter(supplier_sku__icontains=q))
        qs = qs.annotate(
            supplier_sku=Subquery(items.values("supplier_sku")[:1]),
            supplier_cost=Subquery(items.values("unit_cost")[:1]),
            is_supplier_item=Exists(items),
        )
    else:
        qs = qs.annotate(
            supplier_sku=Value(None, output_field=CharField()),
            supplier_cost=Value(None, output_field=DecimalField(max_digits=12, decimal_places=2)),
            is_supplier_item=Value(False, output_field=BooleanField()),
        )
    return list(qs.filter(match).order_by("-is_supplier_item", "sku")[:limit])


def purchase_order_supplier_choices(*, include_id: int | None = None) -> QuerySet[Supplier]:
    """Suppliers one may order from (the active ones), plus `include_id` so an edited order's
    current supplier stays selectable."""
    wanted = Q(active=True) | Q(pk=include_id) if include_id else Q(active=True)
    return Supplier.objects.filter(wanted).order_by("name")


# --- a supplier's purchase orders and delivery performance (the supplier page) --

def supplier_purchase_orders(*, supplier: Supplier) -> QuerySet[PurchaseOrder]:
    return PurchaseOrder.objects.filter(supplier=supplier).order_by("-created_at", "-id")


@dataclass(frozen=True)
class SupplierPerformance:
    """Delivery record over the supplier's RECEIVED purchase orders.

    `on_time_rate` is a percentage of the orders that had an expected date; lead times
    are average days from the order date. The promised lead time comes from the orders'
    expected dates, or else (`promised_from_items`) from the items' lead times.
    """

    received_orders: int
    dated_orders: int
    on_time_orders: int
    on_time_rate: Decimal | None
    actual_lead_days: Decimal | None
    promised_lead_days: Decimal | None
    promised_from_items: bool

    @property
    def has_orders(self) -> bool:
        return self.received_orders > 0

    @property
    def lead_difference_days(self) -> Decimal | None:
        """Actual minus promised: positive when deliveries take longer than promised."""
        if self.actual_lead_days is None or self.promised_lead_days is None:
            return None
        return self.actual_lead_days - self.promised_lead_days

    @property
    def lead_difference_abs(self) -> Decimal | None:
        difference = self.lead_difference_days
        return None if difference is None else abs(difference)


def _average(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def supplier_performance(*, supplier: Supplier) -> SupplierPerformance:
    orders = list(
        PurchaseOrder.objects.filter(supplier=supplier, status=PurchaseOrderStatus.RECEIVED)
        .values_list("order_date", "expected_date", "received_date")
    )
    dated = [(expected, received) for _, expected, received in orders if expected and received]
    on_time = sum(1 for expected, received in dated if received <= expected)
    actual = [(received - ordered).days for ordered, _, received in orders if ordered and received]
    promised = [(expected - ordered).days for ordered, expected, _ in orders if ordered and expected]
    promised_lead = _average(promised)
    from_items = False
    if promised_lead is None and orders:
        promised_lead = _average(list(supplier.items.values_list("lead_time_days", flat=True)))
        from_items = promised_lead is not None
    rate = None
    if dated:
        rate = (Decimal(100) * on_time / len(dated)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return SupplierPerformance(
        received_orders=len(orders),
        dated_orders=len(dated),
        on_time_orders=on_time,
        on_time_rate=rate,
        actual_lead_days=_average(actual),
        promised_lead_days=promised_lead,
        promised_from_items=from_items,
    )


# --- low-stock alerts and quick reorder -------------------------------------
# The levels at or below their threshold (inventory.selectors.stock_alert_base and
# stock_alert_condition) with what reordering them needs: the preferred supplier and the
# suggested quantity.


def _alert_annotated(qs: QuerySet[StockLevel]) -> QuerySet[StockLevel]:
    """Add is_alert, is_critical, the preferred supplier and the suggested quantity.

    The suggestion follows purchasing.services.reorder_suggested_quantity: the level's
    reorder quantity, else twice its threshold, at least 1, raised to the preferred
    supplier's minimum order quantity.
    """
    preferred = SupplierItem.objects.filter(
        variant_id=OuterRef("variant_id"), preferred=True, supplier__active=True
    ).order_by()
    qs = qs.annotate(
        is_alert=Case(When(stock_alert_condition(), then=Value(True)), default=Value(False),
                      output_field=BooleanField()),
        is_critical=Case(When(available_qty__lte=0, then=Value(True)), default=Value(False), output_field=BooleanField()),
        preferred_supplier_id=Subquery(preferred.values("supplier_id")[:1]),
        preferred_supplier_name=Subquery(preferred.values("supplier__name")[:1]),
        preferred_moq=Subquery(preferred.values("minimum_order_quantity")[:1]),
    )
    base_quantity = Case(
        When(reorder_quantity__gt=0, then=F("reorder_quantity")),
        default=F("low_stock_threshold") * 2,
    )
    return qs.annotate(suggested_quantity=Greatest(base_quantity, Value(1), Coalesce(F("preferred_moq"), Value(1))))


def stock_alert_list(*, q: str | None = None, location: Location | None = None,
                     critical_only: bool = False) -> QuerySet[StockLevel]:
    """Levels at or below their low-stock threshold (critical when nothing is available),
    critical first, then the emptiest relative to their threshold."""
    qs = stock_alert_base().filter(stock_alert_condition())
    search = (q or "").strip()
    if search:
        qs = qs.filter(variant_id__in=variants_matching(search))
    if location is not None:
        qs = qs.filter(location=location)
    if critical_only:
        qs = qs.filter(available_qty__lte=0)
    fill = Cast(F("available_qty"), FloatField()) / NullIf(Cast(F("low_stock_threshold"), FloatField()), Value(0.0))
    qs = _alert_annotated(qs.select_related("variant", "variant__product", "location"))
    return qs.annotate(fill_ratio=fill).order_by(
        "-is_critical", F("fill_ratio").asc(nulls_first=True), "available_qty", "variant__sku", "location__code", "pk"
    )


def stock_alert_get(*, pk: int) -> StockLevel:
    """One level with the alert annotations, whether or not it is low now (for its row after an edit)."""
    level = _alert_annotated(
        StockLevel.objects.select_related("variant", "variant__product", "location")
        .annotate(available_qty=F("on_hand") - F("reserved"))
    ).filter(pk=pk).first()
    if level is None:
        raise NotFound(f"Unknown stock level {pk}.")
    return level


def stock_alert_levels(*, ids) -> QuerySet[StockLevel]:
    """The given levels with the alert annotations (quick reorder's choices)."""
    return _alert_annotated(
        stock_available_annotated(StockLevel.objects.select_related("variant", "variant__product", "location"))
        .filter(pk__in=list(ids))
    ).order_by("variant__sku", "location__code", "pk")


def reorder_rule_of_variant(*, variant: Variant):
    """The variant's min/max reorder rule (purchasing.ReorderRule), or None."""
    return ReorderRule.objects.select_related("location").filter(variant=variant).first()


def reorder_supplier_choices():
    """Active suppliers, by name: the ones a purchase order may be drafted for."""
    return Supplier.objects.filter(active=True).order_by("name", "pk")

"""Reads for the supplier pages and the API."""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet

from core.exceptions import NotFound
from inventory.models import StockMovement, Variant
from purchasing.models import PurchaseOrder, PurchaseOrderStatus
from suppliers.models import Supplier, SupplierItem

VARIANT_SEARCH_LIMIT = 20


def _clean_query(q: str | None) -> str:
    # PostgreSQL refuses a NUL character in a query.
    return (q or "").replace("\x00", "").strip()


def supplier_list(*, q: str | None = None, active: bool | None = None) -> QuerySet[Supplier]:
    """Suppliers by name, each with `item_count`; `q` matches the name, contact or email."""
    qs = Supplier.objects.annotate(item_count=Count("items"))
    if active is not None:
        qs = qs.filter(active=active)
    q = _clean_query(q)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(contact_name__icontains=q) | Q(email__icontains=q))
    return qs.order_by("name", "pk")


def supplier_get(*, pk: int) -> Supplier:
    supplier = Supplier.objects.filter(pk=pk).first()
    if supplier is None:
        raise NotFound(f"Unknown supplier {pk}.", details={"id": pk})
    return supplier


def supplier_items(*, supplier: Supplier) -> QuerySet[SupplierItem]:
    return supplier.items.select_related("variant", "variant__product").order_by("variant__sku", "pk")


def supplier_item_get(*, supplier: Supplier, pk: int) -> SupplierItem:
    """One of the supplier's items (an item of another supplier is unknown here)."""
    item = supplier_items(supplier=supplier).filter(pk=pk).first()
    if item is None:
        raise NotFound(f"Supplier {supplier.name} has no item {pk}.", details={"id": pk})
    return item


def supplier_purchase_orders(*, supplier: Supplier) -> QuerySet[PurchaseOrder]:
    return supplier.purchase_orders.order_by("-created_at", "-id")


@dataclass(frozen=True)
class SupplierHistory:
    """What refers to a supplier: while anything does, it can be deactivated but not deleted."""

    purchase_orders: int
    stock_movements: int

    @property
    def blocks_delete(self) -> bool:
        return bool(self.purchase_orders or self.stock_movements)


def supplier_history(*, supplier: Supplier) -> SupplierHistory:
    return SupplierHistory(
        purchase_orders=PurchaseOrder.objects.filter(supplier=supplier).count(),
        stock_movements=StockMovement.objects.filter(supplier=supplier).count(),
    )


# --- performance ------------------------------------------------------------

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


# --- the item form's SKU autocomplete -----------------------------------------

def variant_search(*, q: str | None, limit: int = VARIANT_SEARCH_LIMIT) -> QuerySet[Variant]:
    """Active variants whose SKU or product name contains `q`, by SKU."""
    q = _clean_query(q)
    if not q:
        return Variant.objects.none()
    return (
        Variant.objects.filter(active=True)
        .filter(Q(sku__icontains=q) | Q(product__name__icontains=q))
        .select_related("product")
        .order_by("sku")[:limit]
    )

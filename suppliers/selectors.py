"""Reads for the supplier pages and the API. Purchase-order reads about a supplier (its
orders, its delivery performance) are in purchasing.selectors."""
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from core.exceptions import NotFound
from inventory.models import StockMovement, Variant
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


def supplier_items(*, supplier: Supplier, q: str | None = None) -> QuerySet[SupplierItem]:
    """The supplier's items by SKU; `q` matches our SKU, the product name or the supplier's SKU."""
    qs = supplier.items.select_related("variant", "variant__product")
    q = _clean_query(q)
    if q:
        qs = qs.filter(
            Q(variant__sku__icontains=q) | Q(variant__product__name__icontains=q) | Q(supplier_sku__icontains=q)
        )
    return qs.order_by("variant__sku", "pk")


def supplier_item_get(*, supplier: Supplier, pk: int) -> SupplierItem:
    """One of the supplier's items (an item of another supplier is unknown here)."""
    item = supplier_items(supplier=supplier).filter(pk=pk).first()
    if item is None:
        raise NotFound(f"Supplier {supplier.name} has no item {pk}.", details={"id": pk})
    return item


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
        purchase_orders=supplier.purchase_orders.count(),
        stock_movements=StockMovement.objects.filter(supplier=supplier).count(),
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

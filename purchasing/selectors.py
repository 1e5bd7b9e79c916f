"""Reads for the purchase order pages and the API."""
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)

from core.exceptions import NotFound
from inventory.models import Variant
from purchasing.models import PurchaseOrder, PurchaseOrderEvent, PurchaseOrderLine, Receipt, ReceiptLine
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

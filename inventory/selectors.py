"""Reads for pages and the API."""
from collections.abc import Iterable
from datetime import date

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from core.exceptions import NotFound, ValidationFailed
from core.models import AuditEntry
from core.selectors import audit_list_for_objects
from inventory.models import Category, Location, Reservation, ReservationLine, StockLevel, StockMovement, Variant

STATUS_CHOICES = [("in", "In stock"), ("low", "Low"), ("out", "Out of stock")]
SORTS = {
    "sku": ("variant__sku", "location__code"),
    "-sku": ("-variant__sku", "location__code"),
    "name": ("variant__product__name", "variant__sku", "location__code"),
    "-name": ("-variant__product__name", "variant__sku", "location__code"),
    "on_hand": ("on_hand", "pk"),
    "-on_hand": ("-on_hand", "pk"),
    "available": ("available_qty", "pk"),
    "-available": ("-available_qty", "pk"),
    "location": ("location__code", "variant__sku"),
    "-location": ("-location__code", "variant__sku"),
}


def location_default() -> Location:
    location = Location.objects.filter(is_default=True).first()
    if location is None:
        raise ValidationFailed("No default location is set: name a location.", field="location")
    return location


def location_get(*, code: str | None, field: str = "location") -> Location:
    if code in (None, ""):
        return location_default()
    location = Location.objects.filter(code=code).first()
    if location is None:
        raise NotFound(f"Unknown location {code!r}.", field=field)
    return location


def variant_get(*, sku: str) -> Variant:
    # No SKU holds a NUL character, and PostgreSQL refuses one in a query.
    variant = None if "\x00" in sku else Variant.objects.select_related("product").filter(sku=sku).first()
    if variant is None:
        raise NotFound(f"Unknown SKU {sku!r}.", details={"sku": sku})
    return variant


def location_list(*, active_only: bool = True) -> QuerySet[Location]:
    qs = Location.objects.all()
    return qs.filter(active=True) if active_only else qs


def category_list() -> QuerySet[Category]:
    return Category.objects.select_related("parent").order_by("name")


def stock_available_annotated(qs: QuerySet[StockLevel]) -> QuerySet[StockLevel]:
    return qs.annotate(available_qty=F("on_hand") - F("reserved"))


def variants_matching(search: str) -> QuerySet[Variant]:
    """Ids of variants whose SKU or product name contains `search`, or whose barcode is it.

    A UNION of three small queries rather than one OR across the joined tables: each part
    can use its own index (the trigram indexes of migration 0002, the barcode index), where
    the OR makes PostgreSQL scan every variant (measured in bench/inventory_list).
    """
    variants = Variant.objects.order_by()
    return (
        variants.filter(sku__icontains=search).values("pk")
        .union(variants.filter(barcode=search).values("pk"), variants.filter(product__name__icontains=search).values("pk"))
    )


def stock_level_list(
    *,
    search: str = "",
    sku: str = "",
    category_id: int | None = None,
    location_code: str = "",
    status: str = "",
    sort: str = "sku",
) -> QuerySet[StockLevel]:
    """Stock levels with their variant, product, category and location, filtered and sorted."""
    qs = stock_available_annotated(
        StockLevel.objects.select_related("variant", "variant__product", "variant__product__category", "location")
    )
    search = (search or "").strip()
    if search:
        qs = qs.filter(variant_id__in=variants_matching(search))
    if sku:
        qs = qs.filter(variant__sku=sku)
    if category_id:
        qs = qs.filter(Q(variant__product__category_id=category_id) | Q(variant__product__category__parent_id=category_id))
    if location_code:
        qs = qs.filter(location__code=location_code)
    if status == "out":
        qs = qs.filter(available_qty__lte=0)
    elif status == "low":
        qs = qs.filter(available_qty__gt=0, available_qty__lte=F("low_stock_threshold"))
    elif status == "in":
        qs = qs.filter(available_qty__gt=F("low_stock_threshold"))
    return qs.order_by(*SORTS.get(sort, SORTS["sku"]))


def stock_available_for_cart(*, lines: Iterable[tuple[Variant, Location]]) -> dict[tuple[int, int], int]:
    """Units available (on_hand - reserved, never below 0) for each (variant, location) of a cart,
    keyed by (variant id, location id); 0 where the variant has no level at the location.

    One query for the whole cart, whatever its size. The location is not judged here: a
    caller that refuses inactive locations does so before asking.
    """
    pairs = {(variant.pk, location.pk) for variant, location in lines}
    available = dict.fromkeys(pairs, 0)
    if not pairs:
        return available
    wanted = Q()
    for variant_id, location_id in sorted(pairs):
        wanted |= Q(variant_id=variant_id, location_id=location_id)
    levels = StockLevel.objects.filter(wanted).order_by().values_list("variant_id", "location_id", "on_hand", "reserved")
    for variant_id, location_id, on_hand, reserved in levels:
        available[(variant_id, location_id)] = max(on_hand - reserved, 0)
    return available


def stock_summary() -> dict:
    """Figures for the dashboard, in a single aggregate over stock levels."""
    cost = Coalesce(F("variant__cost"), F("variant__product__cost"))
    value = ExpressionWrapper(F("on_hand") * cost, output_field=DecimalField(max_digits=18, decimal_places=2))
    available = F("on_hand") - F("reserved")
    figures = StockLevel.objects.aggregate(
        units_on_hand=Coalesce(Sum("on_hand"), Value(0)),
        stock_value=Coalesce(Sum(value), Value(0, output_field=DecimalField(max_digits=18, decimal_places=2))),
        low_count=Count("pk", filter=Q(on_hand__gt=F("reserved")) & Q(low_stock_threshold__gte=available)),
        out_count=Count("pk", filter=Q(on_hand__lte=F("reserved"))),
    )
    figures["sku_count"] = Variant.objects.filter(active=True).count()
    return figures


def movement_list(
    *,
    sku: str = "",
    type: str = "",
    location_code: str = "",
    user_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[StockMovement]:
    qs = StockMovement.objects.select_related("variant", "variant__product", "location", "user", "supplier",
                                             "purchase_order")
    if sku:
        qs = qs.filter(variant__sku=sku)
    if type:
        qs = qs.filter(type=type)
    if location_code:
        qs = qs.filter(location__code=location_code)
    if user_id:
        qs = qs.filter(user_id=user_id)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("-created_at", "-id")



def reservation_list(*, status: str | None = None, reference: str | None = None) -> QuerySet[Reservation]:
    """Reservations, newest first, with their lines' SKU and location loaded."""
    lines = ReservationLine.objects.select_related("variant", "location").order_by("id")
    qs = Reservation.objects.prefetch_related(Prefetch("lines", queryset=lines)).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    if reference:
        qs = qs.filter(reference=reference)
    return qs


def reservation_get(*, pk: int) -> Reservation:
    reservation = reservation_list().filter(pk=pk).first()
    if reservation is None:
        raise NotFound(f"Unknown reservation {pk}.")
    return reservation


# --- low-stock alerts -------------------------------------------------------

def stock_alert_base() -> QuerySet[StockLevel]:
    """Levels whose stock is watched: active variants of active, tracked products at active locations."""
    return stock_available_annotated(
        StockLevel.objects.filter(
            variant__active=True,
            variant__product__active=True,
            variant__product__track_inventory=True,
            location__active=True,
        )
    )


def stock_alert_condition() -> Q:
    return Q(available_qty__lte=F("low_stock_threshold"))


def stock_alert_count(*, limit: int | None = None) -> int:
    """How many levels are low or out: one COUNT, for the navigation badge.

    With `limit`, counting stops there (the badge shows "99+"): a badge on every page
    must not cost a scan of every alert in a large catalogue.
    """
    qs = stock_alert_base().filter(stock_alert_condition())
    if limit is not None:
        return qs.order_by()[:limit].count()
    return qs.count()


def variant_audit_list(*, variant: Variant, with_rule: bool, limit: int = 50) -> QuerySet[AuditEntry]:
    """The audit trail shown on the variant's page, newest first: its stock levels'
    threshold and reorder-quantity changes and, `with_rule`, its reorder rule's changes
    (recorded against the variant)."""
    objects = list(StockLevel.objects.filter(variant=variant).only("pk"))
    if with_rule:
        objects.append(variant)
    return audit_list_for_objects(objects=objects, limit=limit)

"""Reads for pages and the API."""
from collections.abc import Iterable
from datetime import date

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Lookup,
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
from inventory.models import (
    Category,
    Location,
    Product,
    Reservation,
    ReservationLine,
    StockLevel,
    StockMovement,
    Variant,
)

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


# --- the inventory list ------------------------------------------------------

# The list counts at most this many rows ("1,000+"), and pages over the first ones: an exact
# count of a broad search in a large catalogue costs more than the rest of the page.
STOCK_LIST_COUNT_LIMIT = 1_000
# A search matching at most this many products and SKUs is resolved to their ids first, so
# the list query looks them up by index; a broader one stays a subquery.
STOCK_LIST_SEARCH_IDS = 2_000
# A list narrowed by a stock status and a search or category is usually short: up to this
# many rows it is read whole once, instead of joined to the levels once to count and again
# for the page.
STOCK_LIST_READ_WHOLE = 200
STOCK_LIST_SORTS = {
    "sku": ("sku", "row_location_code"),
    "-sku": ("-sku", "row_location_code"),
    "name": ("product__name", "sku", "row_location_code"),
    "-name": ("-product__name", "sku", "row_location_code"),
    "on_hand": ("row_on_hand", "sku", "row_location_code"),
    "-on_hand": ("-row_on_hand", "sku", "row_location_code"),
    "available": ("row_available", "sku", "row_location_code"),
    "-available": ("-row_available", "sku", "row_location_code"),
    "location": ("row_location_code", "sku"),
    "-location": ("-row_location_code", "sku"),
}


def category_descendant_ids(*, category_id: int) -> list[int]:
    """The category and every category below it (the tree is small: one query)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.order_by().values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = [], [category_id]
    while todo:
        pk = todo.pop()
        if pk in found:
            continue
        found.append(pk)
        todo.extend(children.get(pk, []))
    return found


class _AnyOf(Lookup):
    """`lhs = ANY(%s)` with the ids as one array parameter on PostgreSQL (a list of a
    thousand ids as a thousand parameters costs more to send than to look up); `IN (...)`
    elsewhere."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(self.lhs)
        ids = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, ids]
        return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*lhs_params, *ids]


def _search_condition(search: str, *, category_ids: list[int] | None) -> Q:
    """Variants whose SKU or product name contains `search`, or whose barcode is it.

    Products and SKUs are matched in two small queries first (each on one table, where its
    trigram index or a short scan finds them); when both are few, the list looks their ids
    up by index. An OR across the joined tables instead makes PostgreSQL test every variant
    (measured in bench/inventory_list).
    """
    products = Product.objects.order_by().filter(name__icontains=search)
    if category_ids is not None:
        products = products.filter(category_id__in=category_ids)
    variants = Variant.objects.order_by().filter(Q(sku__icontains=search) | Q(barcode=search))
    product_ids = list(products.values_list("pk", flat=True)[:STOCK_LIST_SEARCH_IDS + 1])
    variant_ids = list(variants.values_list("pk", flat=True)[:STOCK_LIST_SEARCH_IDS + 1])
    if len(product_ids) > STOCK_LIST_SEARCH_IDS:
        product_match = Q(product_id__in=products.values("pk"))
    else:
        product_match = Q(_AnyOf(F("product_id"), product_ids))
    if len(variant_ids) > STOCK_LIST_SEARCH_IDS:
        variant_match = Q(pk__in=variants.values("pk"))
    else:
        variant_match = Q(_AnyOf(F("pk"), variant_ids))
    if not product_ids and not variant_ids:
        return Q(pk__in=[])
    if not product_ids:
        return variant_match
    if not variant_ids:
        return product_match
    return product_match | variant_match


class StockRows:
    """The rows of the inventory list: one per stock level, plus one per variant that has no
    level yet (shown with no stock at the default location), in one query.

    Sliced by a Paginator: `count()` stops at `limit` rows past `reach` (the end of the page
    asked for; then `capped` is True and the list says "N+"), so a long list is never
    counted whole yet every page stays reachable: each page counts a little further. A slice
    fetches only its rows' ids, then loads those rows with their variant, product and location.
    """

    def __init__(self, ids: QuerySet, *, default: Location | None, limit: int | None = None,
                 read_whole: bool = False):
        self._ids = ids
        self._default = default
        self.limit = STOCK_LIST_COUNT_LIMIT if limit is None else limit
        self.reach = 0
        self.capped = False
        self._count: int | None = None
        self._read_whole = read_whole
        self._head: list[tuple[int, int | None]] | None = None

    def reach_to(self, rows: int) -> None:
        """Count at least this many rows (the end of the requested page) before capping."""
        self.reach = max(rows, 0)
        self._count = None

    def count(self) -> int:
        if self._count is None:
            limit = self.reach + self.limit
            if self._read_whole:
                # Likely short: read whole, in order, at once; its pages need no second query.
                head = list(self._ids.values_list("pk", "row_level_id")[:STOCK_LIST_READ_WHOLE + 1])
                if len(head) <= STOCK_LIST_READ_WHOLE:
                    self._head = head
                    self._count = len(head)
                    return self._count
            found = self._ids.order_by()[:limit + 1].count()
            self.capped = found > limit
            self._count = min(found, limit)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key:key + 1][0]
        if self._head is not None:
            pairs = self._head[key]
        else:
            pairs = list(self._ids.values_list("pk", "row_level_id")[key])
        level_ids = [level_id for _, level_id in pairs if level_id is not None]
        levels = stock_level_list().filter(pk__in=level_ids).in_bulk() if level_ids else {}
        new_ids = [variant_id for variant_id, level_id in pairs if level_id is None]
        new = (Variant.objects.select_related("product", "product__category").in_bulk(new_ids)
               if new_ids else {})
        rows = []
        for variant_id, level_id in pairs:
            if level_id is not None:
                rows.append(levels[level_id])
            else:
                rows.append(_level_unsaved(new[variant_id], self._default))
        return rows


def _level_unsaved(variant: Variant, location: Location | None) -> StockLevel:
    """What the list shows for a variant with no stock level yet: nothing at the default location."""
    level = StockLevel(variant=variant, location=location, on_hand=0, reserved=0)
    level.available_qty = 0
    return level


def stock_list_rows(
    *,
    search: str = "",
    category_id: int | None = None,
    location_code: str = "",
    status: str = "",
    sort: str = "sku",
) -> StockRows:
    """The inventory list, filtered and sorted: stock levels and the variants with none yet.

    One query over variants LEFT JOIN their levels: a variant without a level gives one row
    with no level (no stock at the default location), found by search and category, listed
    under "out of stock" and under the default location. Sorted by SKU or name, the database
    walks the SKU (or name) index and stops after the page.
    """
    default = Location.objects.filter(is_default=True).first()
    level_code = F("stock_levels__location__code")
    qs = Variant.objects.annotate(
        row_level_id=F("stock_levels__id"),
        row_location_id=F("stock_levels__location_id"),
        row_location_code=Coalesce(level_code, Value(default.code)) if default else level_code,
        row_on_hand=Coalesce(F("stock_levels__on_hand"), Value(0)),
        row_available=Coalesce(F("stock_levels__on_hand") - F("stock_levels__reserved"), Value(0)),
        row_threshold=F("stock_levels__low_stock_threshold"),
        # Without the COALESCE: for the filters that only levels pass ("low", "in").
        row_level_available=F("stock_levels__on_hand") - F("stock_levels__reserved"),
    )
    category_ids = category_descendant_ids(category_id=category_id) if category_id else None
    search = (search or "").strip()
    if search:
        qs = qs.filter(_search_condition(search, category_ids=category_ids))
    if category_ids is not None:
        qs = qs.filter(product__category_id__in=category_ids)
    if location_code:
        location = Location.objects.filter(code=location_code).first()
        if location is None:
            qs = qs.none()
        elif default is not None and location.pk == default.pk:
            qs = qs.filter(Q(row_location_id=location.pk) | Q(row_level_id__isnull=True))
        else:
            qs = qs.filter(row_location_id=location.pk)
    if status == "out":
        qs = qs.filter(row_available__lte=0)
    elif status == "low":
        qs = qs.filter(row_level_available__gt=0, row_level_available__lte=F("row_threshold"))
    elif status == "in":
        qs = qs.filter(row_level_available__gt=F("row_threshold"))
    narrow = status in ("low", "in", "out") and bool(search or category_ids)
    return StockRows(qs.order_by(*STOCK_LIST_SORTS.get(sort, STOCK_LIST_SORTS["sku"])), default=default,
                     read_whole=narrow)


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

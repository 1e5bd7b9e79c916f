"""Reads for the order pages and the API."""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.exceptions import NotFound
from inventory.models import Location, Reservation, ReservationStatus, StockLevel, StockMovement, Variant
from inventory.selectors import location_list, stock_available_for_cart
from orders.models import OrderEvent, OrderPayment, OrderStatus, SalesOrder, SalesOrderLine, StripeEvent


def sales_order_list(*, status: str | None = None, q: str | None = None) -> QuerySet[SalesOrder]:
    """Orders, newest first; `q` matches the number, the customer's name or email, or a line's SKU."""
    qs = SalesOrder.objects.select_related("created_by").annotate(line_count=Count("lines"))
    if status:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        with_sku = SalesOrderLine.objects.filter(order=OuterRef("pk"), variant__sku__icontains=q)
        qs = qs.filter(
            Q(number__icontains=q)
            | Q(customer_name__icontains=q)
            | Q(customer_email__icontains=q)
            | Exists(with_sku)
        )
    return qs.order_by("-created_at", "-id")


def sales_order_with_details(qs: QuerySet[SalesOrder]) -> QuerySet[SalesOrder]:
    """Load each order's lines (with SKU and product) and reservations alongside, for the API."""
    lines = SalesOrderLine.objects.select_related("variant__product", "location").order_by("id")
    return qs.select_related("ship_from").prefetch_related(
        Prefetch("lines", queryset=lines),
        Prefetch("reservations", queryset=Reservation.objects.order_by("pk")),
        Prefetch("payments", queryset=OrderPayment.objects.select_related("recorded_by").order_by("created_at", "id")),
    )


def sales_order_get(*, number: str) -> SalesOrder:
    # No order number holds a NUL character, and PostgreSQL refuses one in a query.
    order = (None if "\x00" in number
             else SalesOrder.objects.select_related("created_by", "ship_from").filter(number=number).first())
    if order is None:
        raise NotFound(f"Unknown order {number!r}.", details={"number": number})
    return order


def sales_order_lines(*, order: SalesOrder) -> QuerySet[SalesOrderLine]:
    return order.lines.select_related("variant", "variant__product", "location").order_by("id")


def sales_order_payments(*, order: SalesOrder) -> QuerySet[OrderPayment]:
    return order.payments.select_related("recorded_by").order_by("created_at", "id")


def ship_from_choices() -> QuerySet[Location]:
    """The places an order can ship from: the active locations, the default first."""
    return location_list().order_by("-is_default", "code")


def location_for_line(*, location: Location | None, ship_from: Location | None) -> Location | None:
    """Where a line takes its stock: its own location, else the order's ship-from, else the
    default location (None when there is no default)."""
    return location or ship_from or Location.objects.filter(is_default=True).first()


@dataclass(frozen=True)
class LineShortfall:
    """A line asking for more than is available where it takes its stock."""

    index: int  # 1-based, in the order of the lines asked about
    variant: Variant
    location: Location | None
    requested: int
    available: int


def order_lines_shortfalls(
    *, lines: list[tuple[Variant, Location | None, int]], ship_from: Location | None = None
) -> list[LineShortfall]:
    """The lines (variant, own location or None, quantity) that ask for more than is available
    now (at their location, else `ship_from`, else the default). One query for all of them;
    lines of the same SKU and place count together."""
    default = None
    placed = []
    for variant, location, quantity in lines:
        where = location or ship_from
        if where is None:
            default = default or Location.objects.filter(is_default=True).first()
            where = default
        placed.append((variant, where, quantity))
    available = stock_available_for_cart(lines=[(v, where) for v, where, _ in placed if where is not None])
    wanted: dict[tuple[int, int], int] = {}
    for variant, where, quantity in placed:
        if where is not None:
            wanted[(variant.pk, where.pk)] = wanted.get((variant.pk, where.pk), 0) + quantity
    short = []
    for index, (variant, where, quantity) in enumerate(placed, start=1):
        have = available[(variant.pk, where.pk)] if where is not None else 0
        if where is None or wanted[(variant.pk, where.pk)] > have:
            short.append(LineShortfall(index=index, variant=variant, location=where, requested=quantity, available=have))
    return short


def line_available(*, variant: Variant, location: Location | None) -> int:
    """Units of `variant` available now at `location` (0 when it has no stock there)."""
    if location is None:
        return 0
    return stock_available_for_cart(lines=[(variant, location)])[(variant.pk, location.pk)]


# --- reservation and time left ---------------------------------------------

def sales_order_reservation(*, order: SalesOrder) -> Reservation | None:
    """The order's active reservation, or else its newest one (committed, released, expired)."""
    reservations = Reservation.objects.filter(sales_order=order)
    active = reservations.filter(status=ReservationStatus.ACTIVE).order_by("-pk").first()
    return active or reservations.order_by("-pk").first()


def reservation_time_left(*, reservation: Reservation, now: datetime | None = None) -> timedelta | None:
    """How long an active reservation still holds its stock (never negative).

    None when it does not lapse on its own (held until shipped or released) or is no
    longer active.
    """
    if reservation.status != ReservationStatus.ACTIVE or reservation.expires_at is None:
        return None
    now = now or timezone.now()
    return max(reservation.expires_at - now, timedelta(0))


@dataclass(frozen=True)
class OrderHold:
    """The stock an order holds: its reservation and, when it lapses, the time left."""

    reservation: Reservation
    time_left: timedelta | None

    @property
    def is_active(self) -> bool:
        return self.reservation.status == ReservationStatus.ACTIVE

    @property
    def expires(self) -> bool:
        return self.is_active and self.reservation.expires_at is not None

    @property
    def minutes_left(self) -> int | None:
        if self.time_left is None:
            return None
        return math.ceil(self.time_left.total_seconds() / 60)


def sales_order_hold(*, order: SalesOrder, now: datetime | None = None) -> OrderHold | None:
    reservation = sales_order_reservation(order=order)
    if reservation is None:
        return None
    return OrderHold(reservation=reservation, time_left=reservation_time_left(reservation=reservation, now=now))


# --- timeline --------------------------------------------------------------

@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "event", "movement" or "stripe"
    item: OrderEvent | StockMovement | StripeEvent

    @property
    def from_label(self) -> str:
        return _status_label(getattr(self.item, "from_status", ""))

    @property
    def to_label(self) -> str:
        return _status_label(getattr(self.item, "to_status", ""))


def _status_label(value: str) -> str:
    return OrderStatus(value).label if value in OrderStatus.values else value


# Same instant: the Stripe event first (it caused the rest), then the status change, then stock.
KIND_ORDER = {"stripe": 0, "event": 1, "movement": 2}


def sales_order_timeline(
    *, order: SalesOrder, movements: bool = True, stripe_events: bool = True
) -> list[TimelineEntry]:
    """The order's events, its stock movements and its Stripe events, oldest first."""
    entries = [
        TimelineEntry(at=event.created_at, kind="event", item=event)
        for event in OrderEvent.objects.filter(order=order).select_related("user", "stripe_event")
    ]
    if movements:
        entries += [
            TimelineEntry(at=movement.created_at, kind="movement", item=movement)
            for movement in StockMovement.objects.filter(sales_order=order).select_related("variant", "location")
        ]
    if stripe_events:
        entries += [
            TimelineEntry(at=event.received_at, kind="stripe", item=event)
            for event in StripeEvent.objects.filter(order=order).defer("payload")
        ]
    return sorted(entries, key=lambda entry: (entry.at, KIND_ORDER[entry.kind], entry.item.pk))


# --- variants for the order form -------------------------------------------

def _available_at_default() -> Subquery:
    level = StockLevel.objects.filter(variant=OuterRef("pk"), location__is_default=True)
    return Subquery(level.annotate(qty=F("on_hand") - F("reserved")).values("qty")[:1], output_field=IntegerField())


def variant_search(*, q: str, limit: int = 10) -> QuerySet[Variant]:
    """Variants for sale whose SKU or product name contains `q` (or whose barcode is `q`),
    each with `available_qty` at the default location."""
    q = (q or "").strip()
    if not q:
        return Variant.objects.none()
    return (
        Variant.objects.filter(active=True, product__active=True)
        .filter(Q(sku__icontains=q) | Q(product__name__icontains=q) | Q(barcode=q))
        .select_related("product")
        .annotate(available_qty=Coalesce(_available_at_default(), Value(0)))
        .order_by("sku")[:limit]
    )


def variant_availability(*, sku: str) -> Variant | None:
    """The variant with this SKU and its `available_qty` at the default location, or None."""
    sku = (sku or "").strip()
    if not sku or "\x00" in sku:
        return None
    return (
        Variant.objects.filter(sku=sku)
        .select_related("product")
        .annotate(available_qty=Coalesce(_available_at_default(), Value(0)))
        .first()
    )

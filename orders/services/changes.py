"""Changing an order after it was created: its lines while PENDING, its ship-from location
until it ships.

A PENDING order holds no stock, so its lines change freely (checked as sales_order_create
checks them). Moving a CONFIRMED order to another ship-from location moves its reservation:
the old hold is released and a new one taken in the same transaction, so either the whole
order is held at the new place or nothing changes (InsufficientStock, 409).
"""
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from django.db import transaction

from core.exceptions import IllegalTransition, ValidationFailed
from inventory.models import Location, ReservationStatus
from orders.models import OrderSource, OrderStatus, SalesOrder, SalesOrderLine
from orders.services.orders import (
    OrderLineRequest,
    _clean_lines,
    _lock_order,
    order_event_add,
    order_release_stock,
    order_reservation,
    order_reserve,
    order_stock_is_sold,
    ship_from_check,
)
from orders.services.payments import order_paid_at_sync

S = OrderStatus

# Statuses in which the ship-from location can still change (nothing has left the shelf).
SHIP_FROM_STATUSES = (S.PENDING, S.CONFIRMED)


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


# `ship_from=KEEP` (the default) leaves the order's ship-from location as it is.
KEEP: Final = _Keep()


@dataclass(frozen=True)
class _Match:
    request: OrderLineRequest
    line: SalesOrderLine | None


def _code(location: Location | None) -> str:
    return location.code if location is not None else "default"


def _match_lines(existing: list[SalesOrderLine], requests: list[OrderLineRequest]) -> list[_Match]:
    """Pair each requested line with an existing line of the same SKU (same location first),
    so that lines keep their id and, unless a new one is given, their unit price."""
    unused = list(existing)
    matches = []
    for request in requests:
        same_sku = [line for line in unused if line.variant_id == request.variant.pk]
        location_id = request.location.pk if request.location is not None else None
        line = next((line for line in same_sku if line.location_id == location_id), None) or next(iter(same_sku), None)
        if line is not None:
            unused.remove(line)
            if request.unit_price is None:
                request = OrderLineRequest(variant=request.variant, quantity=request.quantity,
                                           unit_price=line.unit_price, location=request.location)
        matches.append(_Match(request=request, line=line))
    return matches


def _lines_replace(order: SalesOrder, requests: list[OrderLineRequest]) -> list[str]:
    """Make the order's lines be `requests`; return what changed, in words (no prices: Staff
    read the timeline)."""
    existing = list(order.lines.select_related("variant", "location").order_by("id"))
    matches = _match_lines(existing, requests)
    cleaned = _clean_lines([match.request for match in matches])
    changes = []
    kept = set()
    for match, line_request in zip(matches, cleaned, strict=True):
        line = match.line
        sku = line_request.variant.sku
        if line is None:
            SalesOrderLine.objects.create(order=order, variant=line_request.variant, location=line_request.location,
                                          quantity=line_request.quantity, unit_price=line_request.unit_price)
            where = f" at {line_request.location.code}" if line_request.location is not None else ""
            changes.append(f"added {sku} × {line_request.quantity}{where}")
            continue
        kept.add(line.pk)
        updated = []
        if line.quantity != line_request.quantity:
            changes.append(f"{sku} quantity {line.quantity} → {line_request.quantity}")
            line.quantity = line_request.quantity
            updated.append("quantity")
        if line.location_id != (line_request.location.pk if line_request.location is not None else None):
            changes.append(f"{sku} location {_code(line.location)} → {_code(line_request.location)}")
            line.location = line_request.location
            updated.append("location")
        if line.unit_price != line_request.unit_price:
            changes.append(f"{sku} unit price changed")
            line.unit_price = line_request.unit_price
            updated.append("unit_price")
        if updated:
            line.save(update_fields=updated)
    for line in existing:
        if line.pk not in kept:
            changes.append(f"removed {line.variant.sku}")
            line.delete()
    return changes


def _order_total(order: SalesOrder) -> Decimal:
    return sum((line.unit_price * line.quantity for line in order.lines.all()), Decimal("0"))


def sales_order_update(
    *,
    order: SalesOrder,
    lines: list[OrderLineRequest] | None = None,
    ship_from: Location | None | _Keep = KEEP,
    user=None,
) -> SalesOrder:
    """Change an order's lines (only while PENDING) and/or where it ships from (while PENDING or
    CONFIRMED), with one event on its timeline.

    `lines` replaces every line: a SKU already on the order keeps its line and, when no
    unit price is given, its price; a new SKU takes the catalogue's. `ship_from=None` means
    the default location. A CONFIRMED order's reservation moves with its ship-from location
    (all or nothing: InsufficientStock when the new place is short). A checkout order
    (its lines paid through Stripe) is not changed here.
    """
    if lines is None and ship_from is KEEP:
        raise ValidationFailed("Nothing to change: send lines or a ship-from location.", field="lines")
    if not isinstance(ship_from, _Keep):
        ship_from_check(ship_from)
    with transaction.atomic():
        order = _lock_order(order)
        if order.source == OrderSource.CHECKOUT:
            raise IllegalTransition(f"Order {order.number} came from a checkout: its lines and stock follow the "
                                    "customer's payment and cannot be changed here.",
                                    details={"status": order.status})
        changes = []
        if lines is not None:
            if order.status != S.PENDING:
                raise IllegalTransition(
                    f"Order {order.number} is {order.get_status_display().lower()}: only a pending order's lines "
                    "can be changed.",
                    details={"status": order.status},
                )
            changes += _lines_replace(order, lines)
            total = _order_total(order)
            if total < order.amount_paid:
                raise ValidationFailed(
                    f"The new total ({total} {order.currency}) is less than what was already paid "
                    f"({order.amount_paid} {order.currency}).",
                    field="lines",
                )
            if total != order.total:
                order.total = total
                order.save(update_fields=["total", "updated_at"])
                order_paid_at_sync(order)
        if not isinstance(ship_from, _Keep) and ship_from != order.ship_from:
            changes.append(_ship_from_move(order, ship_from, user=user))
        if changes:
            order_event_add(order=order, message=f"Order changed: {'; '.join(changes)}.", user=user)
    return order


def _ship_from_move(order: SalesOrder, location: Location | None, *, user=None) -> str:
    """Set the locked order's ship-from location, moving its reservation if it holds one."""
    if order.status not in SHIP_FROM_STATUSES:
        raise IllegalTransition(
            f"Order {order.number} is {order.get_status_display().lower()}: the ship-from location can only "
            "change before the order ships.",
            details={"status": order.status},
        )
    if order_stock_is_sold(order):
        raise IllegalTransition(f"Order {order.number}'s stock was already taken out: it ships from where it is.",
                                details={"status": order.status})
    before = order.ship_from
    order.ship_from = location
    order.save(update_fields=["ship_from", "updated_at"])
    message = f"ship-from location {_code(before)} → {_code(location)}"
    held = order_reservation(order, status=ReservationStatus.ACTIVE)
    if held is None:
        return message
    if held.expires_at is not None:
        raise IllegalTransition(f"Order {order.number} holds stock for a checkout: confirm or cancel it first.",
                                details={"status": order.status})
    if order.lines.filter(location__isnull=True).exists():
        order_release_stock(order)
        order_reserve(order, user=user)
        message += " (reserved stock moved)"
    return message

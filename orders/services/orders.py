"""Sales orders: creation, status transitions and restocking.

Stock moves only through the inventory services: confirming reserves, shipping commits
the reservation (SALE), cancelling releases it, refunds and returns restock.
Every transition locks the order row first, then whatever the inventory services lock,
so two clicks (or a click and a webhook) on the same order queue rather than race.
The payment confirmation email leaves after the commit, from a task, never under that lock.
"""
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.exceptions import IllegalTransition, ValidationFailed
from core.queue import enqueue_on_commit
from core.sequences import sequence_next
from inventory.models import Location, MovementType, Reservation, ReservationStatus, Variant
from inventory.services import (
    ReservationLineRequest,
    ReturnLine,
    reservation_commit,
    reservation_create,
    reservation_hold,
    reservation_release,
    stock_return,
)
from orders.models import OrderEvent, OrderSource, OrderStatus, SalesOrder, SalesOrderLine

logger = logging.getLogger(__name__)

S = OrderStatus

# Where each status may go. Anything else is refused with IllegalTransition. Payment narrows
# it further (sales_order_allowed_transitions): an order that received money is refunded,
# never cancelled; one that received none is cancelled, never refunded.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.PENDING: (S.CONFIRMED, S.CANCELLED, S.REFUNDED),
    S.CONFIRMED: (S.SHIPPED, S.CANCELLED, S.REFUNDED),
    S.SHIPPED: (S.DELIVERED, S.REFUNDED),
    S.DELIVERED: (S.REFUNDED,),
    S.NEEDS_ATTENTION: (S.CONFIRMED, S.REFUNDED),
    S.CANCELLED: (),
    S.REFUNDED: (),
}

# How far along an order is; events from Stripe only ever move an order forward.
PROGRESS = {S.PENDING: 0, S.NEEDS_ATTENTION: 1, S.CONFIRMED: 2, S.SHIPPED: 3, S.DELIVERED: 4, S.CANCELLED: 5,
            S.REFUNDED: 5}

MAX_LINES = 200
MAX_QUANTITY = 1_000_000


@dataclass(frozen=True)
class OrderLineRequest:
    variant: Variant
    quantity: int
    unit_price: Decimal | None = None
    location: Location | None = None


def sales_order_number(value: int) -> str:
    return f"SO-{value:06d}"


def order_event_add(*, order: SalesOrder, message: str, from_status: str = "", to_status: str = "", user=None,
                    stripe_event=None) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        from_status=from_status,
        to_status=to_status,
        message=message[:500],
        user=user if getattr(user, "is_authenticated", False) else None,
        stripe_event=stripe_event,
    )


# --- create ---------------------------------------------------------------

def _clean_lines(lines: list[OrderLineRequest]) -> list[OrderLineRequest]:
    if not lines:
        raise ValidationFailed("An order needs at least one line.", field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationFailed(f"An order can have at most {MAX_LINES} lines.", field="lines")
    cleaned = []
    for index, line in enumerate(lines, start=1):
        quantity = line.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise ValidationFailed(f"Line {index} ({line.variant.sku}): the quantity must be a positive whole number.",
                                   field="lines")
        if quantity > MAX_QUANTITY:
            raise ValidationFailed(f"Line {index} ({line.variant.sku}): the quantity is too large.", field="lines")
        if not line.variant.active or not line.variant.product.active:
            raise ValidationFailed(f"Line {index}: {line.variant.sku} is not for sale (inactive).", field="lines")
        price = line.variant.effective_price if line.unit_price is None else line.unit_price
        if not isinstance(price, Decimal) or not price.is_finite() or price < 0:
            raise ValidationFailed(f"Line {index} ({line.variant.sku}): the unit price must be zero or more.",
                                   field="lines")
        price = price.quantize(Decimal("0.01"))
        if price >= Decimal("10000000000"):
            raise ValidationFailed(f"Line {index} ({line.variant.sku}): the unit price is too large.", field="lines")
        if line.location is not None and not line.location.active:
            raise ValidationFailed(f"Line {index} ({line.variant.sku}): location {line.location.code} is inactive.",
                                   field="lines")
        cleaned.append(OrderLineRequest(variant=line.variant, quantity=quantity, unit_price=price, location=line.location))
    return cleaned


def sales_order_create(
    *,
    lines: list[OrderLineRequest],
    customer_name: str = "",
    customer_email: str = "",
    notes: str = "",
    source: str = OrderSource.MANUAL,
    ship_from: Location | None = None,
    user=None,
) -> SalesOrder:
    """Create a PENDING order with its lines; prices default to the catalogue's.

    `ship_from` is where lines without a location of their own take their stock (the
    default location when None).
    """
    customer_name = (customer_name or "").strip()
    customer_email = (customer_email or "").strip()
    if len(customer_name) > 200:
        raise ValidationFailed("The customer name must be at most 200 characters.", field="customer_name")
    if customer_email:
        try:
            validate_email(customer_email)
        except ValidationError:
            raise ValidationFailed("Enter a valid email address.", field="customer_email") from None
    ship_from_check(ship_from)
    cleaned = _clean_lines(lines)
    with transaction.atomic():
        order = SalesOrder.objects.create(
            number=sales_order_number(sequence_next(name="SO")),
            status=S.PENDING,
            source=source,
            customer_name=customer_name,
            customer_email=customer_email,
            notes=notes or "",
            currency=settings.CURRENCY.upper(),
            total=sum((line.unit_price * line.quantity for line in cleaned), Decimal("0")),
            created_by=user if getattr(user, "is_authenticated", False) else None,
            ship_from=ship_from,
        )
        SalesOrderLine.objects.bulk_create([
            SalesOrderLine(order=order, variant=line.variant, location=line.location, quantity=line.quantity,
                           unit_price=line.unit_price)
            for line in cleaned
        ])
        order_event_add(order=order, message=f"Order created ({order.get_source_display().lower()}).", to_status=S.PENDING,
                        user=user)
    return order


def ship_from_check(location: Location | None) -> None:
    if location is not None and not location.active:
        raise ValidationFailed(f"Location {location.code} is inactive: choose another place to ship from.",
                               field="ship_from")


# --- helpers used by transitions and by Stripe's events ---------------------

def line_location(line: SalesOrderLine, order: SalesOrder) -> Location | None:
    """Where a line's stock is: its own location, else the order's ship-from (None: the default)."""
    return line.location if line.location_id is not None else order.ship_from

def _lock_order(order: SalesOrder) -> SalesOrder:
    return SalesOrder.objects.select_for_update(of=("self",)).get(pk=order.pk)


def order_reservation(order: SalesOrder, *, status: str | None = None) -> Reservation | None:
    qs = Reservation.objects.filter(sales_order=order)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-pk").first()


def order_reserve(order: SalesOrder, *, user=None, ttl=None, expires: bool = False) -> Reservation:
    """Hold stock for every line of the order (all or nothing)."""
    lines = list(order.lines.select_related("variant", "location"))
    result = reservation_create(
        reference=order.number,
        lines=[ReservationLineRequest(variant=line.variant, quantity=line.quantity, location=line_location(line, order))
               for line in lines],
        ttl=ttl,
        expires=expires,
        user=user,
        sales_order=order,
    )
    return result.reservation


def order_commit_stock(order: SalesOrder, *, user=None, reacquire: bool = False) -> Reservation:
    """Sell the order's stock: commit its newest reservation (or re-take a lapsed one with `reacquire`).

    Raises InsufficientStock when a lapsed hold cannot be re-taken, IllegalTransition when
    there is nothing to commit.
    """
    reservation = order_reservation(order)
    if reservation is None:
        raise IllegalTransition(f"Order {order.number} holds no stock to commit: confirm it first.")
    result = reservation_commit(reservation=reservation, user=user, reacquire=reacquire)
    if not result.replayed:
        SalesOrderLine.objects.filter(order=order).update(sold_quantity=F("quantity"))
    return result.reservation


def order_release_stock(order: SalesOrder) -> bool:
    """Release the order's active reservation, if it has one; True when something was released."""
    reservation = order_reservation(order, status=ReservationStatus.ACTIVE)
    if reservation is None:
        return False
    reservation_release(reservation=reservation)
    return True


def order_stock_is_sold(order: SalesOrder) -> bool:
    return order.lines.filter(sold_quantity__gt=0).exists()


def order_restock(order: SalesOrder, *, quantities: dict[int, int], type: str, reason: str, user=None) -> int:
    """Put sold units back on the shelf (REFUND or RETURN movements); return how many.

    `quantities` maps line id → units. Each line can give back at most what it sold and
    has not already given back. The caller holds the order's lock.
    """
    lines = {line.pk: line for line in order.lines.select_related("variant", "location")}
    wanted = {}
    for line_id, quantity in quantities.items():
        line = lines.get(line_id)
        if line is None:
            raise ValidationFailed(f"Line {line_id} is not part of order {order.number}.", field="lines")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise ValidationFailed(f"{line.variant.sku}: the quantity must be a whole number, zero or more.",
                                   field="lines")
        if quantity > line.restockable_quantity:
            raise ValidationFailed(
                f"{line.variant.sku}: {quantity} to restock, but only {line.restockable_quantity} sold and not yet back.",
                field="lines",
            )
        if quantity:
            wanted[line_id] = quantity
    if not wanted:
        return 0
    stock_return(
        lines=[ReturnLine(variant=lines[line_id].variant, location=line_location(lines[line_id], order),
                          quantity=quantity)
               for line_id, quantity in wanted.items()],
        type=type, reason=reason, user=user, reference=order.number, sales_order=order,
    )
    for line_id, quantity in wanted.items():
        SalesOrderLine.objects.filter(pk=line_id).update(restocked_quantity=F("restocked_quantity") + quantity)
    return sum(wanted.values())


def _unshipped_restock_quantities(order: SalesOrder) -> dict[int, int]:
    return {line.pk: line.restockable_quantity for line in order.lines.all() if line.restockable_quantity}


def _set_status(order: SalesOrder, to: str, *, message: str, user=None, stripe_event=None) -> None:
    from_status = order.status
    order.status = to
    order.save(update_fields=["status", "updated_at"])
    order_event_add(order=order, message=message, from_status=from_status, to_status=to, user=user,
                    stripe_event=stripe_event)


def order_refund_locked(order: SalesOrder, *, user=None, note: str = "", stripe_event=None, amount=None) -> None:
    """Refund a locked order in full: release what is held, restock what was sold but never
    shipped (REFUND), status REFUNDED. Shipped units come back through a return."""
    released = order_release_stock(order)
    restocked = 0
    if order.status in (S.CONFIRMED, S.NEEDS_ATTENTION):
        restocked = order_restock(order, quantities=_unshipped_restock_quantities(order), type=MovementType.REFUND,
                                  reason=f"Refund {order.number}", user=user)
    order.amount_refunded = order.amount_paid if amount is None else amount
    order.attention = ""
    order.save(update_fields=["amount_refunded", "attention", "updated_at"])
    parts = []
    if released:
        parts.append("reserved stock released")
    if restocked:
        parts.append(f"{restocked} unshipped units restocked (REFUND)")
    detail = ": " + ", ".join(parts) + "." if parts else "."
    suffix = f" {note}" if note else ""
    _set_status(order, S.REFUNDED, message=f"Order refunded{detail}{suffix}", user=user, stripe_event=stripe_event)


# --- transitions ----------------------------------------------------------

def sales_order_allowed_transitions(order: SalesOrder) -> list[str]:
    """The statuses this order can move to now: an order that received money is refunded, not
    cancelled; one that received nothing is cancelled, not refunded (there is nothing to give back)."""
    allowed = list(TRANSITIONS[order.status])
    if order.has_payment:
        return [to for to in allowed if to != S.CANCELLED]
    return [to for to in allowed if to != S.REFUNDED]


def _refuse(order: SalesOrder, to: str, why: str = "") -> None:
    allowed_now = sales_order_allowed_transitions(order)
    allowed = ", ".join(OrderStatus(s).label for s in allowed_now) or (
        "none: the order is closed" if not TRANSITIONS[order.status] else "none"
    )
    message = why or (
        f"Order {order.number} is {order.get_status_display().lower()} and cannot become "
        f"{OrderStatus(to).label.lower()}. Allowed next: {allowed}."
    )
    raise IllegalTransition(message, details={"status": order.status, "to": to, "allowed": allowed_now})


def sales_order_transition(*, order: SalesOrder, to: str, user=None, note: str = "") -> SalesOrder:
    """Move the order to status `to`, doing what that means for stock.

    CONFIRMED reserves every line (409 when short), SHIPPED commits the reservation
    (SALE), CANCELLED releases it, REFUNDED releases what is held and restocks what
    was sold but never shipped (REFUND). Shipped units come back with
    sales_order_return_receive (RETURN).
    """
    if to not in OrderStatus.values:
        raise ValidationFailed(f"Unknown status {to!r}.", field="to")
    note = (note or "").strip()[:300]
    with transaction.atomic():
        order = _lock_order(order)
        if to not in TRANSITIONS[order.status]:
            _refuse(order, to)
        if to == S.REFUNDED and not order.has_payment:
            _refuse(order, to, f"Nothing was paid for order {order.number}, so there is nothing to refund"
                               + (": cancel it instead." if S.CANCELLED in TRANSITIONS[order.status] else "."))
        suffix = f" {note}" if note else ""
        if to == S.CONFIRMED:
            if order.status == S.NEEDS_ATTENTION:
                # A paid order whose stock could not be taken: take it now, if it is there.
                order_commit_stock(order, user=user, reacquire=True)
                order.attention = ""
                order.save(update_fields=["attention", "updated_at"])
                _set_status(order, to, message=f"Stock taken for the paid order.{suffix}", user=user)
            else:
                held = order_reservation(order, status=ReservationStatus.ACTIVE)
                if held is None and not order_stock_is_sold(order):
                    order_reserve(order, user=user)
                elif held is not None and held.expires_at is not None:
                    # A checkout hold confirmed by hand: keep it until shipped or cancelled.
                    reservation_hold(reservation=held, expires_at=None)
                _set_status(order, to, message=f"Order confirmed: stock reserved.{suffix}", user=user)
        elif to == S.SHIPPED:
            if not order_stock_is_sold(order):
                order_commit_stock(order, user=user)
            _set_status(order, to, message=f"Order shipped: stock taken out (SALE).{suffix}", user=user)
        elif to == S.DELIVERED:
            _set_status(order, to, message=f"Order delivered.{suffix}", user=user)
        elif to == S.CANCELLED:
            if order.has_payment:
                _refuse(order, to, f"Order {order.number} is paid" + ("" if order.is_paid else " in part")
                        + ": refund it instead of cancelling it.")
            released = order_release_stock(order)
            _set_status(order, to, message="Order cancelled" + (": reserved stock released." if released else ".") + suffix,
                        user=user)
        elif to == S.REFUNDED:
            order_refund_locked(order, user=user, note=note)
    return order


def sales_order_return_receive(*, order: SalesOrder, quantities: dict[int, int], user=None, note: str = "") -> SalesOrder:
    """Restock units the customer sent back (RETURN movements), line by line."""
    with transaction.atomic():
        order = _lock_order(order)
        if order.status not in (S.SHIPPED, S.DELIVERED, S.REFUNDED):
            raise IllegalTransition(f"Order {order.number} is {order.get_status_display().lower()}: "
                                    "only shipped, delivered or refunded orders take returns.")
        count = order_restock(order, quantities=quantities, type=MovementType.RETURN, reason=f"Return {order.number}",
                              user=user)
        if count == 0:
            raise ValidationFailed("Enter at least one returned unit.", field="lines")
        note = (note or "").strip()[:300]
        order_event_add(order=order, message=f"Return received: {count} units restocked (RETURN). {note}".strip(),
                        user=user)
    return order


def sales_order_refund_lines(*, order: SalesOrder, quantities: dict[int, int], user=None, note: str = "") -> SalesOrder:
    """After a partial refund, restock the unshipped units staff chose (REFUND) and clear the flag."""
    with transaction.atomic():
        order = _lock_order(order)
        if order.status not in (S.CONFIRMED, S.NEEDS_ATTENTION, S.SHIPPED, S.DELIVERED):
            raise IllegalTransition(f"Order {order.number} is {order.get_status_display().lower()}: "
                                    "there is nothing to refund line by line.")
        if order.status in (S.SHIPPED, S.DELIVERED):
            count = 0  # shipped units come back through a return, not here
            if any(quantities.values()):
                raise ValidationFailed("These units were shipped: record them as a received return.", field="lines")
        else:
            count = order_restock(order, quantities=quantities, type=MovementType.REFUND,
                                  reason=f"Partial refund {order.number}", user=user)
        order.attention = ""
        order.save(update_fields=["attention", "updated_at"])
        note = (note or "").strip()[:300]
        order_event_add(order=order, message=f"Partial refund handled: {count} units restocked (REFUND). {note}".strip(),
                        user=user)
    return order


def sales_order_mark_paid(order: SalesOrder, *, amount, stripe_event=None, payment_intent: str = "") -> None:
    """Record a payment on a locked order (no status change)."""
    order.paid_at = order.paid_at or timezone.now()
    order.amount_paid = amount
    if payment_intent:
        order.stripe_payment_intent_id = payment_intent
    order.save(update_fields=["paid_at", "amount_paid", "stripe_payment_intent_id", "updated_at"])


# The Celery task that sends the confirmation, queued by name (orders/tasks.py imports this
# module, never the reverse).
CONFIRMATION_EMAIL_TASK = "orders.tasks.order_confirmation_email_task"
CONFIRMATION_SENT_MESSAGE = "Confirmation email sent"


def order_confirmation_email_queue(*, order: SalesOrder) -> None:
    """Ask for the payment confirmation email, inside the transaction that confirms the order.

    The email leaves from a task queued when that transaction commits (never under the order's
    lock, never if it rolls back); the sender claims the order first, so asking twice sends once.
    """
    if order.customer_email and order.confirmation_sent_at is None:
        enqueue_on_commit(CONFIRMATION_EMAIL_TASK, order.pk)


def order_confirmation_email_send(*, order: SalesOrder) -> bool:
    """Send the payment confirmation once; True when sent now.

    Runs after the commit, outside any transaction: a conditional UPDATE of
    `confirmation_sent_at` claims the order and commits on its own, so of two concurrent
    senders only one sends, and no lock is held while the mail server answers. When sending
    fails the claim is given back (and the error logged and raised, for the task to retry).
    """
    claimed_at = timezone.now()
    with transaction.atomic(durable=True):
        claimed = (SalesOrder.objects.filter(pk=order.pk, confirmation_sent_at__isnull=True)
                   .exclude(customer_email="")
                   .update(confirmation_sent_at=claimed_at))
    if not claimed:
        return False
    try:
        order = SalesOrder.objects.get(pk=order.pk)
        lines = "\n".join(f"  {line.quantity} x {line.variant.display_name} ({line.variant.sku})"
                          for line in order.lines.select_related("variant__product"))
        send_mail(
            subject=f"Order {order.number} confirmed",
            message=f"Thank you. Your payment for order {order.number} was received.\n\n{lines}\n\n"
                    f"Total: {order.total} {order.currency}\n",
            from_email=None,
            recipient_list=[order.customer_email],
        )
    except Exception:
        SalesOrder.objects.filter(pk=order.pk, confirmation_sent_at=claimed_at).update(confirmation_sent_at=None)
        logger.exception("Confirmation email for order %s failed; it can be sent again.", order.number)
        raise
    order_event_add(order=order, message=f"{CONFIRMATION_SENT_MESSAGE} to {order.customer_email}.")
    return True

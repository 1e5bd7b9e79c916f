"""Purchase orders: creation, editing while DRAFT, the status machine and receiving.

Every write locks the order row first (then whatever the inventory services lock), so a
double click, a retried request and a second user queue behind each other rather than
race. Stock moves only through inventory.services.stock_receive (RESTOCK movements
linked to the supplier and the order).
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.exceptions import Conflict, IllegalTransition, ValidationFailed
from core.sequences import sequence_next
from inventory.models import Location, Variant
from inventory.selectors import location_default
from inventory.services import ReceiveLine, stock_receive
from purchasing.models import (
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    ReceiptLine,
)
from suppliers.models import Supplier, SupplierItem

S = PurchaseOrderStatus

# Where each status may go by hand. PARTIALLY_RECEIVED and RECEIVED are reached by
# receiving goods (purchase_order_receive), never by a transition.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (S.PENDING, S.CANCELLED),
    S.PENDING: (S.CONFIRMED, S.CANCELLED),
    S.CONFIRMED: (S.SHIPPED, S.CANCELLED),
    S.SHIPPED: (S.CANCELLED,),
    S.PARTIALLY_RECEIVED: (S.CANCELLED,),
    S.RECEIVED: (),
    S.CANCELLED: (),
}
# Goods may arrive once the supplier has confirmed the order: suppliers often deliver
# without a shipping notice, so SHIPPED is optional.
RECEIVABLE = (S.CONFIRMED, S.SHIPPED, S.PARTIALLY_RECEIVED)
# Orders whose outstanding quantities are still expected to arrive.
OPEN_STATUSES = (S.DRAFT, S.PENDING, S.CONFIRMED, S.SHIPPED, S.PARTIALLY_RECEIVED)

MAX_LINES = 500
MAX_QUANTITY = 10_000_000
# The columns hold 12 digits for a unit cost and 14 for the order's amounts (2 decimals each).
MAX_MONEY = Decimal("1000000000000")
MAX_UNIT_COST = Decimal("10000000000")
UNSET = object()


class OverReceipt(Conflict):
    """A receipt would take a line past its ordered quantity without the user's say-so."""


@dataclass(frozen=True)
class PurchaseLineRequest:
    variant: Variant
    quantity: int
    # None: the supplier's cost for the variant, else the catalogue cost.
    unit_cost: Decimal | None = None


@dataclass(frozen=True)
class ReceiptLineRequest:
    line_id: int
    quantity: int
    # None: the default location.
    location: Location | None = None


@dataclass(frozen=True)
class ReceiptResult:
    receipt: Receipt
    order: PurchaseOrder
    replayed: bool = False


def purchase_order_number(value: int) -> str:
    return f"PO-{value:06d}"


def purchase_order_event_add(*, order: PurchaseOrder, message: str, from_status: str = "", to_status: str = "",
                             user=None) -> PurchaseOrderEvent:
    return PurchaseOrderEvent.objects.create(
        order=order,
        from_status=from_status,
        to_status=to_status,
        message=message[:500],
        user=user if getattr(user, "is_authenticated", False) else None,
    )


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


# --- validation -----------------------------------------------------------

def _money(value, *, field: str, limit: Decimal = MAX_MONEY) -> Decimal:
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, bool):
        raise ValidationFailed("Enter an amount such as 12.50.", field=field)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed("Enter an amount such as 12.50.", field=field) from None
    if not amount.is_finite():
        raise ValidationFailed("Enter an amount such as 12.50.", field=field)
    if amount < 0:
        raise ValidationFailed("The amount must be zero or more.", field=field)
    if amount >= limit:
        raise ValidationFailed("The amount is too large.", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed("Use at most two decimal places.", field=field)
    return amount.quantize(Decimal("0.01"))


def _check_supplier(supplier: Supplier) -> None:
    if not supplier.active:
        raise ValidationFailed(f"Supplier {supplier.name} is inactive: activate it before ordering from it.",
                               field="supplier")


def _clean_lines(supplier: Supplier, lines: list[PurchaseLineRequest]) -> list[tuple[Variant, int, Decimal, str]]:
    """Check every line; merge repeated variants. Returns (variant, quantity, unit cost, supplier SKU)."""
    if not lines:
        raise ValidationFailed("A purchase order needs at least one line.", field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationFailed(f"A purchase order can have at most {MAX_LINES} lines.", field="lines")
    items = {
        item.variant_id: item
        for item in SupplierItem.objects.filter(supplier=supplier, variant__in=[line.variant for line in lines])
    }
    merged: dict[int, list] = {}
    for index, line in enumerate(lines, start=1):
        quantity = line.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise ValidationFailed(f"Line {index} ({line.variant.sku}): the quantity must be a positive whole number.",
                                   field="lines")
        if quantity > MAX_QUANTITY:
            raise ValidationFailed(f"Line {index} ({line.variant.sku}): the quantity is too large.", field="lines")
        item = items.get(line.variant.pk)
        if line.unit_cost is None:
            cost = item.unit_cost if item is not None else line.variant.effective_cost
        else:
            try:
                cost = _money(line.unit_cost, field="lines", limit=MAX_UNIT_COST)
            except ValidationFailed as exc:
                raise ValidationFailed(f"Line {index} ({line.variant.sku}): unit cost: {exc.message}",
                                       field="lines") from None
        if line.variant.pk in merged:
            merged[line.variant.pk][1] += quantity
            if merged[line.variant.pk][1] > MAX_QUANTITY:
                raise ValidationFailed(f"Line {index} ({line.variant.sku}): the quantity is too large.", field="lines")
        else:
            merged[line.variant.pk] = [line.variant, quantity, cost, item.supplier_sku if item is not None else ""]
    return [tuple(values) for values in merged.values()]


def _check_date(value, *, field: str):
    if value is not None and not isinstance(value, date):
        raise ValidationFailed("Enter a date (YYYY-MM-DD).", field=field)
    return value


def _check_notes(notes: str) -> str:
    notes = (notes or "").strip()
    if len(notes) > 5000:
        raise ValidationFailed("The notes must be at most 5000 characters.", field="notes")
    return notes


# --- totals ---------------------------------------------------------------

def _totals_refresh(order: PurchaseOrder) -> None:
    """Recompute subtotal and total from the lines (the caller holds the order's lock)."""
    subtotal = sum((line.unit_cost * line.quantity_ordered for line in order.lines.all()), Decimal("0"))
    order.subtotal = subtotal.quantize(Decimal("0.01"))
    order.total = (order.subtotal + order.tax + order.shipping).quantize(Decimal("0.01"))
    if order.total >= MAX_MONEY:
        # Refused before the database would overflow; the caller's transaction rolls back.
        raise ValidationFailed(f"The order's total {order.total} is too large: order fewer units or split the order.",
                               field="lines")
    order.save(update_fields=["subtotal", "total", "tax", "shipping", "updated_at"])


def _lines_write(order: PurchaseOrder, cleaned: list[tuple[Variant, int, Decimal, str]]) -> None:
    PurchaseOrderLine.objects.bulk_create([
        PurchaseOrderLine(order=order, variant=variant, quantity_ordered=quantity, unit_cost=cost, supplier_sku=sku)
        for variant, quantity, cost, sku in cleaned
    ])


# --- create, edit, delete -------------------------------------------------

def _lock_order(order: PurchaseOrder) -> PurchaseOrder:
    return PurchaseOrder.objects.select_for_update(of=("self",)).select_related("supplier").get(pk=order.pk)


def purchase_order_create(
    *,
    supplier: Supplier,
    lines: list[PurchaseLineRequest],
    expected_date: date | None = None,
    tax=Decimal("0"),
    shipping=Decimal("0"),
    notes: str = "",
    user=None,
    submit: bool = False,
    auto_drafted: bool = False,
) -> PurchaseOrder:
    """Create a DRAFT purchase order with its lines (PENDING straight away with `submit`).

    A line without a unit cost takes the supplier's cost for the variant, else the
    catalogue cost. Numbers are PO-000001 upward, without gaps or duplicates.
    """
    _check_supplier(supplier)
    cleaned = _clean_lines(supplier, lines)
    tax = _money(tax, field="tax")
    shipping = _money(shipping, field="shipping")
    expected_date = _check_date(expected_date, field="expected_date")
    notes = _check_notes(notes)
    with transaction.atomic():
        # Waits for a supplier being deleted at this moment, then finds it gone.
        supplier = Supplier.objects.select_for_update(no_key=True, of=("self",)).filter(pk=supplier.pk).first()
        if supplier is None:
            raise ValidationFailed("This supplier no longer exists.", field="supplier")
        _check_supplier(supplier)
        order = PurchaseOrder.objects.create(
            number=purchase_order_number(sequence_next(name="PO")),
            supplier=supplier,
            status=S.DRAFT,
            currency=settings.CURRENCY.upper(),
            order_date=timezone.localdate(),
            expected_date=expected_date,
            notes=notes,
            tax=tax,
            shipping=shipping,
            created_by=_user(user),
            auto_drafted=auto_drafted,
        )
        _lines_write(order, cleaned)
        _totals_refresh(order)
        how = "drafted by a reorder rule" if auto_drafted else "created"
        count = f"{len(cleaned)} line" + ("" if len(cleaned) == 1 else "s")
        purchase_order_event_add(order=order, message=f"Purchase order {how} with {count}.",
                                 to_status=S.DRAFT, user=user)
        if submit:
            _transition_locked(order, S.PENDING, user=user)
    return order


def purchase_order_update(
    *,
    order: PurchaseOrder,
    user=None,
    supplier=UNSET,
    lines=UNSET,
    expected_date=UNSET,
    tax=UNSET,
    shipping=UNSET,
    notes=UNSET,
) -> PurchaseOrder:
    """Change what was given. Supplier, lines, tax and shipping change only while DRAFT;
    the expected date and notes until the order is received or cancelled."""
    with transaction.atomic():
        order = _lock_order(order)
        draft_only = {"supplier": supplier, "lines": lines, "tax": tax, "shipping": shipping}
        changing = [name for name, value in draft_only.items() if value is not UNSET]
        if changing and order.status != S.DRAFT:
            raise IllegalTransition(
                f"Purchase order {order.number} is {order.get_status_display().lower()}: its "
                f"{', '.join(changing)} can only change while it is a draft.",
                details={"status": order.status},
            )
        if order.status in (S.RECEIVED, S.CANCELLED) and (expected_date is not UNSET or notes is not UNSET):
            raise IllegalTransition(f"Purchase order {order.number} is {order.get_status_display().lower()}: "
                                    "it can no longer be changed.", details={"status": order.status})
        changes = []
        if supplier is not UNSET and supplier.pk != order.supplier_id:
            _check_supplier(supplier)
            order.supplier = supplier
            order.save(update_fields=["supplier", "updated_at"])
            changes.append(f"supplier {supplier.name}")
            if lines is UNSET:
                # The lines stay (with their costs); their supplier SKUs become the new supplier's.
                skus = dict(SupplierItem.objects.filter(supplier=supplier, variant__in=order.lines.values("variant"))
                            .values_list("variant_id", "supplier_sku"))
                for line in order.lines.all():
                    if line.supplier_sku != skus.get(line.variant_id, ""):
                        line.supplier_sku = skus.get(line.variant_id, "")
                        line.save(update_fields=["supplier_sku"])
        if lines is not UNSET:
            cleaned = _clean_lines(order.supplier, lines)
            order.lines.all().delete()
            _lines_write(order, cleaned)
            changes.append(f"{len(cleaned)} lines")
        if tax is not UNSET:
            order.tax = _money(tax, field="tax")
            changes.append(f"tax {order.tax}")
        if shipping is not UNSET:
            order.shipping = _money(shipping, field="shipping")
            changes.append(f"shipping {order.shipping}")
        if expected_date is not UNSET:
            order.expected_date = _check_date(expected_date, field="expected_date")
            order.save(update_fields=["expected_date", "updated_at"])
            changes.append(f"expected {order.expected_date or 'unset'}")
        if notes is not UNSET:
            order.notes = _check_notes(notes)
            order.save(update_fields=["notes", "updated_at"])
            changes.append("notes")
        if lines is not UNSET or tax is not UNSET or shipping is not UNSET:
            _totals_refresh(order)
        if changes:
            purchase_order_event_add(order=order, message="Edited: " + ", ".join(changes) + ".", user=user)
    return order


def purchase_order_delete(*, order: PurchaseOrder, user=None) -> None:
    """Delete a DRAFT. Anything further along is cancelled instead, so its history stays."""
    with transaction.atomic():
        order = _lock_order(order)
        if order.status != S.DRAFT:
            raise IllegalTransition(
                f"Purchase order {order.number} is {order.get_status_display().lower()}: only drafts can be deleted; "
                "cancel it instead.",
                details={"status": order.status},
            )
        order.delete()


# --- transitions ----------------------------------------------------------

def purchase_order_allowed_transitions(order: PurchaseOrder) -> list[str]:
    return list(TRANSITIONS[order.status])


def _refuse(order: PurchaseOrder, to: str) -> None:
    allowed = ", ".join(S(s).label for s in TRANSITIONS[order.status]) or "none: the order is closed"
    if to in (S.PARTIALLY_RECEIVED, S.RECEIVED) and order.status in RECEIVABLE:
        why = (f"Purchase order {order.number} becomes {S(to).label.lower()} by receiving goods, "
               "not by a status change.")
    elif to == order.status:
        why = f"Purchase order {order.number} is already {order.get_status_display().lower()}."
    else:
        why = (f"Purchase order {order.number} is {order.get_status_display().lower()} and cannot become "
               f"{S(to).label.lower()}.")
    raise IllegalTransition(f"{why} Allowed next: {allowed}.",
                            details={"status": order.status, "to": to, "allowed": list(TRANSITIONS[order.status])})


def _transition_locked(order: PurchaseOrder, to: str, *, user=None, note: str = "") -> None:
    if to not in TRANSITIONS[order.status]:
        _refuse(order, to)
    now = timezone.now()
    fields = ["status", "updated_at"]
    if to == S.PENDING:
        if not order.lines.exists():
            raise IllegalTransition(f"Purchase order {order.number} has no lines: add some before submitting it.")
        order.submitted_at = now
        order.order_date = timezone.localdate()
        fields += ["submitted_at", "order_date"]
        message = "Submitted to the supplier."
    elif to == S.CONFIRMED:
        order.confirmed_at = now
        fields.append("confirmed_at")
        message = "Confirmed by the supplier."
    elif to == S.SHIPPED:
        order.shipped_at = now
        fields.append("shipped_at")
        message = "Shipped by the supplier."
    else:  # CANCELLED
        order.cancelled_at = now
        fields.append("cancelled_at")
        message = "Cancelled."
        if order.status == S.PARTIALLY_RECEIVED:
            message = "Cancelled: what was received stays in stock; the rest is no longer expected."
    from_status = order.status
    order.status = to
    order.save(update_fields=fields)
    note = (note or "").strip()[:300]
    purchase_order_event_add(order=order, message=f"{message} {note}".strip(), from_status=from_status, to_status=to,
                             user=user)


def purchase_order_transition(*, order: PurchaseOrder, to: str, user=None, note: str = "") -> PurchaseOrder:
    """Move the order along DRAFT → PENDING → CONFIRMED → SHIPPED, or cancel it before it is received."""
    if to not in S.values:
        raise ValidationFailed(f"Unknown status {to!r}. Use one of: {', '.join(S.values)}.", field="to")
    with transaction.atomic():
        order = _lock_order(order)
        _transition_locked(order, to, user=user, note=note)
    return order


# --- receiving ------------------------------------------------------------

def _check_receipt_key(key) -> str:
    if not isinstance(key, str) or not key.strip():
        raise ValidationFailed("An idempotency key is required, so that a resubmitted receipt counts once.",
                               field="idempotency_key")
    key = key.strip()
    if len(key) > 200:
        raise ValidationFailed("The idempotency key must be at most 200 characters.", field="idempotency_key")
    return key


def _receipt_replay(key: str, order: PurchaseOrder, lines: list[ReceiptLineRequest]) -> ReceiptResult | None:
    """The receipt already made with this key, when the request is that receipt again; a
    key reused for other lines or quantities is a conflict, never a silent no-op."""
    receipt = Receipt.objects.filter(idempotency_key=key).first()
    if receipt is None:
        return None
    if receipt.order_id != order.pk:
        raise Conflict("This idempotency key was already used for a receipt of another purchase order.",
                       field="idempotency_key")
    stored = sorted(receipt.lines.values_list("line_id", "location_id", "quantity"))
    default = None
    asked = []
    for request in lines:
        if not isinstance(request.quantity, int) or isinstance(request.quantity, bool) or request.quantity <= 0:
            continue
        location = request.location
        if location is None:
            default = default or location_default()
            location = default
        asked.append((request.line_id, location.pk, request.quantity))
    if sorted(asked) != stored:
        raise Conflict("This idempotency key was already used for a receipt with other lines or quantities: "
                       "use a new key for a new receipt.", field="idempotency_key")
    return ReceiptResult(receipt=receipt, order=PurchaseOrder.objects.get(pk=order.pk), replayed=True)


def purchase_order_receive(
    *,
    order: PurchaseOrder,
    lines: list[ReceiptLineRequest],
    idempotency_key: str,
    user=None,
    allow_over_receipt: bool = False,
    over_receipt_reason: str = "",
    notes: str = "",
) -> ReceiptResult:
    """Receive goods for a CONFIRMED, SHIPPED or PARTIALLY_RECEIVED order: RESTOCK movements
    (linked to the supplier and order) for each line's quantity at its location, all lines or none.

    The order becomes PARTIALLY_RECEIVED, or RECEIVED once every line has arrived in full.
    More than ordered is refused (OverReceipt) unless `allow_over_receipt` with a reason.
    A receipt sent again with the same idempotency key returns the first and changes nothing.
    """
    key = _check_receipt_key(idempotency_key)
    over_receipt_reason = (over_receipt_reason or "").strip()
    if allow_over_receipt and not over_receipt_reason:
        raise ValidationFailed("Give a reason for accepting more than was ordered.", field="over_receipt_reason")
    if len(over_receipt_reason) > 200:
        raise ValidationFailed("The reason must be at most 200 characters.", field="over_receipt_reason")
    notes = _check_notes(notes)
    if not lines:
        raise ValidationFailed("Enter a received quantity for at least one line.", field="lines")

    if (replay := _receipt_replay(key, order, lines)) is not None:
        return replay
    try:
        with transaction.atomic():
            order = _lock_order(order)
            # A resubmission that waited on the lock finds the first one here.
            if (replay := _receipt_replay(key, order, lines)) is not None:
                return replay
            if order.status not in RECEIVABLE:
                when = ("it is closed" if order.status in (S.RECEIVED, S.CANCELLED)
                        else "goods are received once the supplier has confirmed it")
                raise IllegalTransition(
                    f"Purchase order {order.number} is {order.get_status_display().lower()}: {when}.",
                    details={"status": order.status},
                )
            order_lines = {line.pk: line for line in order.lines.select_related("variant")}
            default = None
            wanted: list[tuple[PurchaseOrderLine, int, Location]] = []
            totals: dict[int, int] = {}
            for index, request in enumerate(lines, start=1):
                line = order_lines.get(request.line_id)
                if line is None:
                    raise ValidationFailed(f"Row {index}: line {request.line_id} is not part of {order.number}.",
                                           field="lines")
                quantity = request.quantity
                if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
                    raise ValidationFailed(f"Row {index} ({line.variant.sku}): the quantity must be a whole number, "
                                           "zero or more.", field="lines")
                if quantity > MAX_QUANTITY:
                    raise ValidationFailed(f"Row {index} ({line.variant.sku}): the quantity is too large.", field="lines")
                if quantity == 0:
                    continue
                location = request.location
                if location is None:
                    default = default or location_default()
                    location = default
                if not location.active:
                    raise ValidationFailed(f"Row {index} ({line.variant.sku}): location {location.code} is inactive.",
                                           field="lines")
                wanted.append((line, quantity, location))
                totals[line.pk] = totals.get(line.pk, 0) + quantity
            if not wanted:
                raise ValidationFailed("Enter a received quantity for at least one line.", field="lines")

            over = [
                {"line": line.pk, "sku": line.variant.sku, "ordered": line.quantity_ordered,
                 "received": line.quantity_received, "receiving": totals[line.pk],
                 "outstanding": line.quantity_outstanding}
                for line in order_lines.values()
                if line.pk in totals and line.quantity_received + totals[line.pk] > line.quantity_ordered
            ]
            if over and not allow_over_receipt:
                parts = "; ".join(f"{o['sku']}: receiving {o['receiving']}, {o['outstanding']} outstanding" for o in over)
                raise OverReceipt(
                    f"More than ordered: {parts}. Tick 'accept over-receipt' and give a reason to receive it anyway.",
                    details={"lines": over},
                )

            receipt = Receipt.objects.create(order=order, idempotency_key=key, user=_user(user), notes=notes,
                                             over_receipt_reason=over_receipt_reason if over else "")
            movements = stock_receive(
                lines=[ReceiveLine(variant=line.variant, location=location, quantity=quantity)
                       for line, quantity, location in wanted],
                reason=f"Received {order.number}",
                notes=notes,
                supplier=order.supplier,
                purchase_order=order,
                user=user,
                reference=order.number,
            )
            ReceiptLine.objects.bulk_create([
                ReceiptLine(receipt=receipt, line=line, location=location, quantity=quantity, movement=movement)
                for (line, quantity, location), movement in zip(wanted, movements)
            ])
            for line_id, quantity in totals.items():
                PurchaseOrderLine.objects.filter(pk=line_id).update(quantity_received=F("quantity_received") + quantity)

            complete = all(
                line.quantity_received + totals.get(line.pk, 0) >= line.quantity_ordered for line in order_lines.values()
            )
            from_status = order.status
            order.status = S.RECEIVED if complete else S.PARTIALLY_RECEIVED
            fields = ["status", "updated_at"]
            if complete:
                order.received_date = timezone.localdate()
                fields.append("received_date")
            order.save(update_fields=fields)
            units = sum(totals.values())
            message = f"Received {units} units in receipt {receipt.pk}"
            if over:
                message += f" (over-receipt accepted: {over_receipt_reason})"
            purchase_order_event_add(order=order, message=message + ".", from_status=from_status,
                                     to_status=order.status if order.status != from_status else "", user=user)
    except IntegrityError:
        # Lost a race on the same key: answer with the winner's receipt.
        if (replay := _receipt_replay(key, order, lines)) is None:
            raise
        return replay
    return ReceiptResult(receipt=receipt, order=order)

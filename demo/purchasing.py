"""Demo purchasing for a first run: suppliers, what they sell us, purchase orders in every
status and a few min/max reorder rules. Called by demo.services.demo_seed after
the catalogue and its stock history exist.

Purchase orders go through the purchasing services only: created, submitted, confirmed,
shipped, received (RESTOCK movements linked to the supplier and the order) or cancelled.
Afterwards their dates are moved into the past with a plain update, so that a newcomer
sees orders placed weeks ago, some delivered late: dates are not stock changes, like
thresholds in demo.services. Suppliers, their items and the reorder rules are
reference data, written in bulk.
"""
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from inventory.models import Location, StockLevel, Variant
from purchasing.models import PurchaseOrder, PurchaseOrderStatus, ReorderRule
from purchasing.services import (
    PurchaseLineRequest,
    ReceiptLineRequest,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_transition,
)
from suppliers.models import Supplier, SupplierItem

S = PurchaseOrderStatus


@dataclass(frozen=True)
class DemoSupplier:
    name: str
    code: str  # prefix of the supplier's own SKUs
    families: tuple[str, ...]  # demo.services family codes it sells
    contact_name: str
    email: str
    phone: str
    address: str
    website: str
    notes: str
    lead_times: tuple[int, int]


SUPPLIERS = [
    DemoSupplier("Northwind Textiles", "NWT", ("TSH", "HOO", "SOC"), "Priya Raman", "orders@northwind-textiles.example",
                 "+44 161 555 0142", "Unit 4, Mill Lane\nManchester M4 6JT\nUnited Kingdom",
                 "https://northwind-textiles.example", "Organic cotton basics. Orders before noon ship the same week.",
                 (5, 12)),
    DemoSupplier("Harbour Apparel Co.", "HAC", ("TSH", "HOO", "CAP"), "Tom Whitaker", "sales@harbourapparel.example",
                 "+1 207 555 0188", "18 Wharf Street\nPortland, ME 04101\nUSA", "https://harbourapparel.example",
                 "Second source for tees and hoodies; slower but cheaper on large runs.", (10, 21)),
    DemoSupplier("Stride Footwear Ltd", "STR", ("SHO",), "Marta Kowalczyk", "b2b@stridefootwear.example",
                 "+48 22 555 0110", "ul. Fabryczna 9\n00-446 Warszawa\nPoland", "https://stridefootwear.example",
                 "Sizes 40-44 in stock; half sizes on request.", (7, 18)),
    DemoSupplier("Carryall Bags & Leather", "CBL", ("BAG", "CAP"), "Diego Alvarez", "wholesale@carryall.example",
                 "+34 93 555 0175", "Carrer de la Indústria 120\n08025 Barcelona\nSpain", "https://carryall.example",
                 "Leather goods are cut to order: allow extra time before holidays.", (10, 21)),
    DemoSupplier("Kiln & Hearth Homewares", "KHH", ("KIT", "CAN"), "Aoife Byrne", "trade@kilnandhearth.example",
                 "+353 1 555 0163", "3 Pottery Yard\nDublin D08 X2Y5\nIreland", "https://kilnandhearth.example",
                 "Fragile goods ship on pallets; report breakages within 48 hours.", (4, 14)),
    DemoSupplier("Papercraft Stationers", "PCS", ("NTB", "PEN"), "Lukas Brandt", "service@papercraft.example",
                 "+49 30 555 0199", "Papierstraße 7\n10115 Berlin\nGermany", "https://papercraft.example",
                 "Free shipping on orders over 250.", (3, 9)),
]

# Minimum order quantities by family: small goods come in cartons, shoes by the pair.
MOQS = {
    "TSH": (6, 12), "HOO": (6, 12), "SOC": (12, 24), "SHO": (1, 6), "CAP": (6, 12),
    "BAG": (1, 6), "KIT": (6, 12, 24), "CAN": (12, 24), "NTB": (12, 24), "PEN": (12, 24),
}
# Roughly this share of the catalogue's variants is bought from a supplier; the rest is
# made in-house or bought at markets (no supplier item), as in a real shop.
SUPPLIED_SHARE = 0.6
SECOND_SOURCE_SHARE = 0.25

# (final status, receipts, days since the order was placed, days the delivery was late)
# RECEIVED orders are spread over past weeks, some early, some on time, some late.
ORDER_PLAN = [
    (S.RECEIVED, 1, 58, -1),
    (S.RECEIVED, 2, 51, 3),
    (S.RECEIVED, 1, 45, 0),
    (S.RECEIVED, 1, 40, 6),
    (S.RECEIVED, 2, 36, 0),
    (S.RECEIVED, 1, 30, -2),
    (S.RECEIVED, 1, 27, 9),
    (S.RECEIVED, 1, 22, 1),
    (S.PARTIALLY_RECEIVED, 1, 18, 0),
    (S.PARTIALLY_RECEIVED, 1, 12, 0),
    (S.SHIPPED, 0, 16, 0),  # overdue: expected before today
    (S.SHIPPED, 0, 6, 0),
    (S.CONFIRMED, 0, 5, 0),
    (S.CONFIRMED, 0, 3, 0),
    (S.PENDING, 0, 2, 0),
    (S.PENDING, 0, 1, 0),
    (S.DRAFT, 0, 0, 0),
    (S.DRAFT, 0, 0, 0),
    (S.CANCELLED, 0, 34, 0),  # cancelled before it was confirmed
    (S.CANCELLED, 1, 25, 0),  # part delivered, the rest discontinued
]
TAX_RATE = Decimal("0.08")
SHIPPING = [Decimal("0.00"), Decimal("12.50"), Decimal("18.00"), Decimal("25.00")]
NOTES = {
    S.DRAFT: "Restock before the weekend sale.",
    S.PENDING: "Sent by email; waiting for the supplier to confirm.",
    S.CONFIRMED: "Confirmed by phone.",
    S.SHIPPED: "Tracking number in the supplier's email.",
    S.PARTIALLY_RECEIVED: "Back-ordered lines follow in a second shipment.",
    S.RECEIVED: "",
    S.CANCELLED: "",
}


@dataclass
class PurchasingSeedResult:
    suppliers: int = 0
    items: int = 0
    orders: int = 0
    rules: int = 0


def _cost(value: Decimal, rng: random.Random) -> Decimal:
    """What the supplier charges: 80-95% of the catalogue cost, at least 0.10."""
    return max(Decimal("0.10"), (value * Decimal(str(rng.uniform(0.80, 0.95)))).quantize(Decimal("0.01")))


def _suppliers_seed() -> dict[str, Supplier]:
    Supplier.objects.bulk_create([
        Supplier(name=s.name, contact_name=s.contact_name, email=s.email, phone=s.phone, address=s.address,
                 website=s.website, notes=s.notes)
        for s in SUPPLIERS
    ])
    return {supplier.name: supplier for supplier in Supplier.objects.filter(name__in=[s.name for s in SUPPLIERS])}


def _items_seed(*, variants: list[Variant], suppliers: dict[str, Supplier], rng: random.Random) -> list[SupplierItem]:
    """Supplier items for part of the catalogue: one preferred supplier per variant, and a
    second, non-preferred source for some."""
    by_family: dict[str, list[DemoSupplier]] = {}
    for demo in SUPPLIERS:
        for family in demo.families:
            by_family.setdefault(family, []).append(demo)
    items = []
    numbers = {demo.name: 1000 for demo in SUPPLIERS}
    for variant in variants:
        family = variant.sku.split("-")[0]
        sources = by_family.get(family, [])
        if not sources or rng.random() >= SUPPLIED_SHARE:
            continue
        chosen = [rng.choice(sources)]
        others = [s for s in sources if s is not chosen[0]]
        if others and rng.random() < SECOND_SOURCE_SHARE:
            chosen.append(rng.choice(others))
        for position, demo in enumerate(chosen):
            numbers[demo.name] += rng.randint(1, 7)
            items.append(SupplierItem(
                supplier=suppliers[demo.name], variant=variant, supplier_sku=f"{demo.code}-{numbers[demo.name]}",
                unit_cost=_cost(variant.effective_cost, rng), lead_time_days=rng.randint(*demo.lead_times),
                minimum_order_quantity=rng.choice(MOQS.get(family, (1, 6, 12, 24))), preferred=position == 0,
            ))
    SupplierItem.objects.bulk_create(items)
    return items


def _quantity(item: SupplierItem, rng: random.Random) -> int:
    moq = item.minimum_order_quantity
    return moq * rng.randint(1, 4) if moq > 1 else rng.randint(4, 20)


def _backdate(order: PurchaseOrder, *, placed: date, expected: date | None, received: date | None) -> None:
    """Move the order's dates and timestamps into the past (not stock changes: a plain update)."""
    tz = timezone.get_current_timezone()

    def at(day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour, 0), tzinfo=tz)

    fields = {"order_date": placed, "created_at": at(placed, 9), "expected_date": expected,
              "received_date": received}
    if order.submitted_at:
        fields["submitted_at"] = at(placed, 10)
    if order.confirmed_at:
        fields["confirmed_at"] = at(placed + timedelta(days=1), 11)
    if order.shipped_at and expected is not None:
        fields["shipped_at"] = at(max(placed + timedelta(days=2), expected - timedelta(days=3)), 15)
    if order.cancelled_at:
        fields["cancelled_at"] = at(placed + timedelta(days=3), 16)
    PurchaseOrder.objects.filter(pk=order.pk).update(**fields)


def _candidates(*, turn: list[int], preferred: dict[int, list[SupplierItem]], exclude: set[int]) -> list[SupplierItem]:
    """The first supplier in turn with something left to order: its preferred items not in `exclude`."""
    for supplier_id in turn:
        items = [item for item in preferred[supplier_id] if item.variant_id not in exclude]
        if items:
            return items
    return []


def _orders_seed(*, items: list[SupplierItem], location: Location, rng: random.Random) -> int:
    """Purchase orders in every status, through the services (receipts write RESTOCK movements)."""
    today = timezone.localdate()
    preferred: dict[int, list[SupplierItem]] = {}
    for item in items:
        if item.preferred:
            preferred.setdefault(item.supplier_id, []).append(item)
    supplier_ids = sorted(preferred)
    if not supplier_ids:
        return 0
    low = set(StockLevel.objects.filter(location=location, variant_id__in=[i.variant_id for i in items],
                                        on_hand__lte=5).values_list("variant_id", flat=True))
    on_its_way = (S.DRAFT, S.PENDING, S.CONFIRMED, S.SHIPPED, S.PARTIALLY_RECEIVED)
    # A variant is on one open order at most; closed orders may repeat anything.
    on_order: set[int] = set()
    open_left = sum(1 for plan in ORDER_PLAN if plan[0] in on_its_way)
    created = 0
    for index, (status, receipts, days_ago, late) in enumerate(ORDER_PLAN):
        is_open = status in on_its_way
        # The suppliers take turns; one with nothing left to order passes to the next.
        turn = supplier_ids[index % len(supplier_ids):] + supplier_ids[:index % len(supplier_ids)]
        candidates = _candidates(turn=turn, preferred=preferred, exclude=on_order if is_open else set())
        count = rng.randint(2, 4)
        if is_open:
            # In a small catalogue, fewer lines each, so that every status gets an order.
            free = len({item.variant_id for supplied in preferred.values() for item in supplied} - on_order)
            count = max(1, min(count, free // max(open_left, 1)))
            open_left -= 1
            # What is on its way is what runs low.
            candidates.sort(key=lambda item: (item.variant_id not in low, item.variant_id))
            picked = candidates[:count]
            on_order.update(item.variant_id for item in picked)
        else:
            picked = rng.sample(candidates, min(len(candidates), count))
        if not picked:
            continue
        quantities = [_quantity(item, rng) for item in picked]
        subtotal = sum((item.unit_cost * quantity for item, quantity in zip(picked, quantities)), Decimal("0"))
        placed = today - timedelta(days=days_ago)
        lead = max(item.lead_time_days for item in picked)
        expected = placed + timedelta(days=lead) if status != S.DRAFT else None
        if status == S.SHIPPED and index % 2 == 0:
            expected = today - timedelta(days=2)  # overdue
        order = purchase_order_create(
            supplier=picked[0].supplier,
            lines=[PurchaseLineRequest(variant=item.variant, quantity=quantity)
                   for item, quantity in zip(picked, quantities)],
            expected_date=expected,
            tax=(subtotal * TAX_RATE).quantize(Decimal("0.01")) if rng.random() < 0.7 else Decimal("0"),
            shipping=rng.choice(SHIPPING),
            notes=NOTES[status],
        )
        created += 1
        if status == S.DRAFT:
            continue
        steps = [S.PENDING, S.CONFIRMED, S.SHIPPED]
        if status == S.CANCELLED and receipts == 0:
            path = [S.PENDING, S.CANCELLED]
        elif status in steps:
            path = steps[:steps.index(status) + 1]
        else:  # goods arrive once shipped
            path = steps
        for to in path:
            order = purchase_order_transition(order=order, to=to)
        if receipts or status in (S.RECEIVED, S.PARTIALLY_RECEIVED):
            order = _receive(order, status=status, receipts=receipts, location=location, index=index)
        received = None
        if order.status == S.RECEIVED and expected is not None:
            received = min(expected + timedelta(days=late), today - timedelta(days=1))
            received = max(received, placed + timedelta(days=1))
        _backdate(order, placed=placed, expected=expected, received=received)
    return created


def _receive(order: PurchaseOrder, *, status: str, receipts: int, location: Location, index: int) -> PurchaseOrder:
    lines = list(order.lines.order_by("pk"))
    key = f"demo-{order.number}"
    if status == S.RECEIVED and receipts == 1:
        extra = index == 3  # the supplier sent spares: an accepted over-receipt
        return purchase_order_receive(
            order=order, idempotency_key=f"{key}-1",
            lines=[ReceiptLineRequest(line_id=line.pk, quantity=line.quantity_ordered + (2 if extra and n == 0 else 0),
                                      location=location) for n, line in enumerate(lines)],
            allow_over_receipt=extra, over_receipt_reason="Supplier added two spares" if extra else "",
        ).order
    # A first delivery with part of every line (the first line in full when there are more)...
    full_first = len(lines) > 1
    first = [ReceiptLineRequest(line_id=line.pk, location=location,
                                quantity=line.quantity_ordered if n == 0 and full_first
                                else max(1, line.quantity_ordered // 2))
             for n, line in enumerate(lines)]
    order = purchase_order_receive(order=order, idempotency_key=f"{key}-1", lines=first,
                                   notes="Back-ordered lines to follow").order
    if status == S.RECEIVED:
        # ...and the rest a few days later.
        order = purchase_order_receive(
            order=order, idempotency_key=f"{key}-2",
            lines=[ReceiptLineRequest(line_id=line.pk, quantity=line.quantity_outstanding, location=location)
                   for line in order.lines.order_by("pk") if line.quantity_outstanding],
        ).order
    elif status == S.CANCELLED:
        order = purchase_order_transition(order=order, to=S.CANCELLED,
                                          note="The rest was discontinued by the supplier.")
    return order


def _rules_seed(*, items: list[SupplierItem], rng: random.Random) -> int:
    """A handful of min/max rules for preferred-supplier variants without an open order."""
    on_order = set(PurchaseOrder.objects.filter(status__in=[S.DRAFT, S.PENDING, S.CONFIRMED, S.SHIPPED,
                                                            S.PARTIALLY_RECEIVED])
                   .values_list("lines__variant_id", flat=True))
    candidates = sorted({item.variant_id for item in items if item.preferred} - on_order)
    rules = []
    for variant_id in rng.sample(candidates, min(5, len(candidates))):
        minimum = rng.choice([5, 8, 10])
        rules.append(ReorderRule(variant_id=variant_id, min_quantity=minimum,
                                 max_quantity=minimum + rng.choice([20, 30, 40])))
    ReorderRule.objects.bulk_create(rules, ignore_conflicts=True)
    return len(rules)


def purchasing_demo_seed(*, variant_ids: list[int], locations: dict[str, Location],
                         rng: random.Random) -> PurchasingSeedResult:
    """Suppliers, supplier items, purchase orders in every status and reorder rules for the
    demo variants. Does nothing when the demo suppliers are already there."""
    result = PurchasingSeedResult()
    if Supplier.objects.filter(name__in=[s.name for s in SUPPLIERS]).exists():
        return result
    main = locations["main"]
    if not main.active:
        return result
    variants = list(Variant.objects.filter(pk__in=variant_ids).select_related("product").order_by("pk"))
    with transaction.atomic():
        suppliers = _suppliers_seed()
        items = _items_seed(variants=variants, suppliers=suppliers, rng=rng)
        variants_by_id = {variant.pk: variant for variant in variants}
        for item in items:
            item.variant = variants_by_id[item.variant_id]
        result.orders = _orders_seed(items=items, location=main, rng=rng)
        result.rules = _rules_seed(items=items, rng=rng)
    result.suppliers, result.items = len(suppliers), len(items)
    return result

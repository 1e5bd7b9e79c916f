"""Demo purchasing for a first run: suppliers, what they sell us, purchase orders in every
status and a few min/max reorder rules. Called by demo.services.demo_seed after
the catalogue and its stock history exist.

Purchase orders go through the purchasing services only: created, submitted, confirmed,
shipped, received (RESTOCK movements linked to the supplier and the order) or cancelled.
Each is a story on the demo's timeline (demo.timeline): placed weeks ago, some delivered
late, every step stamped by the services with the demo clock's time, after the step before
and never in the future. Suppliers, their items and the reorder rules are reference data,
written in bulk.
"""
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from demo.timeline import Story, Timeline, business_time, day_start, random_duration
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
ON_ITS_WAY = (S.DRAFT, S.PENDING, S.CONFIRMED, S.SHIPPED, S.PARTIALLY_RECEIVED)
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


def _candidates(*, turn: list[int], preferred: dict[int, list[SupplierItem]], exclude: set[int]) -> list[SupplierItem]:
    """The first supplier in turn with something left to order: its preferred items not in `exclude`."""
    for supplier_id in turn:
        items = [item for item in preferred[supplier_id] if item.variant_id not in exclude]
        if items:
            return items
    return []


class _PurchaseStories:
    """The demo's purchase orders, each a story on the timeline: placed on its day, submitted,
    confirmed, shipped, received (RESTOCK movements at the receipt's time) or cancelled, every
    step after the one before. What an open order buys is chosen when it is placed, from what
    runs low then."""

    def __init__(self, *, items: list[SupplierItem], location: Location, rng: random.Random, timeline: Timeline,
                 result: PurchasingSeedResult):
        self.location = location
        self.rng = rng
        self.timeline = timeline
        self.result = result
        self.preferred: dict[int, list[SupplierItem]] = {}
        for item in items:
            if item.preferred:
                self.preferred.setdefault(item.supplier_id, []).append(item)
        self.supplier_ids = sorted(self.preferred)
        # A variant is on one open order at most; closed orders may repeat anything.
        self.on_order: set[int] = set()
        self.open_left = sum(1 for plan in ORDER_PLAN if plan[0] in ON_ITS_WAY)

    def _lines(self, index: int, status: str) -> list[tuple[SupplierItem, int]]:
        rng = self.rng
        is_open = status in ON_ITS_WAY
        # The suppliers take turns; one with nothing left to order passes to the next.
        turn = self.supplier_ids[index % len(self.supplier_ids):] + self.supplier_ids[:index % len(self.supplier_ids)]
        candidates = _candidates(turn=turn, preferred=self.preferred, exclude=self.on_order if is_open else set())
        count = rng.randint(2, 4)
        if is_open:
            # In a small catalogue, fewer lines each, so that every status gets an order.
            free = len({item.variant_id for supplied in self.preferred.values() for item in supplied} - self.on_order)
            count = max(1, min(count, free // max(self.open_left, 1)))
            self.open_left -= 1
            # What is on its way is what runs low.
            low = set(StockLevel.objects.filter(location=self.location, on_hand__lte=5,
                                                variant_id__in=[item.variant_id for item in candidates])
                      .values_list("variant_id", flat=True))
            candidates.sort(key=lambda item: (item.variant_id not in low, item.variant_id))
            picked = candidates[:count]
            self.on_order.update(item.variant_id for item in picked)
        else:
            picked = rng.sample(candidates, min(len(candidates), count))
        return [(item, _quantity(item, rng)) for item in picked]

    def story(self, index: int, status: str, receipts: int, late: int) -> Story:
        rng, end = self.rng, self.timeline.end
        today = timezone.localdate(end)
        lines = self._lines(index, status)
        if not lines:
            return
        placed = timezone.localdate()
        subtotal = sum((item.unit_cost * quantity for item, quantity in lines), Decimal("0"))
        lead = max(item.lead_time_days for item, _ in lines)
        expected = placed + timedelta(days=lead) if status != S.DRAFT else None
        if status == S.SHIPPED and index % 2 == 0:
            expected = today - timedelta(days=2)  # overdue
        order = purchase_order_create(
            supplier=lines[0][0].supplier,
            lines=[PurchaseLineRequest(variant=item.variant, quantity=quantity) for item, quantity in lines],
            expected_date=expected,
            tax=(subtotal * TAX_RATE).quantize(Decimal("0.01")) if rng.random() < 0.7 else Decimal("0"),
            shipping=rng.choice(SHIPPING),
            notes=NOTES[status],
        )
        self.result.orders += 1
        if status == S.DRAFT:
            return
        yield random_duration(rng, 0.5, 3)
        order = purchase_order_transition(order=order, to=S.PENDING)
        if status == S.PENDING:
            return
        if status == S.CANCELLED and receipts == 0:  # cancelled before it was confirmed
            yield random_duration(rng, 2 * 24, 4 * 24)
            purchase_order_transition(order=order, to=S.CANCELLED)
            return
        yield random_duration(rng, 12, 30)
        order = purchase_order_transition(order=order, to=S.CONFIRMED)
        if status == S.CONFIRMED:
            return

        # When the goods arrive: a RECEIVED order on its planned day (early, on time or
        # late), always before today; the others a few days after shipping.
        arrives = None
        if status == S.RECEIVED:
            day = min(expected + timedelta(days=late), today - timedelta(days=1))
            day = max(day, placed + timedelta(days=3))
            arrives = business_time(rng, day_start(day), day_start(day) + timedelta(hours=23))
        first_arrival = arrives - random_duration(rng, 3 * 24, 6 * 24) if arrives and receipts == 2 else arrives
        yield (first_arrival - random_duration(rng, 24, 3 * 24)) if first_arrival is not None else random_duration(rng, 24, 3 * 24)
        order = purchase_order_transition(order=order, to=S.SHIPPED)
        if status == S.SHIPPED:
            return
        yield first_arrival if first_arrival is not None else random_duration(rng, 24, 4 * 24)
        order = _receive_first(order, status=status, receipts=receipts, location=self.location, index=index)
        if status == S.RECEIVED and receipts == 2:
            yield arrives
            _receive_rest(order, location=self.location)
        elif status == S.CANCELLED:
            yield random_duration(rng, 2 * 24, 5 * 24)
            purchase_order_transition(order=order, to=S.CANCELLED, note="The rest was discontinued by the supplier.")


def _orders_seed(*, items: list[SupplierItem], location: Location, rng: random.Random, timeline: Timeline,
                 result: PurchasingSeedResult) -> None:
    """Purchase orders in every status, each a story placed `days_ago` before the end of
    the timeline, through the services (receipts write RESTOCK movements)."""
    stories = _PurchaseStories(items=items, location=location, rng=rng, timeline=timeline, result=result)
    if not stories.supplier_ids:
        return
    end = timeline.end
    for index, (status, receipts, days_ago, late) in enumerate(ORDER_PLAN):
        day = timezone.localdate(end) - timedelta(days=days_ago)
        latest = min(day_start(day) + timedelta(hours=23), end - timedelta(hours=1))
        timeline.add(business_time(rng, day_start(day), latest), stories.story(index, status, receipts, late))


def _receive_first(order: PurchaseOrder, *, status: str, receipts: int, location: Location,
                   index: int) -> PurchaseOrder:
    """The first delivery: everything for a RECEIVED order in one receipt, else part of it."""
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
    # Part of every line (the first line in full when there are more).
    full_first = len(lines) > 1
    first = [ReceiptLineRequest(line_id=line.pk, location=location,
                                quantity=line.quantity_ordered if n == 0 and full_first
                                else max(1, line.quantity_ordered // 2))
             for n, line in enumerate(lines)]
    return purchase_order_receive(order=order, idempotency_key=f"{key}-1", lines=first,
                                  notes="Back-ordered lines to follow").order


def _receive_rest(order: PurchaseOrder, *, location: Location) -> PurchaseOrder:
    return purchase_order_receive(
        order=order, idempotency_key=f"demo-{order.number}-2",
        lines=[ReceiptLineRequest(line_id=line.pk, quantity=line.quantity_outstanding, location=location)
               for line in order.lines.order_by("pk") if line.quantity_outstanding],
    ).order


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


def purchasing_demo_seed(*, variant_ids: list[int], locations: dict[str, Location], rng: random.Random,
                         timeline: Timeline) -> PurchasingSeedResult:
    """Suppliers and supplier items now; purchase orders in every status and a few reorder
    rules on the timeline (`orders` and `rules` of the result are counted as they are
    written). Does nothing when the demo suppliers are already there."""
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
    _orders_seed(items=items, location=main, rng=rng, timeline=timeline, result=result)

    def rules() -> None:
        result.rules = _rules_seed(items=items, rng=rng)

    timeline.once(timeline.end - timedelta(hours=2), rules)
    result.suppliers, result.items = len(suppliers), len(items)
    return result

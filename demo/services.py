"""Demo data for a first run: a small shop's catalogue with a plausible stock history.

The catalogue is planned in memory from a fixed random seed, so the same call always
plans the same products, SKUs and barcodes. Every stock change is written through the
ledger services (stock_adjust, stock_count, stock_transfer); only thresholds and reorder
quantities, which are not stock changes, are set with a plain update.

Each section is its own function (locations, categories, catalogue, stock history,
thresholds, sales orders) so later issues can add theirs (suppliers, ...) to `demo_seed`.

Sales orders are taken through their life only with the order, payment, reservation and
Stripe event services (never by writing a status or a stock level): confirming reserves,
shipping sells (SALE), cancelling releases, refunds and returns restock (REFUND, RETURN),
and Stripe's `checkout.session.completed` / `charge.refunded` events are applied with
`stripe_event_handle`, as the webhook would.

The shop has a past: 90 days of it. The services write with the demo clock's time
(demo.timeline), and every variant's history, sales order and purchase order is a story
whose steps are played in time order up to now, so each event follows its predecessor,
none is in the future, and a movement has the time of the order step or receipt behind it.
"""
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from demo.purchasing import purchasing_demo_seed
from demo.timeline import (
    CLOSING_HOUR,
    OPENING_HOUR,
    DemoClock,
    Story,
    Timeline,
    business_time,
    day_start,
    demo_clock,
    random_duration,
)
from inventory.models import Category, Location, MovementType, Product, StockLevel, StockMovement, Variant
from inventory.services import stock_adjust, stock_count, stock_level_settings_update, stock_transfer
from orders.models import OrderSource, OrderStatus, PaymentMethod, SalesOrder
from orders.services import (
    OrderLineRequest,
    sales_order_create,
    sales_order_payment_record,
    sales_order_return_receive,
    sales_order_transition,
    stripe_event_handle,
)
from orders.services.checkout import amount_to_minor, checkout_ttl
from orders.services.orders import order_reserve

DEMO_SEED = 20250601
DEMO_NOTE = "Demo data"

# (code, name, is_default)
LOCATIONS = [
    ("main", "Main warehouse", True),
    ("store", "Shop floor", False),
]

# (name, parent name); parents come first.
CATEGORIES = [
    ("Clothing", None),
    ("T-shirts", "Clothing"),
    ("Hoodies", "Clothing"),
    ("Socks", "Clothing"),
    ("Footwear", None),
    ("Accessories", None),
    ("Bags", "Accessories"),
    ("Home & Kitchen", None),
    ("Stationery", None),
]

# (name, SKU code)
COLOURS = [
    ("Black", "BLK"), ("White", "WHT"), ("Navy", "NAV"), ("Grey", "GRY"), ("Blue", "BLU"),
    ("Red", "RED"), ("Green", "GRN"), ("Olive", "OLV"), ("Sand", "SND"), ("Burgundy", "BUR"),
    ("Brown", "BRN"), ("Mustard", "MUS"),
]
CLOTHING_SIZES = ["S", "M", "L", "XL"]


@dataclass(frozen=True)
class Family:
    """A kind of product: how its names, options, prices and stock look."""

    code: str
    category: str
    adjectives: tuple[str, ...]
    nouns: tuple[str, ...]
    description: str
    price_range: tuple[int, int]
    sizes: tuple[str, ...] = ()
    size_optional: bool = False  # some products of the family come in one size only
    colour_counts: tuple[int, ...] = (0,)  # picked at random per product; 0 = no colour option
    opening_range: tuple[int, int] = (20, 60)
    upcharge_sizes: tuple[str, ...] = ()


FAMILIES = [
    Family("TSH", "T-shirts", ("Classic", "Organic", "Heavyweight", "Vintage", "Essential", "Striped", "Slub", "Relaxed"),
           ("Crew Tee", "V-neck Tee", "Long-sleeve Tee", "Pocket Tee"),
           "A {adj} {noun} in soft combed cotton. Regular fit, machine washable at 30°C.",
           (15, 32), sizes=tuple(CLOTHING_SIZES), colour_counts=(2, 3), opening_range=(20, 60), upcharge_sizes=("XL",)),
    Family("HOO", "Hoodies", ("Classic", "Fleece", "Heavyweight", "Washed", "Essential", "Brushed", "Recycled"),
           ("Pullover Hoodie", "Zip Hoodie", "Crewneck Sweatshirt"),
           "A {adj} {noun} with a brushed-back fleece lining and ribbed cuffs.",
           (39, 69), sizes=tuple(CLOTHING_SIZES), colour_counts=(2,), opening_range=(15, 45), upcharge_sizes=("XL",)),
    Family("SOC", "Socks", ("Everyday", "Merino", "Cushioned", "Striped", "Bamboo", "Sport"),
           ("Crew Socks", "Ankle Socks", "Hiking Socks", "Trainer Socks"),
           "{Adj} {noun}, sold as a pair, with a reinforced heel and toe.",
           (6, 16), sizes=("S/M", "L/XL"), colour_counts=(2, 3), opening_range=(30, 90)),
    Family("SHO", "Footwear", ("Classic", "Lightweight", "Suede", "Leather", "Retro", "Waterproof"),
           ("Canvas Sneaker", "Runner", "Chelsea Boot", "Slip-on", "Trail Shoe"),
           "The {adj} {noun}: cushioned insole, rubber outsole, true to size.",
           (49, 129), sizes=("40", "41", "42", "43", "44"), colour_counts=(1, 2), opening_range=(12, 36)),
    Family("CAP", "Accessories", ("Classic", "Wool", "Cotton", "Corduroy", "Ribbed", "Washed"),
           ("Baseball Cap", "Beanie", "Bucket Hat"),
           "A {adj} {noun}, one size fits most.",
           (12, 29), colour_counts=(2, 3), opening_range=(20, 50)),
    Family("BAG", "Bags", ("Canvas", "Leather", "Recycled", "Waxed", "Everyday", "Travel"),
           ("Tote Bag", "Backpack", "Messenger Bag", "Weekender", "Belt Bag"),
           "A {adj} {noun} with an inside zip pocket and sturdy stitched handles.",
           (19, 149), colour_counts=(1, 2, 3), opening_range=(12, 36)),
    Family("KIT", "Home & Kitchen", ("Stoneware", "Enamel", "Glazed", "Speckled", "Bamboo", "Insulated", "Classic"),
           ("Mug", "Travel Mug", "Teapot", "Water Bottle", "Serving Bowl", "Chopping Board"),
           "{Adj} {noun}, dishwasher safe. Packed in a recycled cardboard box.",
           (9, 45), colour_counts=(0, 0, 2), opening_range=(20, 60)),
    Family("CAN", "Home & Kitchen", ("Cedar", "Lavender", "Fig", "Amber", "Sea Salt", "Vanilla"),
           ("Scented Candle", "Soy Candle"),
           "A {adj} {noun} poured by hand; burns for about 40 hours.",
           (14, 34), sizes=("Small", "Large"), size_optional=True, opening_range=(20, 50)),
    Family("NTB", "Stationery", ("Dotted", "Lined", "Plain", "Hardcover", "Pocket", "Linen"),
           ("Notebook", "Sketchbook", "Planner", "Journal"),
           "{Adj} {noun} with 120 gsm paper that takes fountain-pen ink without bleeding.",
           (7, 24), sizes=("A5", "A4"), size_optional=True, opening_range=(15, 60)),
    Family("PEN", "Stationery", ("Classic", "Brass", "Recycled", "Everyday"),
           ("Ballpoint Pen", "Fountain Pen", "Pencil Set", "Marker Set"),
           "A {adj} {noun} that writes smoothly and feels good in the hand.",
           (4, 39), opening_range=(20, 80)),
]


# --- plan (pure Python, no database) ----------------------------------------

@dataclass(frozen=True)
class PlannedVariant:
    sku: str
    attributes: dict
    barcode: str
    price: Decimal | None


@dataclass(frozen=True)
class PlannedProduct:
    family: Family
    name: str
    description: str
    price: Decimal
    cost: Decimal
    variants: tuple[PlannedVariant, ...]


@dataclass
class DemoSeedResult:
    created: bool
    products: int = 0
    variants: int = 0
    levels: int = 0
    movements: int = 0
    low: int = 0
    out: int = 0
    orders: int = 0
    suppliers: int = 0
    purchase_orders: int = 0


def _ean13(number: int) -> str:
    """A 13-digit EAN with a valid check digit, in the in-store range (prefix 2)."""
    body = f"2{number:011d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _catalogue_plan(*, products: int, rng: random.Random) -> list[PlannedProduct]:
    """Plan `products` products. The first k products are the same whatever the count."""
    combos = [(family, adj, noun) for family in FAMILIES for adj in family.adjectives for noun in family.nouns]
    rng.shuffle(combos)
    used_codes: set[tuple[str, str]] = set()
    barcode_number = 1_000_000
    plan = []
    for index in range(products):
        round_, position = divmod(index, len(combos))
        family, adj, noun = combos[position]
        name = f"{adj} {noun}" if round_ == 0 else f"{adj} {noun} No. {round_ + 1}"
        code = "".join(ch for ch in adj.upper() if ch.isalpha())[:3]
        suffix = 1
        while (family.code, code if suffix == 1 else f"{code}{suffix}") in used_codes:
            suffix += 1
        code = code if suffix == 1 else f"{code}{suffix}"
        used_codes.add((family.code, code))

        low, high = family.price_range
        price = _money(rng.randint(low, high) - 0.01)
        cost = _money(float(price) * rng.uniform(0.35, 0.55))
        description = family.description.format(adj=adj.lower(), noun=noun.lower(), Adj=adj)

        sizes = list(family.sizes)
        if family.size_optional and rng.random() < 0.5:
            sizes = []
        colour_count = rng.choice(family.colour_counts)
        colours = rng.sample(COLOURS, colour_count) if colour_count else []

        variants = []
        for colour_name, colour_code in colours or [(None, None)]:
            for size in sizes or [None]:
                attributes = {}
                parts = [family.code, code]
                if size is not None:
                    attributes["size"] = size
                if colour_name is not None:
                    attributes["colour"] = colour_name
                    parts.append(colour_code)
                if size is not None:
                    parts.append(size.replace("/", ""))
                override = price + Decimal("2.00") if size in family.upcharge_sizes else None
                variants.append(PlannedVariant("-".join(parts), attributes, _ean13(barcode_number), override))
                barcode_number += 1
        plan.append(PlannedProduct(family, name, description, price, cost, tuple(variants)))
    return plan


# --- sections -------------------------------------------------------------

def _demo_present(plan: list[PlannedProduct]) -> bool:
    skus = [v.sku for product in plan for v in product.variants]
    for start in range(0, len(skus), 500):
        if Variant.objects.filter(sku__in=skus[start:start + 500]).exists():
            return True
    return False


def _locations_seed() -> dict[str, Location]:
    """The two demo locations; existing ones with the same codes are reused as they are."""
    has_default = Location.objects.filter(is_default=True).exists()
    locations = {}
    for code, name, is_default in LOCATIONS:
        location, _ = Location.objects.get_or_create(
            code=code, defaults={"name": name, "is_default": is_default and not has_default}
        )
        locations[code] = location
    return locations


def _categories_seed() -> dict[str, Category]:
    categories: dict[str, Category] = {}
    for name, parent_name in CATEGORIES:
        parent = categories[parent_name] if parent_name else None
        categories[name], _ = Category.objects.get_or_create(name=name, parent=parent)
    return categories


def _product_create(planned: PlannedProduct, *, categories: dict[str, Category]) -> list[Variant]:
    product = Product.objects.create(
        name=planned.name,
        description=planned.description,
        category=categories[planned.family.category],
        price=planned.price,
        cost=planned.cost,
    )
    return Variant.objects.bulk_create([
        Variant(product=product, sku=v.sku, attributes=v.attributes, barcode=v.barcode, price=v.price)
        for v in planned.variants
    ])


SALE_REASONS = ["Online order", "Shop sale", "Wholesale order", "Online order"]
DAMAGE_REASONS = ["Damaged in transit", "Water damage in storage", "Faulty stitching", "Broken packaging"]
ADJUST_REASONS = ["Found during restock", "Correction after mispick", "Unrecorded sample returned", "Mislabelled unit"]


def _level_state(variant: Variant, location: Location) -> tuple[int, int]:
    """(on_hand, free) of the variant at the location, as the ledger has it now: orders and
    purchase orders move stock between a variant's own events, so each event looks first."""
    level = StockLevel.objects.filter(variant=variant, location=location).values_list("on_hand", "reserved").first()
    on_hand, reserved = level or (0, 0)
    return on_hand, on_hand - reserved


def _variant_story(variant: Variant, *, locations: dict[str, Location], rng: random.Random, times: list,
                   fate: str, fate_at) -> Story:
    """A few sales and other events at `times`, then the variant's fate at `fate_at` (low:
    sold down to a few units; out: sold out). Quantities are chosen from what the ledger
    holds at the moment, so no service call is ever refused."""
    main, store = locations["main"], locations["store"]
    can_transfer = main.active and store.active

    def adjust(location: Location, quantity: int, type: str, reason: str, reference: str = "") -> None:
        stock_adjust(variant=variant, location=location, quantity=quantity, type=type, reason=reason,
                     notes=DEMO_NOTE, reference=reference)

    for at in times:
        yield at
        on_hand, free = _level_state(variant, main)
        event = rng.choices(["sale", "store_sale", "damage", "return", "adjust", "transfer", "count"],
                            weights=[8, 3, 1, 2, 1, 2, 1])[0]
        if event == "sale" and free > 0:
            adjust(main, -rng.randint(1, min(4, free)), MovementType.SALE, rng.choice(SALE_REASONS),
                   reference=f"ORD-{rng.randint(10000, 99999)}")
        elif event == "store_sale" and can_transfer and (store_free := _level_state(variant, store)[1]) > 0:
            adjust(store, -rng.randint(1, min(2, store_free)), MovementType.SALE, "Shop sale")
        elif event == "damage" and free > 0:
            adjust(main, -1, MovementType.DAMAGE, rng.choice(DAMAGE_REASONS))
        elif event == "return":
            adjust(main, 1, MovementType.RETURN, "Customer return", reference=f"RMA-{rng.randint(1000, 9999)}")
        elif event == "adjust":
            delta = rng.choice([-2, -1, 1, 2])
            if free + delta >= 0:
                adjust(main, delta, MovementType.ADJUSTMENT, rng.choice(ADJUST_REASONS))
        elif event == "transfer" and can_transfer and free > 2:
            stock_transfer(variant=variant, from_location=main, to_location=store,
                           quantity=rng.randint(2, min(8, free // 2)), reason="Replenish shop floor", notes=DEMO_NOTE)
        elif event == "count":
            counted = max(on_hand - free, on_hand + rng.choice([-1, 0, 0, 1]))
            stock_count(variant=variant, location=main, counted=counted, reason="Cycle count", notes=DEMO_NOTE)

    if fate == "fine":
        return
    yield fate_at
    _, free = _level_state(variant, main)
    if fate == "out" and free > 0:
        adjust(main, -free, MovementType.SALE, "Wholesale order", reference=f"ORD-{rng.randint(10000, 99999)}")
    elif fate == "low" and free > 5:
        adjust(main, -(free - rng.randint(1, 5)), MovementType.SALE, "Online order",
               reference=f"ORD-{rng.randint(10000, 99999)}")


def _variant_fate(index: int, rng: random.Random) -> str:
    """Spread the end states: about one variant in nine sold out, one in six running low."""
    if index % 9 == 4 or rng.random() < 0.02:
        return "out"
    if index % 6 == 1 or rng.random() < 0.04:
        return "low"
    return "fine"


def _thresholds_seed(*, variant_ids: list[int], locations: dict[str, Location], rng: random.Random) -> None:
    """Per-level thresholds and reorder quantities, set like a user sets them (audited, not stock)."""
    levels = StockLevel.objects.filter(variant_id__in=variant_ids).select_related("variant", "location").order_by("pk")
    for level in levels.filter(location=locations["store"]):
        stock_level_settings_update(level=level, low_stock_threshold=3, reorder_quantity=level.reorder_quantity)
    main = list(levels.filter(location=locations["main"]))
    for level in rng.sample(main, len(main) // 8):
        stock_level_settings_update(level=level, low_stock_threshold=rng.choice([5, 15, 20]),
                                    reorder_quantity=rng.choice([12, 24, 48]))


# --- sales orders -----------------------------------------------------------

CUSTOMERS = [
    "Ava Thompson", "Noah Fischer", "Mia Rossi", "Liam O'Brien", "Sofia Novak", "Lucas Martin", "Emma Lindqvist",
    "Mateo Garcia", "Chloe Dubois", "Jonas Weber", "Isla MacLeod", "Leo Moreau", "Hana Sato", "Oscar Nilsson",
    "Zoe Papadopoulos", "Finn Jensen", "Nora Kowalski", "Arthur Bennett", "Lea Horvat", "Ethan Clarke",
]

# The stories told by the demo orders, each ending in the status it is named after; a few
# of every status. A needs-attention story also sells the lapsed checkout's stock to
# someone else (one more delivered order).
ORDER_STORIES = (
    ["pending"] * 2 + ["pending_checkout"] * 2
    + ["confirmed"] * 3 + ["confirmed_paid"]
    + ["shipped"] * 4
    + ["delivered"] * 4 + ["delivered_returned"]
    + ["cancelled"] * 2 + ["cancelled_confirmed"] * 2
    + ["refunded", "refunded_paid", "refunded_returned"]
    + ["needs_attention"] * 2
)


def _stripe_event(kind: str, type: str, obj: dict, *, order) -> dict:
    """A Stripe event as the webhook receives it (after its signature is checked)."""
    return {"id": f"evt_demo_{order.number}_{kind}", "object": "event", "type": type, "livemode": False,
            "created": int(timezone.now().timestamp()), "data": {"object": obj}}


def _checkout_paid(order, reservation) -> None:
    """Apply Stripe's `checkout.session.completed` (paid) for a checkout order."""
    session = {
        "object": "checkout.session",
        "id": f"cs_demo_{order.number}",
        "payment_status": "paid",
        "status": "complete",
        "amount_total": amount_to_minor(order.total, order.currency),
        "currency": order.currency.lower(),
        "payment_intent": f"pi_demo_{order.number}",
        "client_reference_id": order.number,
        "metadata": {"order_number": order.number, "reservation_id": str(reservation.pk)},
    }
    stripe_event_handle(event=_stripe_event("paid", "checkout.session.completed", session, order=order))


def _charge_refunded(order) -> None:
    """Apply Stripe's `charge.refunded` (in full) for a paid order."""
    amount = amount_to_minor(order.total, order.currency)
    charge = {"object": "charge", "id": f"ch_demo_{order.number}", "amount": amount, "amount_refunded": amount,
              "refunded": True, "currency": order.currency.lower(), "payment_intent": f"pi_demo_{order.number}",
              "metadata": {"order_number": order.number}}
    stripe_event_handle(event=_stripe_event("refunded", "charge.refunded", charge, order=order))


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return random_duration(rng, low, high)


def _days(rng: random.Random, low: float, high: float) -> timedelta:
    return random_duration(rng, low * 24, high * 24)


# When each story starts, before the end of the history (the orders still open are recent:
# a checkout waiting for payment holds its stock for half an hour).
ORDER_STARTS = {
    "pending": (timedelta(hours=2), timedelta(hours=30)),
    "pending_checkout": (timedelta(minutes=4), timedelta(minutes=20)),
    "confirmed": (timedelta(days=1), timedelta(days=4)),
    "confirmed_paid": (timedelta(hours=8), timedelta(days=3)),
    "shipped": (timedelta(days=3), timedelta(days=7)),
    "needs_attention": (timedelta(days=1), timedelta(days=6)),
}
CLOSED_STORY_START = (timedelta(days=14), timedelta(days=75))


class _OrderStories:
    """The demo's sales orders, each a story on the timeline ending in the status it is named
    after. Lines are picked, when an order is placed, from what is free at the main location
    then, so no reservation is refused; orders a checkout pays through Stripe carry no email,
    so seeding queues no confirmation email."""

    def __init__(self, *, variant_ids: list[int], main: Location, rng: random.Random):
        self.variant_ids = variant_ids
        self.main = main
        self.rng = rng

    def _free(self, *, low: int, high: int | None = None) -> dict[int, int]:
        levels = StockLevel.objects.filter(variant_id__in=self.variant_ids, location=self.main)
        free = {vid: on_hand - reserved for vid, on_hand, reserved in
                levels.values_list("variant_id", "on_hand", "reserved")}
        return {vid: units for vid, units in sorted(free.items()) if units >= low and (high is None or units <= high)}

    def _create(self, picked: list[tuple[int, int]], *, source: str = OrderSource.MANUAL, email: bool = True):
        rng = self.rng
        name = rng.choice(CUSTOMERS)
        address = name.lower().replace("'", "").replace(" ", ".") + "@example.com" if email else ""
        variants = Variant.objects.in_bulk([vid for vid, _ in picked])
        return sales_order_create(
            lines=[OrderLineRequest(variant=variants[vid], quantity=quantity, location=self.main)
                   for vid, quantity in picked],
            customer_name=name, customer_email=address, notes=DEMO_NOTE, source=source,
        )

    def _pick(self) -> list[tuple[int, int]]:
        """One to three SKUs well in stock, one or two units each."""
        rng = self.rng
        stocked = list(self._free(low=6))
        chosen = rng.sample(stocked, min(len(stocked), rng.choice([1, 1, 2, 2, 3])))
        return [(vid, rng.randint(1, 2)) for vid in chosen]

    def _pay(self, order) -> None:
        """The customer pays a manual order by card over the phone."""
        sales_order_payment_record(order=order, method=PaymentMethod.CARD, amount=order.total,
                                   reference=f"Card ending {self.rng.randint(1000, 9999)}")

    def story(self, kind: str) -> Story:
        S, rng = OrderStatus, self.rng

        def move(order, to: str):
            return sales_order_transition(order=order, to=to)

        if kind == "needs_attention":
            # The last units of a SKU held by a checkout whose hold lapses; another order
            # sells them (its reservation expires the lapsed hold first); then the payment
            # for the checkout arrives and the order needs staff.
            scarce = self._free(low=1, high=6)
            if not scarce:
                return
            variant_id = rng.choice(list(scarce))
            order = self._create([(variant_id, scarce[variant_id])], source=OrderSource.CHECKOUT)
            reservation = order_reserve(order, ttl=checkout_ttl(), expires=True)
            yield checkout_ttl() + _hours(rng, 0.25, 1)
            _, free = _level_state(Variant(pk=variant_id), self.main)
            held = sum(line.quantity for line in reservation.lines.all())
            other = move(self._create([(variant_id, free + held)]), S.CONFIRMED)
            yield _hours(rng, 0.1, 0.5)
            _checkout_paid(order, reservation)
            yield _days(rng, 0.5, 1)
            other = move(other, S.SHIPPED)
            yield _days(rng, 1, 3)
            move(other, S.DELIVERED)
            return

        picked = self._pick()
        if not picked:
            return
        if kind == "pending":
            self._create(picked)
        elif kind == "pending_checkout":
            order_reserve(self._create(picked, source=OrderSource.CHECKOUT), ttl=checkout_ttl(), expires=True)
        elif kind in ("confirmed_paid", "refunded_paid"):
            order = self._create(picked, source=OrderSource.CHECKOUT, email=False)
            reservation = order_reserve(order, ttl=checkout_ttl(), expires=True)
            yield _hours(rng, 0.03, 0.3)
            _checkout_paid(order, reservation)
            if kind == "refunded_paid":
                yield _days(rng, 2, 6)
                _charge_refunded(order)
        else:
            order = self._create(picked)
            if kind == "cancelled":
                yield _days(rng, 0.5, 2)
                move(order, S.CANCELLED)
                return
            yield _hours(rng, 0.5, 4)
            order = move(order, S.CONFIRMED)
            if kind == "confirmed":
                return
            if kind == "cancelled_confirmed":
                yield _days(rng, 0.5, 3)
                move(order, S.CANCELLED)
                return
            if kind == "refunded":
                yield _hours(rng, 1, 6)
                self._pay(order)
                yield _days(rng, 0.5, 2)
                move(order, S.REFUNDED)
                return
            if kind == "refunded_returned":
                self._pay(order)
            yield _days(rng, 0.5, 1.5)
            order = move(order, S.SHIPPED)
            if kind == "shipped":
                return
            if kind == "refunded_returned":
                yield _days(rng, 2, 5)
                order = move(order, S.REFUNDED)
                yield _days(rng, 3, 7)
                everything = {line.pk: line.quantity for line in order.lines.all()}
                sales_order_return_receive(order=order, quantities=everything, note="Parcel returned")
                return
            yield _days(rng, 1, 4)
            order = move(order, S.DELIVERED)
            if kind == "delivered_returned":
                yield _days(rng, 3, 10)
                line = order.lines.first()
                sales_order_return_receive(order=order, quantities={line.pk: 1}, note="Wrong size")


def _orders_seed(*, variant_ids: list[int], locations: dict[str, Location], rng: random.Random,
                 timeline: Timeline) -> int:
    """Put a few sales orders in every status on the timeline, from the main location, with
    their reservations, movements, payments and Stripe events; returns how many stories were
    scheduled (none when the demo orders are there already)."""
    if SalesOrder.objects.filter(notes=DEMO_NOTE).exists():
        return 0
    main = locations["main"]
    if not main.active:
        return 0
    stories = _OrderStories(variant_ids=variant_ids, main=main, rng=rng)
    kinds = list(ORDER_STORIES)
    rng.shuffle(kinds)
    for kind in kinds:
        low, high = ORDER_STARTS.get(kind, CLOSED_STORY_START)
        ago = low + (high - low) * rng.random()
        timeline.add(timeline.end - ago, stories.story(kind))
    return len(kinds)


def _summary(result: DemoSeedResult, *, variant_ids: list[int]) -> None:
    levels = StockLevel.objects.filter(variant_id__in=variant_ids)
    available = F("on_hand") - F("reserved")
    result.levels = levels.count()
    result.out = levels.filter(on_hand__lte=F("reserved")).count()
    result.low = levels.filter(Q(on_hand__gt=F("reserved")) & Q(low_stock_threshold__gte=available)).count()
    result.movements = StockMovement.objects.filter(variant_id__in=variant_ids).count()


# --- entry point ----------------------------------------------------------

HISTORY_DAYS = 90


def _history_start(end: datetime) -> datetime:
    """08:00 on the first day of the history: 89 days before the day of `end`."""
    return day_start(timezone.localdate(end) - timedelta(days=HISTORY_DAYS - 1)) + timedelta(hours=OPENING_HOUR)


def _catalogue_seed(plan: list[PlannedProduct], *, categories: dict[str, Category], locations: dict[str, Location],
                    rng: random.Random, clock: DemoClock, timeline: Timeline) -> list[int]:
    """The catalogue, entered on the first morning with each variant's opening stock; each
    variant's later history goes on the timeline."""
    start, end = clock.now, timeline.end
    gap = min(timedelta(minutes=3), timedelta(hours=CLOSING_HOUR - OPENING_HOUR - 1) / max(len(plan), 1))
    first_event, last_event = start + timedelta(days=1), end - timedelta(days=2)
    variant_ids: list[int] = []
    for number, planned in enumerate(plan):
        clock.move_to(start + gap * number)
        with transaction.atomic():
            for variant in _product_create(planned, categories=categories):
                index = len(variant_ids)
                variant_ids.append(variant.pk)
                stock_adjust(variant=variant, location=locations["main"], quantity=rng.randint(*planned.family.opening_range),
                             type=MovementType.RESTOCK, reason="Opening stock", notes=DEMO_NOTE,
                             reference=f"GRN-{rng.randint(1000, 9999)}")
                fate = _variant_fate(index, rng)
                times = sorted(business_time(rng, first_event, last_event) for _ in range(rng.randint(2, 5)))
                fate_at = business_time(rng, end - timedelta(days=21), end - timedelta(days=1))
                timeline.add(times[0], _variant_story(variant, locations=locations, rng=rng, times=times, fate=fate,
                                                      fate_at=fate_at))
    return variant_ids


def demo_seed(*, products: int = 200, seed: int = DEMO_SEED) -> DemoSeedResult:
    """Load the demo shop with 90 days of history. Does nothing (created=False) when its
    products are already there.

    Everything is written through the services while the demo clock (demo.timeline) tells
    them the time: the catalogue on the first morning, then every variant's sales, counts
    and transfers, the sales orders and the purchase orders, interleaved in time order up to
    now. Nothing is stamped in the future and nothing is back-dated by hand.
    """
    plan = _catalogue_plan(products=products, rng=random.Random(seed))
    if _demo_present(plan):
        return DemoSeedResult(created=False)

    end = timezone.now()
    with demo_clock(_history_start(end)) as clock:
        timeline = Timeline(clock, end=end)
        locations = _locations_seed()
        categories = _categories_seed()
        rng = random.Random(seed + 1)
        variant_ids = _catalogue_seed(plan, categories=categories, locations=locations, rng=rng, clock=clock,
                                      timeline=timeline)
        # Thresholds are tuned once the shop floor has its levels (the variants' own
        # histories end the day before).
        timeline.once(end - timedelta(hours=3),
                      lambda: _thresholds_seed(variant_ids=variant_ids, locations=locations, rng=rng))
        _orders_seed(variant_ids=variant_ids, locations=locations, rng=random.Random(seed + 2), timeline=timeline)
        clock.move_to(clock.now + timedelta(hours=1))  # suppliers are entered after the catalogue
        purchasing = purchasing_demo_seed(variant_ids=variant_ids, locations=locations, rng=random.Random(seed + 3),
                                          timeline=timeline)
        timeline.run()

    orders = SalesOrder.objects.filter(notes=DEMO_NOTE, lines__variant_id__in=variant_ids).distinct().count()
    result = DemoSeedResult(created=True, products=len(plan), variants=len(variant_ids), orders=orders,
                            suppliers=purchasing.suppliers, purchase_orders=purchasing.orders)
    _summary(result, variant_ids=variant_ids)
    return result

"""Demo data for a first run: a small shop's catalogue with a plausible stock history.

The catalogue is planned in memory from a fixed random seed, so the same call always
plans the same products, SKUs and barcodes. Every stock change is written through the
ledger services (stock_adjust, stock_count, stock_transfer); only thresholds and reorder
quantities, which are not stock changes, are set with a plain update.

Each section is its own function (locations, categories, catalogue, stock history,
thresholds) so later issues can add theirs (suppliers, orders, ...) to `demo_seed`.
"""
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q

from inventory.models import Category, Location, MovementType, Product, StockLevel, StockMovement, Variant
from inventory.services.stock import stock_adjust, stock_count, stock_transfer

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


@dataclass
class _History:
    """What the stock history of one variant has done so far (mirrors the ledger)."""

    main: int = 0
    store: int = 0
    movements: int = 0


SALE_REASONS = ["Online order", "Shop sale", "Wholesale order", "Online order"]
DAMAGE_REASONS = ["Damaged in transit", "Water damage in storage", "Faulty stitching", "Broken packaging"]
ADJUST_REASONS = ["Found during restock", "Correction after mispick", "Unrecorded sample returned", "Mislabelled unit"]


def _variant_history_seed(variant: Variant, *, family: Family, locations: dict[str, Location], rng: random.Random,
                          fate: str) -> int:
    """An opening restock, a few sales and other events, then the variant's fate (low, out or fine).

    Returns the number of movements written. Quantities are chosen from the mirrored state,
    so no service call is ever refused.
    """
    main, store = locations["main"], locations["store"]
    can_transfer = main.active and store.active
    state = _History()

    def adjust(location: Location, quantity: int, type: str, reason: str, reference: str = "") -> None:
        stock_adjust(variant=variant, location=location, quantity=quantity, type=type, reason=reason,
                     notes=DEMO_NOTE, reference=reference)
        if location == main:
            state.main += quantity
        else:
            state.store += quantity
        state.movements += 1

    opening = rng.randint(*family.opening_range)
    adjust(main, opening, MovementType.RESTOCK, "Opening stock", reference=f"GRN-{rng.randint(1000, 9999)}")

    for _ in range(rng.randint(2, 5)):
        event = rng.choices(["sale", "store_sale", "damage", "return", "adjust", "transfer", "count"],
                            weights=[8, 3, 1, 2, 1, 2, 1])[0]
        if event == "sale" and state.main > 0:
            adjust(main, -rng.randint(1, min(4, state.main)), MovementType.SALE, rng.choice(SALE_REASONS),
                   reference=f"ORD-{rng.randint(10000, 99999)}")
        elif event == "store_sale" and state.store > 0:
            adjust(store, -rng.randint(1, min(2, state.store)), MovementType.SALE, "Shop sale")
        elif event == "damage" and state.main > 0:
            adjust(main, -1, MovementType.DAMAGE, rng.choice(DAMAGE_REASONS))
        elif event == "return":
            adjust(main, 1, MovementType.RETURN, "Customer return", reference=f"RMA-{rng.randint(1000, 9999)}")
        elif event == "adjust":
            delta = rng.choice([-2, -1, 1, 2])
            if state.main + delta >= 0:
                adjust(main, delta, MovementType.ADJUSTMENT, rng.choice(ADJUST_REASONS))
        elif event == "transfer" and can_transfer and state.main > 2:
            quantity = rng.randint(2, min(8, state.main // 2))
            stock_transfer(variant=variant, from_location=main, to_location=store, quantity=quantity,
                           reason="Replenish shop floor", notes=DEMO_NOTE)
            state.main -= quantity
            state.store += quantity
            state.movements += 2
        elif event == "count":
            counted = max(0, state.main + rng.choice([-1, 0, 0, 1]))
            stock_count(variant=variant, location=main, counted=counted, reason="Cycle count", notes=DEMO_NOTE)
            state.main = counted
            state.movements += 1

    if fate == "out" and state.main > 0:
        adjust(main, -state.main, MovementType.SALE, "Wholesale order", reference=f"ORD-{rng.randint(10000, 99999)}")
    elif fate == "low" and state.main > 5:
        adjust(main, -(state.main - rng.randint(1, 5)), MovementType.SALE, "Online order",
               reference=f"ORD-{rng.randint(10000, 99999)}")
    return state.movements


def _variant_fate(index: int, rng: random.Random) -> str:
    """Spread the end states: about one variant in nine sold out, one in six running low."""
    if index % 9 == 4 or rng.random() < 0.02:
        return "out"
    if index % 6 == 1 or rng.random() < 0.04:
        return "low"
    return "fine"


def _thresholds_seed(*, variant_ids: list[int], locations: dict[str, Location], rng: random.Random) -> None:
    """Per-level thresholds and reorder quantities (not stock changes: a plain update)."""
    levels = StockLevel.objects.filter(variant_id__in=variant_ids)
    levels.filter(location=locations["store"]).update(low_stock_threshold=3)
    main_ids = sorted(levels.filter(location=locations["main"]).values_list("pk", flat=True))
    for level_id in rng.sample(main_ids, len(main_ids) // 8):
        StockLevel.objects.filter(pk=level_id).update(
            low_stock_threshold=rng.choice([5, 15, 20]), reorder_quantity=rng.choice([12, 24, 48])
        )


def _summary(result: DemoSeedResult, *, variant_ids: list[int]) -> None:
    levels = StockLevel.objects.filter(variant_id__in=variant_ids)
    available = F("on_hand") - F("reserved")
    result.levels = levels.count()
    result.out = levels.filter(on_hand__lte=F("reserved")).count()
    result.low = levels.filter(Q(on_hand__gt=F("reserved")) & Q(low_stock_threshold__gte=available)).count()
    result.movements = StockMovement.objects.filter(variant_id__in=variant_ids).count()


# --- entry point ----------------------------------------------------------

def demo_seed(*, products: int = 200, seed: int = DEMO_SEED) -> DemoSeedResult:
    """Load the demo shop. Does nothing (created=False) when its products are already there."""
    plan = _catalogue_plan(products=products, rng=random.Random(seed))
    if _demo_present(plan):
        return DemoSeedResult(created=False)

    locations = _locations_seed()
    categories = _categories_seed()
    rng = random.Random(seed + 1)
    variant_ids: list[int] = []
    index = 0
    # One transaction per product: fast on SQLite (one commit instead of one per movement),
    # and the services' own atomic blocks nest inside it as savepoints.
    for planned in plan:
        with transaction.atomic():
            for variant in _product_create(planned, categories=categories):
                _variant_history_seed(variant, family=planned.family, locations=locations, rng=rng,
                                      fate=_variant_fate(index, rng))
                variant_ids.append(variant.pk)
                index += 1
    _thresholds_seed(variant_ids=variant_ids, locations=locations, rng=rng)

    result = DemoSeedResult(created=True, products=len(plan), variants=len(variant_ids))
    _summary(result, variant_ids=variant_ids)
    return result

"""inventory_list: latency of the inventory list page with 100,000 variants.

The catalogue (products, variants, empty levels at the default location) is bulk-created
once and reused; one level in ten then gets stock through the services (half of those low,
half in stock) and the other nine stay empty, so the status filters have rows to find.
Planner statistics are refreshed (ANALYZE) before measuring.

The page is requested through django.test.Client as a Manager when the view
`inventory:stock_list` answers 200; otherwise the benchmark measures what the view will
run: `stock_list_rows(...)` paginated by 25 with page 1 fetched ("mode": "selector").
A case whose p95 misses the target gets the EXPLAIN ANALYZE of its slow queries on stderr.
"""
import random
import secrets
import time
from collections.abc import Callable

from django.core.paginator import Paginator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from bench.common import bench_category, bench_location, catalogue_ensure, in_threads, log, percentile
from inventory.models import Category, StockLevel, Variant
from inventory.selectors import stock_list_rows
from inventory.services import stock_adjust

LIST_VARIANTS = 100_000
VARIANTS_PER_PRODUCT = 5
REQUESTS = 50
WARMUP = 3
TARGET_P95_MS = 100.0
STOCKED_EVERY = 10  # one level in ten gets stock

ADJECTIVES = ["Classic", "Compact", "Deluxe", "Rustic", "Modern", "Vintage", "Sturdy", "Slim", "Heavy-duty", "Foldable",
              "Portable", "Premium", "Everyday", "Outdoor", "Nordic", "Urban", "Studio", "Travel", "Mini", "Grand"]
MATERIALS = ["Oak", "Walnut", "Steel", "Linen", "Cotton", "Leather", "Bamboo", "Ceramic", "Glass", "Wool"]
NOUNS = ["Desk", "Chair", "Lamp", "Shelf", "Stool", "Basket", "Mirror", "Bench", "Rug", "Cushion", "Vase", "Clock",
         "Tray", "Bowl", "Crate", "Hook", "Frame", "Planter", "Trolley", "Cabinet", "Throw", "Blanket", "Bin",
         "Organizer", "Rack"]
CATEGORY_TREE = {
    "Furniture": ["Desks", "Seating", "Storage"],
    "Decor": ["Lighting", "Textiles", "Accents"],
}


def _product_name(i: int) -> str:
    return f"{ADJECTIVES[i % 20]} {MATERIALS[(i // 20) % 10]} {NOUNS[(i // 200) % 25]} {i:05d}"


def _categories() -> list[Category]:
    leaves = []
    for root_name, children in CATEGORY_TREE.items():
        root = bench_category(f"Bench {root_name}")
        leaves.extend(bench_category(f"Bench {child}", parent=root) for child in children)
    return leaves


def _catalogue_ensure() -> list[int]:
    location = bench_location()
    leaves = _categories()
    level_ids = catalogue_ensure(
        prefix="LIST",
        count=LIST_VARIANTS,
        variants_per_product=VARIANTS_PER_PRODUCT,
        product_name=_product_name,
        category=lambda i: leaves[i % len(leaves)],
        location=location,
    )
    _stock_ensure(level_ids[::STOCKED_EVERY])
    return level_ids


def _stock_ensure(level_ids: list[int]) -> None:
    """Opening stock, through the services, for levels that have never had any."""
    empty = list(
        StockLevel.objects.filter(pk__in=level_ids, movements__isnull=True).select_related("variant", "location")
        .order_by("pk")
    )
    if not empty:
        return
    log(f"giving {len(empty)} list levels opening stock through the services")
    rng = random.Random(7)
    # Half of them low (1-10 units, the default threshold is 10), half comfortably in stock.
    work = [(level, rng.randint(1, 10) if rng.random() < 0.5 else rng.randint(11, 120)) for level in empty]
    in_threads(work, lambda item: stock_adjust(variant=item[0].variant, location=item[0].location, quantity=item[1],
                                               type="RESTOCK", reason="Bench opening stock"))


def _manager_client() -> Client:
    from django.contrib.auth import get_user_model

    from accounts.roles import MANAGER
    from accounts.services import user_create

    user = get_user_model().objects.filter(username="bench-manager").first()
    if user is None:
        user = user_create(username="bench-manager", password=secrets.token_urlsafe(24), role=MANAGER)
    client = Client()
    client.force_login(user)
    return client


def _view_url(client: Client) -> str | None:
    """The list view's URL when it exists and answers 200, else None."""
    try:
        url = reverse("inventory:stock_list")
    except NoReverseMatch:
        return None
    response = client.get(url)
    if response.status_code != 200:
        log(f"{url} answered {response.status_code}: measuring the selector instead")
        return None
    return url


def _selector_page(params: dict) -> list[StockLevel]:
    rows = stock_list_rows(
        search=params.get("q", ""),
        category_id=int(params["category"]) if params.get("category") else None,
        location_code=params.get("location", ""),
        status=params.get("status", ""),
        sort=params.get("sort", "sku"),
    )
    return list(Paginator(rows, 25).get_page(params.get("page", 1)).object_list)


def _cases(root_category: Category) -> list[tuple[str, dict, bool]]:
    """(case, query parameters, as an htmx request: the rows fragment that search-as-you-type swaps)."""
    return [
        ("first_page", {}, False),
        ("search", {"q": "walnut desk"}, False),
        ("search_htmx", {"q": "walnut desk"}, True),
        ("search_broad", {"q": "linen"}, False),
        ("search_sku", {"q": "LIST-04213"}, False),
        ("search_filtered", {"q": "linen", "category": str(root_category.pk), "status": "low"}, False),
        ("status_low", {"status": "low"}, False),
    ]


def _explain_slow(request: Callable[[], object], case: str) -> None:
    with CaptureQueriesContext(connection) as ctx:
        request()
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            if float(query["time"]) * 1000 < 10 or not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            log(f"{case}: {float(query['time']) * 1000:.1f} ms\n{query['sql']}\n{plan}")


def _analyze() -> None:
    """Fresh planner statistics after a bulk load (autovacuum would get there later)."""
    with connection.cursor() as cursor:
        for table in ("inventory_category", "inventory_product", "inventory_variant", "inventory_location",
                      "inventory_stocklevel"):
            cursor.execute(f"ANALYZE {table}")


def inventory_list() -> list[dict]:
    _catalogue_ensure()
    _analyze()
    variants = Variant.objects.count()
    client = _manager_client()
    url = _view_url(client)
    mode = "view" if url else "selector"
    log(f"inventory_list: measuring the {mode} over {variants} variants")
    root = Category.objects.get(name="Bench Decor", parent=None)

    records = []
    for case, params, htmx in _cases(root):
        if htmx and not url:
            continue  # the selector has no fragment to render
        headers = {"HX-Request": "true"} if htmx else {}
        if url:
            def request(params=params, headers=headers):
                response = client.get(url, params, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} {params} answered {response.status_code}")
                return response
        else:
            def request(params=params):
                return _selector_page(params)

        for _ in range(WARMUP):
            request()
        with CaptureQueriesContext(connection) as ctx:
            request()
        queries = len(ctx.captured_queries)  # read now: the next request resets the query log
        timings = []
        for _ in range(REQUESTS):
            began = time.perf_counter()
            request()
            timings.append((time.perf_counter() - began) * 1000)
        p95 = percentile(timings, 0.95)
        record = {
            "bench": "inventory_list",
            "case": case,
            "mode": mode,
            "params": params,
            "variants": variants,
            "p50_ms": round(percentile(timings, 0.50), 1),
            "p95_ms": round(p95, 1),
            "requests": REQUESTS,
            "queries": queries,
        }
        log(f"inventory_list {case}: p50 {record['p50_ms']} ms, p95 {record['p95_ms']} ms, {record['queries']} queries")
        if p95 > TARGET_P95_MS:
            _explain_slow(request, case)
        records.append(record)
    return records

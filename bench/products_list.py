"""products_list: latency of the product list page (/products/) on the bench catalogue.

The same catalogue as inventory_list (100,000 variants, 5 per product: 20,000 products in
a small category tree), created once and reused. Each case is requested through
django.test.Client as a Manager (the page with prices), the search-as-you-type case as an
htmx request for the rows fragment. One JSON line per case, like the other benchmarks; a
case whose p95 misses the target gets the EXPLAIN ANALYZE of its slow queries on stderr.
"""
import secrets
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.common import bench_category, bench_location, catalogue_ensure, log, percentile
from inventory.models import Category, Product

LIST_VARIANTS = 100_000
VARIANTS_PER_PRODUCT = 5
REQUESTS = 50
WARMUP = 3
TARGET_P95_MS = 100.0

# The names and categories of bench/inventory_list.py: both benchmarks share one catalogue.
ADJECTIVES = ["Classic", "Compact", "Deluxe", "Rustic", "Modern", "Vintage", "Sturdy", "Slim", "Heavy-duty", "Foldable",
              "Portable", "Premium", "Everyday", "Outdoor", "Nordic", "Urban", "Studio", "Travel", "Mini", "Grand"]
MATERIALS = ["Oak", "Walnut", "Steel", "Linen", "Cotton", "Leather", "Bamboo", "Ceramic", "Glass", "Wool"]
NOUNS = ["Desk", "Chair", "Lamp", "Shelf", "Stool", "Basket", "Mirror", "Bench", "Rug", "Cushion", "Vase", "Clock",
         "Tray", "Bowl", "Crate", "Hook", "Frame", "Planter", "Trolley", "Cabinet", "Throw", "Blanket", "Bin",
         "Organizer", "Rack"]
CATEGORY_TREE = {"Furniture": ["Desks", "Seating", "Storage"], "Decor": ["Lighting", "Textiles", "Accents"]}


def _product_name(i: int) -> str:
    return f"{ADJECTIVES[i % 20]} {MATERIALS[(i // 20) % 10]} {NOUNS[(i // 200) % 25]} {i:05d}"


def _catalogue_ensure() -> None:
    leaves = []
    for root_name, children in CATEGORY_TREE.items():
        root = bench_category(f"Bench {root_name}")
        leaves.extend(bench_category(f"Bench {child}", parent=root) for child in children)
    catalogue_ensure(prefix="LIST", count=LIST_VARIANTS, variants_per_product=VARIANTS_PER_PRODUCT,
                     product_name=_product_name, category=lambda i: leaves[i % len(leaves)], location=bench_location())


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


def _cases(root: Category) -> list[tuple[str, dict, bool]]:
    return [
        ("first_page", {}, False),
        ("search", {"q": "walnut desk"}, False),
        ("search_htmx", {"q": "walnut desk"}, True),
        ("search_broad", {"q": "linen"}, False),
        ("search_sku", {"q": "LIST-04213"}, False),
        ("category_active", {"category": str(root.pk), "active": "true"}, False),
        ("sort_price_100", {"sort": "-price", "page_size": "100"}, False),
    ]


def _explain_slow(request, case: str) -> None:
    with CaptureQueriesContext(connection) as ctx:
        request()
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            if float(query["time"]) * 1000 < 10 or not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            log(f"{case}: {float(query['time']) * 1000:.1f} ms\n{query['sql']}\n{plan}")


def products_list() -> list[dict]:
    _catalogue_ensure()
    with connection.cursor() as cursor:
        for table in ("inventory_category", "inventory_product", "inventory_variant"):
            cursor.execute(f"ANALYZE {table}")
    products = Product.objects.count()
    client = _manager_client()
    url = reverse("products:product_list")
    root = Category.objects.get(name="Bench Decor", parent=None)
    log(f"products_list: measuring {url} over {products} products")
    records = []
    for case, params, htmx in _cases(root):
        headers = {"HX-Request": "true"} if htmx else {}

        def request(params=params, headers=headers):
            response = client.get(url, params, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{url} {params} answered {response.status_code}")
            return response

        for _ in range(WARMUP):
            request()
        with CaptureQueriesContext(connection) as ctx:
            request()
        queries = len(ctx.captured_queries)
        timings = []
        for _ in range(REQUESTS):
            began = time.perf_counter()
            request()
            timings.append((time.perf_counter() - began) * 1000)
        p95 = percentile(timings, 0.95)
        record = {"bench": "products_list", "case": case, "mode": "view", "params": params, "products": products,
                  "p50_ms": round(percentile(timings, 0.50), 1), "p95_ms": round(p95, 1), "requests": REQUESTS,
                  "queries": queries}
        log(f"products_list {case}: p50 {record['p50_ms']} ms, p95 {record['p95_ms']} ms, {queries} queries")
        if p95 > TARGET_P95_MS:
            _explain_slow(request, case)
        records.append(record)
    return records

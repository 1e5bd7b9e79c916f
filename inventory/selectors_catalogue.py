"""Reads for the catalogue pages and API: products with their variants, the category tree,
locations."""
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower

from core.exceptions import NotFound
from inventory.models import Category, Location, Product, Variant
from inventory.selectors import category_descendant_ids

PRODUCT_SORTS = {
    "name": (Lower("name").asc(), "pk"),
    "-name": (Lower("name").desc(), "-pk"),
    "price": ("price", "pk"),
    "-price": ("-price", "-pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
    "variants": ("variant_count", "pk"),
    "-variants": ("-variant_count", "-pk"),
}
PRICE_SORTS = {"price", "-price"}


def _clean_query(q: str | None) -> str:
    return (q or "").replace("\x00", "").strip()


def product_list(
    *,
    q: str | None = None,
    category_id: int | None = None,
    active: bool | None = None,
    sort: str = "name",
) -> QuerySet[Product]:
    """Products with their category and `variant_count`; `q` matches the name, or a variant's SKU
    or barcode. A category includes its subcategories."""
    # A correlated count, not a join with GROUP BY: the page's COUNT(*) leaves it out, and it is
    # computed for the rows of the page only.
    variant_count = (Variant.objects.filter(product=OuterRef("pk")).order_by().values("product")
                     .annotate(n=Count("pk")).values("n"))
    qs = Product.objects.select_related("category", "category__parent").annotate(
        variant_count=Coalesce(Subquery(variant_count, output_field=IntegerField()), 0))
    q = _clean_query(q)
    if q:
        # A UNION of parts that each use their own index (the trigram indexes of migration 0002,
        # the barcode index) rather than one OR, which scans every product.
        variants = Variant.objects.order_by()
        matching = (Product.objects.order_by().filter(name__icontains=q).values("pk")
                    .union(variants.filter(sku__icontains=q).values("product_id"),
                           variants.filter(barcode=q).values("product_id")))
        qs = qs.filter(pk__in=matching)
    if category_id:
        qs = qs.filter(category_id__in=category_descendant_ids(category_id=category_id))
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by(*PRODUCT_SORTS.get(sort, PRODUCT_SORTS["name"]))


def product_variants(*, product: Product) -> QuerySet[Variant]:
    return product.variants.order_by("pk")


def product_get(*, pk: int) -> Product:
    variants = Variant.objects.order_by("pk")
    product = (Product.objects.select_related("category", "category__parent")
               .prefetch_related(Prefetch("variants", queryset=variants)).filter(pk=pk).first())
    if product is None:
        raise NotFound(f"Unknown product {pk}.", details={"id": pk})
    return product


def product_variant_get(*, product: Product, pk: int) -> Variant:
    variant = Variant.objects.select_related("product").filter(product=product, pk=pk).first()
    if variant is None:
        raise NotFound(f"{product.name} has no variant {pk}.", details={"id": pk})
    return variant


def product_options(*, product: Product) -> list[tuple[str, list[str]]]:
    """The option names of a product's variants with the values they use, in first-seen order."""
    options: dict[str, list[str]] = {}
    for variant in product_variants(product=product):
        for name, value in (variant.attributes or {}).items():
            values = options.setdefault(name, [])
            if value not in values:
                values.append(value)
    return list(options.items())


# --- categories ---------------------------------------------------------------

@dataclass
class CategoryNode:
    category: Category
    depth: int
    product_count: int = 0
    total_count: int = 0
    children: list["CategoryNode"] = field(default_factory=list)


def category_tree(*, include_archived: bool = True, with_counts: bool = True) -> list[CategoryNode]:
    """Every category depth first, siblings by name; each with its own products' count and
    the count including its subcategories' (zero without `with_counts`, which spares a scan
    of every product where only the names are wanted)."""
    categories = Category.objects.select_related("parent")
    if with_counts:
        categories = categories.annotate(n=Count("products"))
    categories = list(categories)
    nodes = {c.pk: CategoryNode(category=c, depth=0, product_count=getattr(c, "n", 0)) for c in categories}
    roots = []
    for c in categories:
        node = nodes[c.pk]
        parent = nodes.get(c.parent_id)
        (parent.children if parent else roots).append(node)

    ordered: list[CategoryNode] = []

    def walk(siblings: list[CategoryNode], depth: int, seen: set) -> int:
        total = 0
        for node in sorted(siblings, key=lambda n: (n.category.name.casefold(), n.category.pk)):
            if node.category.pk in seen:
                continue
            seen.add(node.category.pk)
            node.depth = depth
            ordered.append(node)
            node.total_count = node.product_count + walk(node.children, depth + 1, seen)
            total += node.total_count
        return total

    walk(roots, 0, set())
    if not include_archived:
        ordered = [n for n in ordered if n.category.active]
    return ordered


def category_get(*, pk: int) -> Category:
    category = Category.objects.select_related("parent").filter(pk=pk).first()
    if category is None:
        raise NotFound(f"Unknown category {pk}.", details={"id": pk})
    return category


def category_choices(*, include: Category | None = None, exclude_subtree_of: Category | None = None) -> list:
    """(category, label) pairs for a select, in tree order with indented labels: active
    categories, plus `include` (e.g. the product's current, archived one), without
    `exclude_subtree_of` and its descendants (a category cannot move under itself)."""
    excluded = set(category_descendant_ids(category_id=exclude_subtree_of.pk)) if exclude_subtree_of else set()
    result = []
    for node in category_tree(with_counts=False):
        c = node.category
        if c.pk in excluded or not (c.active or (include is not None and include.pk == c.pk)):
            continue
        result.append((c, f"{'— ' * node.depth}{c.name}"))
    return result


# --- locations ----------------------------------------------------------------

def location_list_all(*, q: str | None = None, active: bool | None = None) -> QuerySet[Location]:
    qs = Location.objects.all()
    q = _clean_query(q)
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("-is_default", "code")


def location_get_by_pk(*, pk: int) -> Location:
    location = Location.objects.filter(pk=pk).first()
    if location is None:
        raise NotFound(f"Unknown location {pk}.", details={"id": pk})
    return location

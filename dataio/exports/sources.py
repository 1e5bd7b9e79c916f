"""The rows of each export type.

Each export type has a selector-like `export_rows_<type>(*, filters)` giving the header,
the kind of each column and an iterator of row tuples read in chunks with
`values_list(...).iterator(chunk_size=...)`; `dataio.writers` turns them into CSV, JSON
or XLSX. The importable types (products, categories, suppliers, supplier items) write
exactly the import columns of `dataio.columns`, so an exported file imports unchanged.
"""
from collections.abc import Callable, Iterator
from datetime import date

from django.db.models import Case, CharField, DecimalField, ExpressionWrapper, F, Q, TextField, Value, When
from django.db.models.functions import Cast, Coalesce

from dataio.columns import IMPORT_COLUMNS
from dataio.exports.fast_csv import _csv_in_database, _products_csv_blocks
from dataio.exports.rows import ExportRows, _attributes_text, _chunks, category_paths
from dataio.models import ExportType, ImportType
from dataio.writers import ColumnChunk, chunks_of
from inventory.models import Category, Variant
from inventory.selectors import movement_list, stock_level_list
from orders.models import SalesOrder
from purchasing.models import PurchaseOrder
from suppliers.models import SupplierItem
from suppliers.selectors import supplier_list


def _import_columns(import_type: str) -> tuple[list[str], list[str]]:
    columns = IMPORT_COLUMNS[import_type]
    return [column.name for column in columns], [column.kind for column in columns]


# The products export's columns as the Python writer reads them (the category as its id,
# the attributes as JSON text, the price and cost as the variant's effective ones).
PRODUCT_VALUES = (
    "sku", "product__name", "product__category_id", "product__description", "barcode",
    "attributes", "price", "cost", "active", "product__active", "product__track_inventory",
)
# The variant's own price or cost, else its product's: what it sells and is valued at.
# The products import compares a row with the same effective figure, so a variant that
# inherits stays inheriting when its export is imported again (the round trip is a no-op).
EFFECTIVE_MONEY = {"price": Coalesce("price", "product__price"), "cost": Coalesce("cost", "product__cost")}


def _products_filtered(*, filters: dict):
    qs = Variant.objects.all()
    if filters.get("category"):
        category_id = filters["category"]
        qs = qs.filter(Q(product__category_id=category_id) | Q(product__category__parent_id=category_id))
    if "active" in filters:
        qs = qs.filter(active=filters["active"])
    if filters.get("q"):
        q = filters["q"]
        qs = qs.filter(Q(sku__icontains=q) | Q(product__name__icontains=q) | Q(barcode=q))
    return qs.order_by("sku")


def export_rows_products(*, filters: dict) -> ExportRows:
    """One row per variant, in SKU order, in the products import's columns. `price` and
    `cost` are the variant's effective ones: its own, else its product's (never blank). On
    PostgreSQL the CSV file's lines are made by the database (`csv_lines`)."""
    header, kinds = _import_columns(ImportType.PRODUCTS)
    qs = _products_filtered(filters=filters)
    values = qs.values_list(*[
        Cast(name, TextField()) if name == "attributes" else EFFECTIVE_MONEY.get(name, name)
        for name in PRODUCT_VALUES
    ])

    def chunks() -> Iterator[ColumnChunk]:
        paths = category_paths()
        paths[None] = ""
        path_of = paths.__getitem__
        cache: dict[str, str] = {}
        for columns in _chunks(values):
            # Column by column: the category id becomes its path, the attributes' JSON text
            # their "name=value" form (each distinct text formatted once).
            columns[2] = list(map(path_of, columns[2]))
            columns[5] = [cache[text] if text in cache else _attributes_text(text, cache) for text in columns[5]]
            yield columns

    csv_lines = (lambda: _products_csv_blocks(qs)) if _csv_in_database(qs.db) else None
    return ExportRows(header=header, kinds=kinds, total=qs.count, chunks=chunks(), csv_lines=csv_lines)


def export_rows_stock(*, filters: dict) -> ExportRows:
    header = ["sku", "product", "location", "on_hand", "reserved", "available", "low_stock_threshold",
              "reorder_quantity", "status", "updated_at"]
    kinds = ["text", "text", "text", "int", "int", "int", "int", "int", "text", "datetime"]
    qs = stock_level_list(search=filters.get("q", ""), category_id=filters.get("category"),
                          location_code=filters.get("location", ""), status=filters.get("status", ""))
    status = Case(
        When(available_qty__lte=0, then=Value("out")),
        When(available_qty__lte=F("low_stock_threshold"), then=Value("low")),
        default=Value("in"),
        output_field=CharField(),
    )
    values = qs.values_list("variant__sku", "variant__product__name", "location__code", "on_hand", "reserved",
                            "available_qty", "low_stock_threshold", "reorder_quantity", status, "updated_at")
    return ExportRows(header=header, kinds=kinds, total=qs.count, chunks=_chunks(values))


def export_rows_categories(*, filters: dict) -> ExportRows:
    """In the categories import's columns, parents before their children."""
    header, kinds = _import_columns(ImportType.CATEGORIES)

    def rows() -> Iterator[tuple]:
        paths = category_paths()
        names = dict(Category.objects.values_list("pk", "name"))
        parents = dict(Category.objects.values_list("pk", "parent_id"))
        for pk in sorted(paths, key=lambda pk: (paths[pk], pk)):
            yield names[pk], paths.get(parents[pk], "") if parents[pk] else ""

    return ExportRows(header=header, kinds=kinds, total=Category.objects.count, chunks=chunks_of(rows()))


def export_rows_suppliers(*, filters: dict) -> ExportRows:
    header, kinds = _import_columns(ImportType.SUPPLIERS)
    qs = supplier_list(q=filters.get("q"), active=filters.get("active"))
    values = qs.values_list("name", "contact_name", "email", "phone", "address", "website", "notes", "active")
    return ExportRows(header=header, kinds=kinds, total=qs.count, chunks=_chunks(values))


def export_rows_supplier_items(*, filters: dict) -> ExportRows:
    header, kinds = _import_columns(ImportType.SUPPLIER_ITEMS)
    qs = SupplierItem.objects.all()
    if filters.get("supplier"):
        qs = qs.filter(supplier_id=filters["supplier"])
    qs = qs.order_by("supplier__name", "variant__sku", "pk")
    values = qs.values_list("supplier__name", "variant__sku", "supplier_sku", "unit_cost", "lead_time_days",
                            "minimum_order_quantity", "preferred")
    return ExportRows(header=header, kinds=kinds, total=qs.count, chunks=_chunks(values))


def _money(expression) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=DecimalField(max_digits=18, decimal_places=2))


def export_rows_purchase_orders(*, filters: dict) -> ExportRows:
    """One row per line, the order's fields repeated; an order without lines gets one row."""
    header = ["number", "status", "supplier", "currency", "order_date", "expected_date", "received_date",
              "subtotal", "tax", "shipping", "total", "notes", "created_at",
              "sku", "product", "supplier_sku", "quantity_ordered", "quantity_received", "unit_cost", "line_total"]
    kinds = ["text", "text", "text", "text", "date", "date", "date",
             "decimal", "decimal", "decimal", "decimal", "text", "datetime",
             "text", "text", "text", "int", "int", "decimal", "decimal"]
    orders = PurchaseOrder.objects.all()
    if filters.get("status"):
        orders = orders.filter(status=filters["status"])
    if filters.get("supplier"):
        orders = orders.filter(supplier_id=filters["supplier"])
    if filters.get("date_from"):
        orders = orders.filter(order_date__gte=filters["date_from"])
    if filters.get("date_to"):
        orders = orders.filter(order_date__lte=filters["date_to"])
    values = orders.order_by("created_at", "pk", "lines__id").values_list(
        "number", "status", "supplier__name", "currency", "order_date", "expected_date", "received_date",
        "subtotal", "tax", "shipping", "total", "notes", "created_at",
        "lines__variant__sku", "lines__variant__product__name", "lines__supplier_sku", "lines__quantity_ordered",
        "lines__quantity_received", "lines__unit_cost", _money(F("lines__unit_cost") * F("lines__quantity_ordered")),
    )
    return ExportRows(header=header, kinds=kinds, total=values.count, chunks=_chunks(values))


def _created_between(qs, filters: dict):
    """`created_at` within [date_from, date_to], days counted in the site's time zone."""
    if filters.get("date_from"):
        qs = qs.filter(created_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(created_at__date__lte=filters["date_to"])
    return qs


def export_rows_sales_orders(*, filters: dict) -> ExportRows:
    """One row per line, the order's fields repeated; an order without lines gets one row."""
    header = ["number", "status", "source", "customer_name", "customer_email", "currency", "total", "amount_paid",
              "amount_refunded", "paid_at", "notes", "created_at",
              "sku", "product", "location", "quantity", "unit_price", "line_total", "sold_quantity",
              "restocked_quantity"]
    kinds = ["text", "text", "text", "text", "text", "text", "decimal", "decimal",
             "decimal", "datetime", "text", "datetime",
             "text", "text", "text", "int", "decimal", "decimal", "int", "int"]
    orders = SalesOrder.objects.all()
    if filters.get("status"):
        orders = orders.filter(status=filters["status"])
    orders = _created_between(orders, filters)
    values = orders.order_by("created_at", "pk", "lines__id").values_list(
        "number", "status", "source", "customer_name", "customer_email", "currency", "total", "amount_paid",
        "amount_refunded", "paid_at", "notes", "created_at",
        "lines__variant__sku", "lines__variant__product__name", "lines__location__code", "lines__quantity",
        "lines__unit_price", _money(F("lines__unit_price") * F("lines__quantity")), "lines__sold_quantity",
        "lines__restocked_quantity",
    )
    return ExportRows(header=header, kinds=kinds, total=values.count, chunks=_chunks(values))


def export_rows_movements(*, filters: dict) -> ExportRows:
    """The ledger, oldest first."""
    header = ["id", "created_at", "sku", "product", "location", "type", "delta", "quantity_before",
              "quantity_after", "reason", "notes", "user", "reference", "supplier", "purchase_order", "sales_order",
              "import_job"]
    kinds = ["int", "datetime", "text", "text", "text", "text", "int", "int",
             "int", "text", "text", "text", "text", "text", "text", "text",
             "int"]
    date_from = date.fromisoformat(filters["date_from"]) if filters.get("date_from") else None
    date_to = date.fromisoformat(filters["date_to"]) if filters.get("date_to") else None
    qs = movement_list(sku=filters.get("sku", ""), type=filters.get("type", ""),
                       location_code=filters.get("location", ""), date_from=date_from, date_to=date_to)
    values = qs.order_by("created_at", "pk").values_list(
        "pk", "created_at", "variant__sku", "variant__product__name", "location__code", "type", "delta",
        "quantity_before", "quantity_after", "reason", "notes", "user__username", "reference", "supplier__name",
        "purchase_order__number", "sales_order__number", "import_job_id",
    )
    return ExportRows(header=header, kinds=kinds, total=qs.count, chunks=_chunks(values))


ROW_SOURCES: dict[str, Callable[..., ExportRows]] = {
    ExportType.PRODUCTS: export_rows_products,
    ExportType.STOCK: export_rows_stock,
    ExportType.CATEGORIES: export_rows_categories,
    ExportType.SUPPLIERS: export_rows_suppliers,
    ExportType.SUPPLIER_ITEMS: export_rows_supplier_items,
    ExportType.PURCHASE_ORDERS: export_rows_purchase_orders,
    ExportType.SALES_ORDERS: export_rows_sales_orders,
    ExportType.MOVEMENTS: export_rows_movements,
}


def export_rows(*, type: str, filters: dict) -> ExportRows:
    return ROW_SOURCES[type](filters=filters)

"""Exports: a job per request, run by a Celery task that streams the rows to a file in
Django's storage (under exports/), and a daily clean-up of expired files.

Each export type has a selector-like `export_rows_<type>(*, filters)` giving the header,
the kind of each column and an iterator of row tuples read in chunks with
`values_list(...).iterator(chunk_size=...)`; `dataio.writers` turns them into CSV, JSON
or XLSX. The importable types (products, categories, suppliers, supplier items) write
exactly the import columns of `dataio.columns`, so an exported file imports unchanged.

Who may export what: `dataio.export_data` for any export; types that carry money (product
prices and costs, supplier costs, order totals) also need `inventory.view_prices`.
"""
import json
import logging
import queue
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connections, transaction
from django.db.models import Case, CharField, DecimalField, ExpressionWrapper, F, Q, TextField, Value, When
from django.db.models.functions import Cast
from django.db.models.expressions import Col
from django.db.models.sql.constants import MULTI
from django.utils import timezone
from psycopg import pq

from core.csv import FORMULA_START_BYTES
from core.exceptions import ApplicationError, Conflict, NotFound, ValidationFailed
from core.queue import enqueue_on_commit
from dataio.columns import CATEGORY_PATH_SEPARATOR, IMPORT_COLUMNS, attributes_format, value_format, value_parse
from dataio.models import ExportJob, ExportStatus, ExportType, FileFormat, ImportType
from dataio.services.workers import EXPORT_JOBS, failure_reason, stale_jobs_fail, worker_lock
from dataio.writers import (
    CONTENT_TYPES,
    WRITERS,
    ColumnChunk,
    chunks_of,
    csv_field_bytes,
    csv_lines_write,
)
from inventory.models import Category, Location, MovementType, Product, Variant
from inventory.selectors import movement_list, stock_level_list
from orders.models import OrderStatus, SalesOrder
from purchasing.models import PurchaseOrder, PurchaseOrderStatus
from suppliers.models import Supplier, SupplierItem
from suppliers.selectors import supplier_list

logger = logging.getLogger(__name__)

EXPORT_DIR = "exports"
CHUNK_SIZE = 5000
PROGRESS_EVERY = 2000
PROGRESS_SECONDS = 0.25
# A job still IN_PROGRESS after this long lost its worker: running it again starts over.
STALE_AFTER = timedelta(hours=1)
# A job still PENDING or IN_PROGRESS after this long, with no worker on it, is failed by
# export_jobs_recover (EXPORT_STALE_MINUTES): longer than STALE_AFTER and than the broker's
# redelivery of an unacknowledged task (CELERY_VISIBILITY_TIMEOUT, 2 hours), so a task
# handed out again gets to start the job over first.
EXPORT_STALE_MINUTES = 180
WORKING = (ExportStatus.PENDING, ExportStatus.IN_PROGRESS)
PRICES_PERM = "inventory.view_prices"
EXPORT_PERM = "dataio.export_data"
VIEW_PERM = "dataio.view_exportjob"
# Types whose files carry prices or costs.
MONEY_TYPES = frozenset({
    ExportType.PRODUCTS, ExportType.SUPPLIER_ITEMS, ExportType.PURCHASE_ORDERS, ExportType.SALES_ORDERS,
})
TEMPLATE_FORMATS = (FileFormat.CSV, FileFormat.XLSX)
MAX_TEXT_FILTER = 200


class ExportExpired(ApplicationError):
    """The file was removed after EXPORT_RETENTION_DAYS."""

    status_code = 410


# --- permissions ------------------------------------------------------------------

def export_type_allowed(*, user, type: str) -> bool:
    """May `user` export this type? Money types need the permission to see prices."""
    if not (user and user.is_authenticated and user.has_perm(EXPORT_PERM)):
        return False
    return type not in MONEY_TYPES or user.has_perm(PRICES_PERM)


def export_types_for(*, user) -> list[tuple[str, str]]:
    """The (value, label) export types `user` may choose."""
    return [(value, label) for value, label in ExportType.choices if export_type_allowed(user=user, type=value)]


# --- filters ----------------------------------------------------------------------

def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(f"Filter {name}: enter text.", field="filters", details={"filter": name})
    text = str(value).replace("\x00", "").strip()
    if len(text) > MAX_TEXT_FILTER:
        raise ValidationFailed(f"Filter {name}: at most {MAX_TEXT_FILTER} characters.", field="filters",
                               details={"filter": name})
    return text


def _id(name: str, value: Any) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip()) if value is not None else None
    except ValueError:
        number = None
    if number is None or number < 1 or number > 2**63 - 1:
        raise ValidationFailed(f"Filter {name}: {value!r} is not an id.", field="filters", details={"filter": name})
    return number


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise ValidationFailed(f"Filter {name}: {value!r} is not true or false.", field="filters",
                           details={"filter": name})


def _date(name: str, value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValidationFailed(f"Filter {name}: {value!r} is not a date; write it as YYYY-MM-DD.",
                               field="filters", details={"filter": name}) from None


def _choice(choices: list[str]) -> Callable[[str, Any], str]:
    def parse(name: str, value: Any) -> str:
        text = str(value).strip()
        if text not in choices:
            raise ValidationFailed(f"Filter {name}: {value!r} is not one of {', '.join(choices)}.",
                                   field="filters", details={"filter": name})
        return text
    return parse


def _category(name: str, value: Any) -> int:
    pk = _id(name, value)
    if not Category.objects.filter(pk=pk).exists():
        raise NotFound(f"Filter {name}: unknown category {pk}.", field="filters", details={"filter": name})
    return pk


def _supplier(name: str, value: Any) -> int:
    pk = _id(name, value)
    if not Supplier.objects.filter(pk=pk).exists():
        raise NotFound(f"Filter {name}: unknown supplier {pk}.", field="filters", details={"filter": name})
    return pk


def _location(name: str, value: Any) -> str:
    code = _text(name, value)
    if not Location.objects.filter(code=code).exists():
        raise NotFound(f"Filter {name}: unknown location {code!r}.", field="filters",
                               details={"filter": name})
    return code


STOCK_STATUSES = ["in", "low", "out"]

# The filters each type takes, and how each is checked. Blank values are dropped.
FILTERS: dict[str, dict[str, Callable[[str, Any], Any]]] = {
    ExportType.PRODUCTS: {"category": _category, "active": _bool, "q": _text},
    ExportType.STOCK: {"location": _location, "category": _category, "status": _choice(STOCK_STATUSES), "q": _text},
    ExportType.CATEGORIES: {},
    ExportType.SUPPLIERS: {"active": _bool, "q": _text},
    ExportType.SUPPLIER_ITEMS: {"supplier": _supplier},
    ExportType.PURCHASE_ORDERS: {"status": _choice(list(PurchaseOrderStatus.values)), "supplier": _supplier,
                                 "date_from": _date, "date_to": _date},
    ExportType.SALES_ORDERS: {"status": _choice(list(OrderStatus.values)), "date_from": _date, "date_to": _date},
    ExportType.MOVEMENTS: {"type": _choice(list(MovementType.values)), "location": _location, "date_from": _date,
                           "date_to": _date, "sku": _text},
}


def export_filters_clean(*, type: str, filters: dict | None) -> dict:
    """The filters checked and normalised (JSON-ready); ValidationFailed names a bad one."""
    if filters is None:
        return {}
    if not isinstance(filters, dict):
        raise ValidationFailed("Filters must be an object of name: value.", field="filters")
    allowed = FILTERS[type]
    clean: dict[str, Any] = {}
    for name, value in filters.items():
        if name not in allowed:
            known = ", ".join(allowed) or "none"
            raise ValidationFailed(f"Unknown filter {name!r} for {type} exports (filters: {known}).",
                                   field="filters", details={"filter": name})
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        value = allowed[name](name, value)
        if value != "":
            clean[name] = value
    # A range that ends before it starts is empty: it exports the header alone.
    return clean


# --- rows of each type ----------------------------------------------------------------

@dataclass
class ExportRows:
    """What an export writes: the header, the kind of each column (see dataio.writers),
    how many rows there are (one COUNT) and the rows themselves, read lazily in chunks of
    CHUNK_SIZE rows (row tuples, or a ColumnChunk)."""

    header: list[str]
    kinds: list[str]
    total: Callable[[], int]
    chunks: Iterator[list[tuple] | ColumnChunk]
    # The CSV file's lines made by the database instead, when it can: a function giving
    # (rows, UTF-8 lines) blocks for `csv_lines_write`.
    csv_lines: Callable[[], Iterator[tuple[int, bytes]]] | None = None


def _decimal_places(places: int):
    step = Decimal(1).scaleb(-places)

    def convert(value, expression, connection):
        return value if value is None else Decimal(value).quantize(step)

    return convert


def _chunks(values) -> Iterator[ColumnChunk]:
    """A values_list queryset read from a server-side cursor CHUNK_SIZE rows at a time, each
    chunk handed over column by column.

    This is what `.iterator(chunk_size=...)` runs underneath, minus taking each chunk
    apart into single rows that the writers would only gather up again: the compiler's
    chunks are used as they come (converted first when a column needs it).
    """
    connection = connections[values.db]
    compiler = values.query.get_compiler(using=values.db)
    chunked = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    results = compiler.execute_sql(MULTI, chunked_fetch=chunked, chunk_size=CHUNK_SIZE)
    expressions = [select[0] for select in compiler.select[0:compiler.col_count]]
    converters = compiler.get_converters(expressions)
    for index, expression in enumerate(expressions):
        # A computed amount (price × quantity) comes back from SQLite as a float turned
        # Decimal ("27.2000000000000"); give it its field's places, as a column has.
        places = getattr(expression.output_field, "decimal_places", None)
        if places is not None and not isinstance(expression, Col) and connection.vendor == "sqlite":
            existing, _ = converters.get(index, ([], expression))
            converters[index] = ([*existing, _decimal_places(places)], expression)
    for rows in results:
        if converters:
            rows = list(compiler.apply_converters(rows, converters))
        yield ColumnChunk(zip(*rows))


def _import_columns(import_type: str) -> tuple[list[str], list[str]]:
    columns = IMPORT_COLUMNS[import_type]
    return [column.name for column in columns], [column.kind for column in columns]


def category_paths() -> dict[int, str]:
    """Every category's path ("Clothing / Shirts"), by id: categories are few, read at once."""
    parents = {pk: (name, parent_id) for pk, name, parent_id in Category.objects.values_list("pk", "name", "parent_id")}
    paths: dict[int, str] = {}

    def path_of(pk: int) -> str:
        names, node, seen = [], pk, set()
        while node is not None and node in parents and node not in seen:
            if node in paths:
                names.append(paths[node])
                break
            seen.add(node)
            name, parent_id = parents[node]
            names.append(name)
            node = parent_id
        return CATEGORY_PATH_SEPARATOR.join(reversed(names))

    for pk in parents:
        paths[pk] = path_of(pk)
    return paths


def _attributes_text(text: str | None, cache: dict) -> str:
    """A variant's attributes (JSON text from the database) as "size=M; colour=Blue".
    Most catalogues repeat a few option sets, so each distinct text is formatted once."""
    if text is None:
        return ""
    formatted = cache.get(text)
    if formatted is None:
        value = json.loads(text)
        formatted = attributes_format(value) if isinstance(value, dict) else value_format("json", value)
        if len(cache) > 10_000:
            cache.clear()
        cache[text] = formatted
    return formatted


# The products export's columns as the Python writer reads them (the category as its id,
# the attributes as JSON text).
PRODUCT_VALUES = (
    "sku", "product__name", "product__category_id", "product__description", "barcode",
    "attributes", "price", "cost", "active", "product__active", "product__track_inventory",
)


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
    `cost` are the variant's own (blank: the product's apply). On PostgreSQL the CSV file's
    lines are made by the database (`csv_lines`)."""
    header, kinds = _import_columns(ImportType.PRODUCTS)
    qs = _products_filtered(filters=filters)
    values = qs.values_list(*[Cast(name, TextField()) if name == "attributes" else name for name in PRODUCT_VALUES])

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


# --- the products CSV made by PostgreSQL ------------------------------------------------
#
# Building eleven CSV fields per variant in Python is most of a products export's time, so
# on PostgreSQL the database builds each line: one query reads the rows in SKU order
# through a cursor, CHUNK_SIZE at a time, each row as one bytea value holding
# its fields' UTF-8 text separated by NUL bytes (text never holds NUL, so the fields can
# always be told apart). Each cell is the text the Python path writes: the category's
# path (from `category_paths`), the attributes as `attributes_format` writes them,
# decimals as PostgreSQL and Decimal both write them ("12.50"), "true"/"false", blank for
# NULL. Python then only turns NUL into "," and adds the line ends, after checking the
# chunk at once (C-speed searches) for a cell that must be neutralised or quoted: the rare
# line with one is taken apart and its text cells written by `csv_field_bytes`, the rule
# the Python writer uses. Attributes SQL cannot write exactly as `attributes_format` does
# (a value that is a fraction, an object or a list, or attributes that are not an object)
# come back as their JSON text and are formatted in Python.

PRODUCT_TEXT_COLUMNS = tuple(
    index for index, column in enumerate(IMPORT_COLUMNS[ImportType.PRODUCTS]) if column.kind == "text"
)
PRODUCT_ATTRIBUTES_COLUMN = [column.name for column in IMPORT_COLUMNS[ImportType.PRODUCTS]].index("attributes")
# What str.strip() strips (every such character is below U+3001): attributes_format strips
# names and values.
PYTHON_WHITESPACE = "".join(char for char in map(chr, range(0x3001)) if char.isspace())
_QUOTE_BYTES = (b",", b'"', b"\r", b"\n")
_FORMULA_AFTER_NUL = re.compile(b"\x00[" + re.escape(b"".join(sorted(FORMULA_START_BYTES))) + b"]")


def _sql_string(text: str) -> str:
    """A PostgreSQL string constant (E'...': the same whatever standard_conforming_strings says)."""
    return "E'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sql_attribute_part(expression: str) -> str:
    """A name or value stripped as str.strip() does and escaped as attributes_format does."""
    stripped = f"btrim({expression}, {_sql_string(PYTHON_WHITESPACE)})"
    for char in ("\\", ";", "="):
        stripped = f"replace({stripped}, {_sql_string(char)}, {_sql_string(chr(92) + char)})"
    return stripped


# What the query reads: each filtered variant's own values, and every product's (its part
# of the line is made once per product, not once per variant).
VARIANT_SQL_VALUES = ("sku", "product_id", "barcode", "attributes", "price", "cost", "active")
PRODUCT_SQL_VALUES = ("pk", "name", "category_id", "description", "active", "track_inventory")


def _products_csv_sql() -> str:
    """The query, with `{variants}` and `{products}` for Django's SQL of the variants'
    VARIANT_SQL_VALUES and the products' PRODUCT_SQL_VALUES, and the parameters: the
    variants', the categories' paths (a JSON object keyed by id), the products'."""
    if [column.name for column in IMPORT_COLUMNS[ImportType.PRODUCTS]] != [
        "sku", "product", "category", "description", "barcode", "attributes", "price", "cost", "active",
        "product_active", "track_inventory",
    ]:  # pragma: no cover - a reminder to change the query with the columns
        raise ValueError("the products columns changed: change the query that writes them")

    def text(expression: str) -> str:
        return f"coalesce(textsend({expression}), ''::bytea)"

    def flag(expression: str) -> str:
        return text(f"CASE WHEN {expression} THEN 'true' WHEN NOT {expression} THEN 'false' END")

    nul = "E'\\\\x00'::bytea"
    value_text = ("CASE jsonb_typeof(pair.value) WHEN 'string' THEN pair.value #>> '{}' "
                  "WHEN 'null' THEN '' ELSE pair.value::text END")
    # A value attributes_format writes as SQL does: text, true/false, null (blank) and a
    # whole number (Python reads it as an int; 4,000 digits stay under its limit of 4,300).
    # A fraction (Python's float repr differs), an object or a list is not.
    value_plain = ("(jsonb_typeof(pair.value) IN ('string', 'boolean', 'null') OR "
                   "(jsonb_typeof(pair.value) = 'number' AND pair.value::text ~ '^-?[0-9]+$' "
                   "AND length(pair.value::text) <= 4000))")
    line = f" || {nul} || ".join([
        text("t.sku") + " || p.middle",
        text("t.barcode"),
        "a.cell",
        text("t.price::text"),
        text("t.cost::text"),
        flag("t.active") + " || p.tail",
    ])
    middle = f" || {nul} || ".join(["''::bytea", text("p.name"), text("(%s::jsonb ->> p.category_id::text)"),
                                     text("p.description")])
    tail = f" || {nul} || ".join(["''::bytea", flag("p.active"), flag("p.track_inventory")])
    formatted = (f"string_agg({_sql_attribute_part('pair.key')} || '=' || {_sql_attribute_part(value_text)}, "
                 f"'; ' ORDER BY pair.number)")
    # No attributes (blank), or an object whose values are all plain.
    plain = ("coalesce(bool_and(attributes.value IS NULL OR jsonb_typeof(attributes.value) = 'object'), true) "
             f"AND coalesce(bool_and({value_plain}), true)")
    # The attributes' cell is made in a lateral subquery that reads the column once, so
    # PostgreSQL can memoize it: each distinct set of attributes is formatted once.
    return f"""
SELECT {line},
       CASE WHEN a.plain THEN NULL ELSE t.attributes::text END
FROM ({{variants}}) AS t({", ".join(VARIANT_SQL_VALUES)})
JOIN (
    SELECT p.pk, {middle} AS middle, {tail} AS tail
    FROM ({{products}}) AS p({", ".join(PRODUCT_SQL_VALUES)})
    OFFSET 0
) AS p ON p.pk = t.product_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN {plain} THEN {text(f"coalesce({formatted}, '')")} ELSE ''::bytea END AS cell,
           {plain} AS plain
    FROM (SELECT t.attributes AS value OFFSET 0) AS attributes
    LEFT JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(attributes.value) = 'object' THEN attributes.value END)
              WITH ORDINALITY AS pair(key, value, number) ON true
) AS a
ORDER BY t.sku
"""


PRODUCTS_CSV_SQL = _products_csv_sql()


def _csv_in_database(alias: str) -> bool:
    """Can PostgreSQL write the products CSV here? Its text must come out as UTF-8."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return False
    connection.ensure_connection()
    info = connection.connection.info
    return info.parameter_status("server_encoding") == "UTF8" and info.encoding == "utf-8"


def _products_csv_lines(lines: list[bytes], odd: list[bytes | None], cache: dict) -> bytes:
    """A chunk of the query's rows (each row's NUL-separated fields, and its attributes'
    JSON when SQL left them to Python) as CSV lines."""
    joined = b"\x00".join(lines)
    if (odd.count(None) == len(odd) and joined[:1] not in FORMULA_START_BYTES
            and not any(char in joined for char in _QUOTE_BYTES) and not _FORMULA_AFTER_NUL.search(joined)):
        return (b"\r\n".join(lines) + b"\r\n").replace(b"\x00", b",")
    out = []
    for line, attributes in zip(lines, odd):
        fields = line.split(b"\x00")
        if attributes is not None:
            fields[PRODUCT_ATTRIBUTES_COLUMN] = _attributes_text(attributes.decode(), cache).encode()
        for index in PRODUCT_TEXT_COLUMNS:
            fields[index] = csv_field_bytes(fields[index])
        out.append(b",".join(fields))
    return b"\r\n".join(out) + b"\r\n"


def _products_csv_blocks(qs) -> Iterator[tuple[int, bytes]]:
    """The products CSV's lines for the filtered variants `qs`, CHUNK_SIZE rows at a time:
    (rows, bytes). Read through a cursor in one transaction (one snapshot; the rows are
    fetched as they are needed, so memory stays flat)."""
    variants, variant_params = qs.order_by().values_list(*VARIANT_SQL_VALUES).query.sql_with_params()
    products, product_params = (
        Product.objects.using(qs.db).order_by().values_list(*PRODUCT_SQL_VALUES).query.sql_with_params()
    )
    paths = json.dumps({str(pk): path for pk, path in category_paths().items()})
    connection = connections[qs.db]
    cache: dict[str, str] = {}
    name = f"products_csv_{secrets.token_hex(6)}"
    with transaction.atomic(using=qs.db):
        connection.ensure_connection()
        raw = connection.connection
        # Bound client-side, as Django binds the Python path's query.
        with psycopg.ClientCursor(raw) as client:
            sql = client.mogrify(PRODUCTS_CSV_SQL.replace("{variants}", variants).replace("{products}", products),
                                 [*variant_params, paths, *product_params])
        # Every row is read: plan for all of them (hash joins, one sort) rather than for
        # the first few, and sort them in memory when they fit.
        raw.execute("SELECT set_config('cursor_tuple_fraction', '1', true), set_config('work_mem', '64MB', true)")
        raw.execute(f"DECLARE {name} NO SCROLL CURSOR FOR {sql}")
        # Each chunk is fetched through libpq itself, in binary: the bytea values come as
        # they are, without psycopg building a row object for each.
        fetch = f"FETCH FORWARD {CHUNK_SIZE} FROM {name}".encode()
        pgconn = raw.pgconn

        def fetched():
            """The answer to the FETCH sent last (read to its end, so the next can be sent)."""
            result, extra = pgconn.get_result(), pgconn.get_result()
            while extra is not None:
                extra = pgconn.get_result()
            if result is None or result.status != pq.ExecStatus.TUPLES_OK:
                if result is None:
                    raise psycopg.OperationalError(pgconn.get_error_message().decode(errors="replace"))
                raise psycopg.errors.error_from_result(result, encoding="utf-8")
            return result

        # While Python turns one chunk into lines, the database reads the next: its FETCH is
        # sent first, and its answer read before the chunk is handed on (whoever takes it
        # may use the connection).
        def send():
            pgconn.send_query_params(fetch, None, result_format=pq.Format.BINARY)

        send()
        result = fetched()
        while True:
            size = result.ntuples
            if not size:
                break
            value = result.get_value
            lines = [value(row, 0) for row in range(size)]
            odd = [value(row, 1) for row in range(size)]
            result.clear()
            more = size == CHUNK_SIZE
            if more:
                send()
            try:
                block = _products_csv_lines(lines, odd, cache)
            finally:
                if more:
                    result = fetched()
            yield size, block
            if not more:
                break
        raw.execute(f"CLOSE {name}")


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


# --- writing a file -----------------------------------------------------------------

READ_AHEAD_DEPTH = 2
_READ_DONE = object()


def _read_ahead_possible() -> bool:
    """Reading in a second thread needs PostgreSQL and no transaction open here: the
    thread's own connection would not see rows this one has not committed."""
    connection = connections["default"]
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _read_ahead(chunks: Iterator) -> Iterator:
    """Pull the chunks in a thread with its own database connection while the caller
    writes the ones before: PostgreSQL and the writer work at the same time instead of
    taking turns. The thread reads inside one transaction (one snapshot, and a cursor
    streamed as it is read rather than materialised WITH HOLD first); at most
    READ_AHEAD_DEPTH chunks wait in between, so memory stays flat."""
    handoff: queue.Queue = queue.Queue(maxsize=READ_AHEAD_DEPTH)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            with transaction.atomic():
                for chunk in chunks:
                    if not put(chunk):
                        return
            put(_READ_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the reading side, raised there
            put(exc)
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=produce, name="export-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get()
            if item is _READ_DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def export_write(*, type: str, format: str, filters: dict, file,
                 progress: Callable[[int, int], None] | None = None) -> int:
    """Write the export to an open binary file; `progress(done, total)` is called per chunk.
    Returns the number of rows written."""
    source = export_rows(type=type, filters=filters)
    total = source.total() if progress is not None else 0
    if progress is not None:
        progress(0, total)
    report = (lambda done: progress(done, total)) if progress is not None else None
    if format == FileFormat.CSV and source.csv_lines is not None:
        source.chunks.close()  # never started: the database writes the lines
        # No reading thread: the database does the work here, and a second connection
        # would only add its start-up.
        blocks = source.csv_lines()
        try:
            return csv_lines_write(file=file, header=source.header, blocks=blocks, progress=report)
        finally:
            blocks.close()
    options = {"title": ExportType(type).label} if format == FileFormat.XLSX else {}
    chunks = _read_ahead(source.chunks) if _read_ahead_possible() else source.chunks
    try:
        return WRITERS[format](file=file, header=source.header, kinds=source.kinds, chunks=chunks,
                               progress=report, **options)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()  # stops the reading thread at once when the writer gave up


# --- jobs -------------------------------------------------------------------------

# The task that writes the file, queued by name (dataio/tasks.py imports this module).
EXPORT_RUN_TASK = "dataio.tasks.export_run_task"


def export_job_create(*, type: str, format: str, filters: dict | None = None, user=None) -> ExportJob:
    """Check the request, record a PENDING job and run it in the background (after commit)."""
    if type not in ExportType.values:
        raise ValidationFailed(f"Unknown export type {type!r}: choose one of {', '.join(ExportType.values)}.",
                               field="type")
    if format not in FileFormat.values:
        raise ValidationFailed(f"Unknown format {format!r}: choose one of {', '.join(FileFormat.values)}.",
                               field="format")
    if user is not None and not export_type_allowed(user=user, type=type):
        raise PermissionDenied("Exporting this needs the permission to see prices." if type in MONEY_TYPES
                               else "You do not have permission to export data.")
    clean = export_filters_clean(type=type, filters=filters)
    job = ExportJob.objects.create(type=type, format=format, filters=clean,
                                   created_by=user if user is not None and user.is_authenticated else None)
    enqueue_on_commit(EXPORT_RUN_TASK, job.pk)
    return job


def _claim(job_id: int) -> ExportJob | None:
    """Take the job for this run: PENDING, or IN_PROGRESS for longer than STALE_AFTER.
    None when it is done, failed or being run elsewhere."""
    now = timezone.now()
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        stale = job.status == ExportStatus.IN_PROGRESS and (job.started_at is None or job.started_at < now - STALE_AFTER)
        if job.status != ExportStatus.PENDING and not stale:
            return None
        if stale:
            logger.warning("Export %s was in progress since %s: starting it again", job.pk, job.started_at)
        job.status = ExportStatus.IN_PROGRESS
        job.started_at = now
        job.rows_done = job.rows_total = 0
        job.error = ""
        job.save(update_fields=["status", "started_at", "rows_done", "rows_total", "error"])
    return job


def _file_name(job: ExportJob) -> str:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return f"{EXPORT_DIR}/{job.type}-{job.pk}-{stamp}-{secrets.token_hex(4)}.{job.format}"


def _storage_delete(name: str) -> None:
    if name:
        try:
            default_storage.delete(name)
        except OSError:  # already gone, or the storage is unreachable: nothing more to do here
            logger.warning("Could not delete export file %s", name, exc_info=True)


def export_job_run(*, job: ExportJob) -> ExportJob:
    """Run the export: PENDING → IN_PROGRESS → COMPLETED, or FAILED with the reason and no
    file when anything goes wrong.

    Safe to call twice: a job that is completed, failed or being run by another worker is
    left alone; one stuck IN_PROGRESS for over an hour is started again.
    """
    with worker_lock(kind=EXPORT_JOBS, job_id=job.pk) as acquired:
        if not acquired:
            job.refresh_from_db()
            return job
        return _run(job)


def _run(job: ExportJob) -> ExportJob:
    claimed = _claim(job.pk)
    if claimed is None:
        job.refresh_from_db()
        return job
    job = claimed
    started_at = job.started_at
    live = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.IN_PROGRESS, started_at=started_at)
    reported = {"rows": 0, "at": 0.0}

    def progress(done: int, total: int) -> None:
        # One UPDATE per PROGRESS_EVERY rows at most, and no more often than the pages poll.
        if done == 0:
            live.update(rows_total=total)
            reported["at"] = time.monotonic()
        elif done - reported["rows"] >= PROGRESS_EVERY and time.monotonic() - reported["at"] >= PROGRESS_SECONDS:
            live.update(rows_done=done)
            reported.update(rows=done, at=time.monotonic())

    saved_name = ""
    try:
        with tempfile.TemporaryFile(suffix=f".{job.format}") as temp:
            rows = export_write(type=job.type, format=job.format, filters=job.filters or {}, file=temp,
                                progress=progress)
            temp.flush()
            size = temp.tell()
            temp.seek(0)
            saved_name = default_storage.save(_file_name(job), File(temp))
        finished = timezone.now()
        updated = live.update(
            status=ExportStatus.COMPLETED, rows_done=rows, row_count=rows, file_name=saved_name, file_size=size,
            finished_at=finished, expires_at=finished + timedelta(days=settings.EXPORT_RETENTION_DAYS),
        )
        if not updated:  # another run took the job over meanwhile: its file is the one kept
            _storage_delete(saved_name)
    except Exception as exc:  # noqa: BLE001 - any failure ends the job FAILED, with the reason
        logger.exception("Export %s failed", job.pk)
        _storage_delete(saved_name)
        if isinstance(exc, ApplicationError):
            message = f"The export failed: {exc.message}"
        else:
            message = (f"The export failed: {failure_reason(exc)}. Start it again; if it fails again, tell an "
                       f"administrator (the details are in the server log as export {job.pk}).")
        live.update(status=ExportStatus.FAILED, error=message[:2000], finished_at=timezone.now(), file_name="",
                    file_size=0)
    job.refresh_from_db()
    return job


_INTERRUPTED = {
    ExportStatus.PENDING: "Interrupted: no worker started the export; nothing was written. Start it again.",
    ExportStatus.IN_PROGRESS: "Interrupted: the worker stopped while writing the file; nothing was kept. "
                              "Start the export again.",
}


def export_jobs_recover(*, stale_after: timedelta | None = None) -> int:
    """Fail exports left PENDING or IN_PROGRESS by a worker that stopped (killed, machine
    restarted) or never came, saying so.

    A job counts as abandoned when it started (or, not started, was requested) more than
    `stale_after` ago (EXPORT_STALE_MINUTES, default 180) and, on PostgreSQL, no worker
    holds its lock. Returns the number of jobs failed.
    """
    if stale_after is None:
        stale_after = timedelta(minutes=getattr(settings, "EXPORT_STALE_MINUTES", EXPORT_STALE_MINUTES))
    return stale_jobs_fail(model=ExportJob, kind=EXPORT_JOBS, working=WORKING, stale_after=stale_after,
                           reason=lambda job: _INTERRUPTED[job.status])


def export_job_is_expired(*, job: ExportJob, now=None) -> bool:
    now = now or timezone.now()
    return job.status == ExportStatus.COMPLETED and (
        not job.file_name or (job.expires_at is not None and job.expires_at <= now)
    )


def export_file_open(*, job: ExportJob) -> File:
    """The completed job's file, open for reading. Conflict while it is not ready (or failed),
    ExportExpired once removed."""
    if job.status == ExportStatus.FAILED:
        raise Conflict(f"The export failed, so there is no file: {job.error}")
    if job.status != ExportStatus.COMPLETED:
        raise Conflict("The export is not finished yet: try again when it is completed.")
    if export_job_is_expired(job=job):
        raise ExportExpired("The export has expired and its file was removed: export again.")
    try:
        return default_storage.open(job.file_name, "rb")
    except FileNotFoundError:
        raise ExportExpired("The export's file is no longer there: export again.") from None


def export_download_name(*, job: ExportJob) -> str:
    """A safe file name for the download: letters, digits, dashes and the extension."""
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d-%H%M")
    return f"stockroom-{job.type.replace('_', '-')}-{stamp}-{job.pk}.{job.format}"


def exports_expire(*, now=None) -> int:
    """Delete the files of completed exports past `expires_at`. The job rows stay (the list
    shows them as expired) with the file name cleared. Returns how many files went."""
    now = now or timezone.now()
    expired = 0
    due = ExportJob.objects.filter(status=ExportStatus.COMPLETED, expires_at__lte=now).exclude(file_name="")
    for pk, name in due.values_list("pk", "file_name").iterator(chunk_size=500):
        _storage_delete(name)
        expired += ExportJob.objects.filter(pk=pk, file_name=name).update(file_name="")
    return expired


# --- import templates --------------------------------------------------------------

def export_template(*, type: str, format: str) -> tuple[bytes, str, str]:
    """An import template: the header and one example row. Returns (content, content type,
    file name). NotFound for an unknown type or format."""
    if type not in ImportType.values:
        raise NotFound(f"There is no import template for {type!r}.")
    if format not in TEMPLATE_FORMATS:
        raise NotFound(f"Templates are CSV or XLSX, not {format!r}.")
    columns = IMPORT_COLUMNS[type]
    header = [column.name for column in columns]
    if format == FileFormat.CSV:
        kinds = ["text"] * len(columns)
        example = tuple(column.example for column in columns)
    else:  # numbers stay numbers in a spreadsheet
        kinds = [column.kind if column.kind in ("int", "decimal") and column.example else "text" for column in columns]
        example = tuple(_example_value(column) for column in columns)
    with tempfile.TemporaryFile() as temp:
        options = {"title": ImportType(type).label} if format == FileFormat.XLSX else {}
        WRITERS[format](file=temp, header=header, kinds=kinds, chunks=[[example]], **options)
        temp.seek(0)
        content = temp.read()
    return content, CONTENT_TYPES[format], f"stockroom-{type.replace('_', '-')}-template.{format}"


def _example_value(column) -> Any:
    if column.kind in ("int", "decimal") and column.example:
        return value_parse(column.kind, column.example)
    return column.example

"""The products CSV made by PostgreSQL.

Building eleven CSV fields per variant in Python is most of a products export's time, so
on PostgreSQL the database builds each line: one query reads the rows in SKU order
through a cursor, CHUNK_SIZE at a time, each row as one bytea value holding
its fields' UTF-8 text separated by NUL bytes (text never holds NUL, so the fields can
always be told apart). Each cell is the text the Python path writes: the category's
path (from `category_paths`), the attributes as `attributes_format` writes them,
decimals as PostgreSQL and Decimal both write them ("12.50"), "true"/"false", blank for
NULL. Python then only turns NUL into "," and adds the line ends, after checking the
chunk at once (C-speed searches) for a cell that must be neutralised or quoted: the rare
line with one is taken apart and its text cells written by `csv_field_bytes`, the rule
the Python writer uses. Attributes SQL cannot write exactly as `attributes_format` does
(a value that is a fraction, an object or a list, or attributes that are not an object)
come back as their JSON text and are formatted in Python.
"""
import json
import re
import secrets
from collections.abc import Iterator

import psycopg
from django.db import connections, transaction
from psycopg import pq

from core.csv import FORMULA_START_BYTES
from dataio.columns import IMPORT_COLUMNS
from dataio.exports.rows import CHUNK_SIZE, _attributes_text, category_paths
from dataio.models import ImportType
from dataio.writers import csv_field_bytes
from inventory.models import Product

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
# of the line is made once per product, not once per variant; its price and cost stand in
# for a variant's own when it has none, as in the Python path).
VARIANT_SQL_VALUES = ("sku", "product_id", "barcode", "attributes", "price", "cost", "active")
PRODUCT_SQL_VALUES = ("pk", "name", "category_id", "description", "active", "track_inventory", "price", "cost")


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
        text("coalesce(t.price, p.price)::text"),
        text("coalesce(t.cost, p.cost)::text"),
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
    SELECT p.pk, {middle} AS middle, {tail} AS tail, p.price, p.cost
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

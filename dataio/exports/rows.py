"""What an export reads: `ExportRows`, a values_list read in chunks of CHUNK_SIZE rows, and
the cells both ways of writing the products export share (category paths, attributes)."""
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models.expressions import Col
from django.db.models.sql.constants import MULTI

from dataio.columns import CATEGORY_PATH_SEPARATOR, attributes_format, value_format
from dataio.writers import ColumnChunk
from inventory.models import Category

CHUNK_SIZE = 5000


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

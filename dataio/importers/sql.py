"""Set-based reads and writes for the importers.

On PostgreSQL new rows get their ids from the table's sequence first and are then sent
with COPY; updates are copied into a temporary table and applied with one
`UPDATE ... FROM`. On other databases (the embedded SQLite default) the same calls fall
back to `bulk_create` and `executemany`. Either way a batch is a handful of statements,
whatever its size.
"""
import itertools
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.utils import timezone

from dataio.models import ImportChange

SQLITE_CHUNK = 500
_temp_names = itertools.count(1)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def select_in(sql: str, values: Sequence[Any], *, extra: Sequence[Any] = ()) -> list[tuple]:
    """Run `sql`, whose one `{in}` placeholder stands for "column IN values", for all values.

    On PostgreSQL the values travel as one array (`= ANY(%s)`); elsewhere in chunks.
    `extra` parameters come before the values.
    """
    values = list(values)
    if not values:
        return []
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(*_any_of(sql, values, extra))
            return cursor.fetchall()
        result = []
        for start in range(0, len(values), SQLITE_CHUNK):
            chunk = values[start:start + SQLITE_CHUNK]
            cursor.execute(sql.format(op=f"IN ({', '.join(['%s'] * len(chunk))})"), [*extra, *chunk])
            result.extend(cursor.fetchall())
        return result


_SEPARATOR = "\x1f"  # the unit separator: no SKU, name or number holds it


def _any_of(sql: str, values: list[Any], extra: Sequence[Any]) -> tuple[str, list[Any]]:
    """The query and parameters for "column = ANY(values)" on PostgreSQL. Texts and whole
    numbers travel as one joined string split by the server, which is several times
    cheaper to send than an array of 100,000 separate values."""
    if all(type(value) is str for value in values):
        joined = _SEPARATOR.join(values)
        # (an empty string would split into no values at all)
        if joined and joined.count(_SEPARATOR) == len(values) - 1:
            return sql.format(op="= ANY(string_to_array(%s, chr(31)))"), [*extra, joined]
    elif all(type(value) is int for value in values):
        return sql.format(op="= ANY(string_to_array(%s, ',')::bigint[])"), [*extra, ",".join(map(str, values))]
    return sql.format(op="= ANY(%s)"), [*extra, values]


def _db_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _json_positions(model: type[models.Model], fields: list[str]) -> list[int]:
    return [position for position, name in enumerate(fields)
            if model._meta.get_field(name).get_internal_type() == "JSONField"]


def _with_json(row: Sequence[Any], positions: list[int], memo: dict[int, tuple[Any, str]] | None = None) -> list[Any]:
    """The row with its JSON values as text. `memo` keeps the text of each value object
    seen in this call: importers share one parsed object per distinct cell text, so most
    rows encode nothing."""
    row = list(row)
    for position in positions:
        value = row[position]
        if memo is not None and isinstance(value, (dict, list)):
            known = memo.get(id(value))
            if known is None or known[0] is not value:
                known = memo[id(value)] = (value, _db_value(value))
            row[position] = known[1]
        else:
            row[position] = _db_value(value)
    return row


# --- undo records -------------------------------------------------------------
#
# `record=(job_id, label, row_numbers)` on rows_insert / rows_update records an
# ImportChange per row (label like "inventory.variant", row_numbers the file row of each
# written row, in order). On PostgreSQL the records are built by the database from the
# table itself (`INSERT ... SELECT jsonb_build_object(...)`): the "after" of a created
# row is what was stored, the "before" of an update is what the row held just before it.
# Values are kept as `json_value` writes them (money as "12.50").

Record = tuple[int, str, Sequence[int]]


def _json_sql(model: type[models.Model], name: str, alias: str) -> str:
    """SQL for a column's value as kept in an ImportChange (see json_value)."""
    field = model._meta.get_field(name)
    column = f"{alias}.{connection.ops.quote_name(field.column)}"
    if field.get_internal_type() == "DecimalField":
        return f"({column})::text"  # numeric(p, s) as text keeps its s places: "12.50"
    return column


def _change_columns() -> str:
    return '"job_id", "row", "model", "object_id", "action", "before", "after", "movement_id"'


def _normalised(model: type[models.Model], fields: list[str]) -> list:
    """Per field, how to turn a raw cursor value into the value the model would hold
    (SQLite answers floats for money, integers for booleans, text for JSON)."""
    result = []
    for name in fields:
        kind = model._meta.get_field(name).get_internal_type()
        if kind == "DecimalField":
            result.append(money_value)
        elif kind == "BooleanField":
            result.append(lambda value: None if value is None else bool(value))
        elif kind == "JSONField":
            result.append(lambda value: json.loads(value) if isinstance(value, str) else value)
        else:
            result.append(None)
    return result


def _timestamps(model: type[models.Model]) -> list[str]:
    names = {field.name for field in model._meta.concrete_fields}
    return [name for name in ("created_at", "updated_at") if name in names]


def rows_insert(model: type[models.Model], fields: list[str], rows: list[Sequence[Any]], *,
                record: Record | None = None) -> list[int]:
    """Insert rows (values in `fields` order); returns their new ids in row order.

    Other concrete fields get their model defaults, timestamps the current time. With
    `record`, a CREATE ImportChange is kept for each row (see above).
    """
    if not rows:
        return []
    meta = model._meta
    now = timezone.now()
    stamps = [name for name in _timestamps(model) if name not in fields]
    defaults = [
        field for field in meta.concrete_fields
        if not field.primary_key and field.attname not in fields and field.name not in fields and field.name not in stamps
    ]
    if not is_postgresql():
        objects = []
        for row in rows:
            obj = model(**dict(zip(fields, row)))
            for name in stamps:
                setattr(obj, name, now)
            objects.append(obj)
        model.objects.bulk_create(objects, batch_size=SQLITE_CHUNK)
        ids = [obj.pk for obj in objects]
        if record is not None:
            job_id, label, numbers = record
            changes_insert(
                (job_id, number, label, pk, ImportChange.Action.CREATE, {},
                 {name: json_value(value) for name, value in zip(fields, row)}, None)
                for number, pk, row in zip(numbers, ids, rows)
            )
        return ids

    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_column = meta.pk.column
    columns = [meta.get_field(name).column for name in fields]
    extra_values = [now] * len(stamps) + [_db_value(field.get_default()) for field in defaults]
    extra_fields = [meta.get_field(name) for name in stamps] + defaults
    extra_columns = [field.column for field in extra_fields]
    json_at = _json_positions(model, fields)
    if json_at:
        memo: dict = {}
        rows = [_with_json(row, json_at, memo) for row in rows]
    with connection.cursor() as cursor:
        ids = _ids_reserve(cursor, meta.db_table, pk_column, len(rows))
        if record is None:
            column_sql = ", ".join(quote(c) for c in [pk_column, *columns, *extra_columns])
            with cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                write = copy.write_row
                for pk, row in zip(ids, rows):
                    write((pk, *row, *extra_values))
            return ids
        # With undo records: the rows go to a temporary table of the same column types first,
        # and both the table's rows and their records are made from it, each in one statement.
        job_id, label, numbers = record
        temp = f"_import_insert_{next(_temp_names)}"
        column_sql = ", ".join(quote(c) for c in [pk_column, *columns])
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "
            f"SELECT {column_sql}, 0::integer AS _import_row FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {temp} ({column_sql}, _import_row) FROM STDIN") as copy:
            write = copy.write_row
            for pk, row, number in zip(ids, rows, numbers):
                write((pk, *row, number))
        extra_sql = "".join(f", {quote(c)}" for c in extra_columns)
        # typed, so a default given as text (JSON, say) lands in its column as that type
        extra_params = "".join(f", %s::{field.db_type(connection)}" for field in extra_fields)
        cursor.execute(
            f"INSERT INTO {table} ({column_sql}{extra_sql}) "
            f"SELECT {column_sql}{extra_params} FROM {temp} ORDER BY {quote(pk_column)}",
            extra_values,
        )
        after = ", ".join(f"'{name}', {_json_sql(model, name, 's')}" for name in fields)
        cursor.execute(
            f"INSERT INTO {quote(ImportChange._meta.db_table)} ({_change_columns()}) "
            f"SELECT %s, s._import_row, %s, s.{quote(pk_column)}, %s, '{{}}'::jsonb, jsonb_build_object({after}), NULL "
            f"FROM {temp} s ORDER BY s._import_row",
            [job_id, label, ImportChange.Action.CREATE],
        )
        cursor.execute(f"DROP TABLE {temp}")
    return ids


def _ids_reserve(cursor, table: str, pk_column: str, count: int) -> list[int]:
    """`count` new ids from the table's sequence. They are nearly always one unbroken run
    (then only its ends travel back); when other sessions took ids in between, the list."""
    cursor.execute(
        "SELECT min(v), max(v), CASE WHEN max(v) - min(v) + 1 = count(*) THEN NULL ELSE array_agg(v ORDER BY v) END "
        "FROM (SELECT nextval(pg_get_serial_sequence(%s, %s)) AS v FROM generate_series(1, %s)) AS reserved",
        [table, pk_column, count],
    )
    low, high, scattered = cursor.fetchone()
    return list(scattered) if scattered is not None else list(range(low, high + 1))


def rows_update(model: type[models.Model], fields: list[str], rows: list[Sequence[Any]], *,
                record: Record | None = None) -> int:
    """Set `fields` on many rows: each row is (id, value, value, ...) in `fields` order.

    `updated_at`, when the model has it, is set to the current time. With `record`, an
    UPDATE ImportChange is kept for each row that differs, with the fields that differ
    before and after (see above).
    """
    if not rows:
        return 0
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = [meta.get_field(name).column for name in fields]
    now = timezone.now()
    stamp = "updated_at" in _timestamps(model) and "updated_at" not in fields
    with connection.cursor() as cursor:
        if not is_postgresql():
            assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
            if stamp:
                assignments += f", {quote('updated_at')} = %s"
            sql = f"UPDATE {table} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
            if record is not None:
                _changes_before_update(model, fields, rows, record)
            params = [
                [*[_db_value(v) for v in row[1:]], *([now] if stamp else []), row[0]]
                for row in rows
            ]
            for start in range(0, len(params), SQLITE_CHUNK):
                cursor.executemany(sql, params[start:start + SQLITE_CHUNK])
            return len(rows)
        temp = f"_import_update_{next(_temp_names)}"
        pk = quote(meta.pk.column)
        column_sql = ", ".join(quote(c) for c in columns)
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "
            f"SELECT {pk}, {column_sql}, 0::integer AS _import_row FROM {table} WITH NO DATA"
        )
        json_at = [position + 1 for position in _json_positions(model, fields)]
        memo: dict = {}
        numbers = record[2] if record is not None else itertools.repeat(0)
        with cursor.cursor.copy(f"COPY {temp} ({pk}, {column_sql}, _import_row) FROM STDIN") as copy:
            write = copy.write_row
            for row, number in zip(rows, numbers):
                write((*(_with_json(row, json_at, memo) if json_at else row), number))
        if record is not None:
            job_id, label, _numbers = record
            differs = [f"s.{quote(c)} IS DISTINCT FROM t.{quote(c)}" for c in columns]
            before = " || ".join(
                f"CASE WHEN {test} THEN jsonb_build_object('{name}', {_json_sql(model, name, 't')}) ELSE '{{}}'::jsonb END"
                for name, test in zip(fields, differs))
            after = " || ".join(
                f"CASE WHEN {test} THEN jsonb_build_object('{name}', {_json_sql(model, name, 's')}) ELSE '{{}}'::jsonb END"
                for name, test in zip(fields, differs))
            cursor.execute(
                f"INSERT INTO {quote(ImportChange._meta.db_table)} ({_change_columns()}) "
                f"SELECT %s, s._import_row, %s, t.{pk}, %s, {before}, {after}, NULL "
                f"FROM {temp} s JOIN {table} t ON t.{pk} = s.{pk} WHERE {' OR '.join(differs)} ORDER BY s._import_row",
                [job_id, label, ImportChange.Action.UPDATE],
            )
        assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in columns)
        params = []
        if stamp:
            assignments += f", {quote('updated_at')} = %s"
            params.append(now)
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM {temp} s WHERE {table}.{pk} = s.{pk}",
            params,
        )
        cursor.execute(f"DROP TABLE {temp}")
        return len(rows)


def _changes_before_update(model: type[models.Model], fields: list[str], rows: list[Sequence[Any]],
                           record: Record) -> None:
    """Record UPDATE changes from the rows' current values (the non-PostgreSQL path)."""
    meta = model._meta
    quote = connection.ops.quote_name
    job_id, label, numbers = record
    normalise = _normalised(model, fields)
    current = {}
    for pk, *values in select_in(
        f"SELECT {quote(meta.pk.column)}, {', '.join(quote(meta.get_field(name).column) for name in fields)} "
        f"FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} {{op}}", [row[0] for row in rows],
    ):
        current[pk] = [value if convert is None else convert(value) for convert, value in zip(normalise, values)]
    changes = []
    for number, row in zip(numbers, rows):
        old = current.get(row[0])
        if old is None:
            continue
        before, after = {}, {}
        for name, was, value in zip(fields, old, row[1:]):
            if was != value:
                before[name] = json_value(was)
                after[name] = json_value(value)
        if after:
            changes.append((job_id, number, label, row[0], ImportChange.Action.UPDATE, before, after, None))
    changes_insert(changes)


def money_value(value: Any) -> Decimal | None:
    """A money column as read by a raw cursor (SQLite answers floats) as a Decimal."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))


def json_value(value: Any) -> Any:
    """A value as it is kept in an ImportChange's before/after (JSON): money as "12.50"."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def changes_insert(rows: Iterable[tuple[int, int, str, int, str, dict, dict, int | None]]) -> int:
    """Record ImportChange rows: (job_id, row, model, object_id, action, before, after, movement_id)."""
    rows = list(rows)
    if not rows:
        return 0
    if not is_postgresql():
        ImportChange.objects.bulk_create(
            [ImportChange(job_id=job_id, row=row, model=model, object_id=object_id, action=action, before=before,
                          after=after, movement_id=movement_id)
             for job_id, row, model, object_id, action, before, after, movement_id in rows],
            batch_size=SQLITE_CHUNK,
        )
        return len(rows)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    table = connection.ops.quote_name(ImportChange._meta.db_table)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            f'COPY {table} ("job_id", "row", "model", "object_id", "action", "before", "after", "movement_id") FROM STDIN'
        ) as copy:
            write = copy.write_row
            for job_id, row, model, object_id, action, before, after, movement_id in rows:
                write((job_id, row, model, object_id, action, dumps(before), dumps(after), movement_id))
    return len(rows)

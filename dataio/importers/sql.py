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
            cursor.execute(sql.format(op="= ANY(%s)"), [*extra, values])
            return cursor.fetchall()
        result = []
        for start in range(0, len(values), SQLITE_CHUNK):
            chunk = values[start:start + SQLITE_CHUNK]
            cursor.execute(sql.format(op=f"IN ({', '.join(['%s'] * len(chunk))})"), [*extra, *chunk])
            result.extend(cursor.fetchall())
        return result


def _db_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _json_positions(model: type[models.Model], fields: list[str]) -> list[int]:
    return [position for position, name in enumerate(fields)
            if model._meta.get_field(name).get_internal_type() == "JSONField"]


def _with_json(row: Sequence[Any], positions: list[int]) -> list[Any]:
    row = list(row)
    for position in positions:
        row[position] = _db_value(row[position])
    return row


def _timestamps(model: type[models.Model]) -> list[str]:
    names = {field.name for field in model._meta.concrete_fields}
    return [name for name in ("created_at", "updated_at") if name in names]


def rows_insert(model: type[models.Model], fields: list[str], rows: list[Sequence[Any]]) -> list[int]:
    """Insert rows (values in `fields` order); returns their new ids in row order.

    Other concrete fields get their model defaults, timestamps the current time.
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
        return [obj.pk for obj in objects]

    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_column = meta.pk.column
    columns = [meta.get_field(name).column for name in fields]
    extra_values = [now] * len(stamps) + [_db_value(field.get_default()) for field in defaults]
    extra_columns = [meta.get_field(name).column for name in stamps] + [field.column for field in defaults]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk_column, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        column_sql = ", ".join(quote(c) for c in [pk_column, *columns, *extra_columns])
        json_at = _json_positions(model, fields)
        with cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
            write = copy.write_row
            if json_at:
                rows = [_with_json(row, json_at) for row in rows]
            for pk, row in zip(ids, rows):
                write((pk, *row, *extra_values))
    return ids


def rows_update(model: type[models.Model], fields: list[str], rows: list[Sequence[Any]]) -> int:
    """Set `fields` on many rows: each row is (id, value, value, ...) in `fields` order.

    `updated_at`, when the model has it, is set to the current time.
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
            params = [
                [*[_db_value(v) for v in row[1:]], *([now] if stamp else []), row[0]]
                for row in rows
            ]
            for start in range(0, len(params), SQLITE_CHUNK):
                cursor.executemany(sql, params[start:start + SQLITE_CHUNK])
            return len(rows)
        temp = f"_import_update_{next(_temp_names)}"
        column_sql = ", ".join(quote(c) for c in columns)
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "
            f"SELECT {quote(meta.pk.column)}, {column_sql} FROM {table} WITH NO DATA"
        )
        json_at = [position + 1 for position in _json_positions(model, fields)]
        with cursor.cursor.copy(f"COPY {temp} ({quote(meta.pk.column)}, {column_sql}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(_with_json(row, json_at) if json_at else row)
        assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in columns)
        params = []
        if stamp:
            assignments += f", {quote('updated_at')} = %s"
            params.append(now)
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM {temp} s WHERE {table}.{quote(meta.pk.column)} = s.{quote(meta.pk.column)}",
            params,
        )
        cursor.execute(f"DROP TABLE {temp}")
        return len(rows)


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

"""Every row lock on stock levels is taken here: FOR UPDATE, always in primary-key order.

Taking locks in one global order means two transactions that touch the same levels
queue behind each other instead of deadlocking.
"""
import functools
from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet

from inventory.models import StockLevel


def stock_levels_for_update(*, ids: Iterable[int]) -> QuerySet[StockLevel]:
    return StockLevel.objects.select_for_update(of=("self",)).filter(pk__in=sorted(set(ids))).order_by("pk")


def stock_levels_lock(*, ids: Iterable[int]) -> dict[int, StockLevel]:
    """Lock the given levels (in pk order) and return them by id."""
    return {level.pk: level for level in stock_levels_for_update(ids=ids)}


@functools.cache
def _lock_one_sql(vendor: str) -> tuple[list[str], str]:
    quote = connection.ops.quote_name
    table = quote(StockLevel._meta.db_table)
    fields = StockLevel._meta.concrete_fields
    columns = ", ".join(f"{table}.{quote(field.column)}" for field in fields)
    lock = f" FOR UPDATE OF {table}" if connection.features.has_select_for_update else ""
    sql = (
        f'SELECT {columns} FROM {table} WHERE {table}."location_id" = %s AND {table}."variant_id" = %s '
        f'ORDER BY {table}."id" ASC LIMIT 1{lock}'
    )
    return [field.attname for field in fields], sql


def stock_level_lock_one(*, variant_id: int, location_id: int) -> StockLevel | None:
    """Lock the one level of variant@location, or return None when it does not exist yet.

    Written as SQL rather than select_for_update(): this is every adjustment's first
    statement, and building it through the ORM took longer than the database took to
    answer it (bench/ledger_hot). The statement is the one the ORM would send.
    """
    fields, sql = _lock_one_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [location_id, variant_id])
        row = cursor.fetchone()
    return None if row is None else StockLevel.from_db(connection.alias, fields, row)

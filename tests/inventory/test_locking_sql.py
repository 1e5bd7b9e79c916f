"""The SQL each stock service sends: levels are locked with SELECT ... FOR UPDATE, in primary-key
order, before any UPDATE of them. A missing or late lock passes most behaviour tests (it only
loses updates under load), so it is checked here on the statements themselves.

PostgreSQL only: SQLite has no FOR UPDATE (it serialises writers with IMMEDIATE transactions).
"""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import StockLevel
from inventory.services import stock_adjust, stock_count, stock_transfer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no SELECT ... FOR UPDATE"),
]

LEVEL_TABLE = '"inventory_stocklevel"'
LOCK_SUFFIX = f"FOR UPDATE OF {LEVEL_TABLE}"
ORDER_BY_PK = f"ORDER BY {LEVEL_TABLE}.\"id\" ASC"
IDS_IN = re.compile(r'"inventory_stocklevel"\."id" IN \(([\d, ]+)\)')
UPDATE_ID = re.compile(r'^UPDATE "inventory_stocklevel" .* WHERE "inventory_stocklevel"\."id" = (\d+)$')
BY_PAIR = re.compile(
    r'"inventory_stocklevel"\."location_id" = (\d+) AND "inventory_stocklevel"\."variant_id" = (\d+)'
)


def _statements(ctx: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in ctx.captured_queries]


def _is_lock(sql: str) -> bool:
    return sql.startswith("SELECT") and f"FROM {LEVEL_TABLE}" in sql and "FOR UPDATE" in sql


def _is_level_update(sql: str) -> bool:
    return sql.startswith(f"UPDATE {LEVEL_TABLE}")


def _locked_ids(sql: str) -> list[int]:
    """The level ids a lock statement covers, in the order its WHERE clause names them."""
    if match := IDS_IN.search(sql):
        return [int(part) for part in match.group(1).split(",")]
    if match := BY_PAIR.search(sql):
        location_id, variant_id = int(match.group(1)), int(match.group(2))
        return list(StockLevel.objects.filter(location_id=location_id, variant_id=variant_id).values_list("pk", flat=True))
    raise AssertionError(f"cannot tell which levels this lock covers: {sql}")


def _check_locked_before_updated(statements: list[str]) -> tuple[list[str], list[int]]:
    """Every UPDATE of a level comes after a FOR UPDATE covering that level, inside the same
    savepoint (the test's outer transaction turns the service's atomic() into one).
    Returns the lock statements and the updated level ids, in order."""
    locks, updated, locked = [], [], set()
    savepoint_open = False
    for sql in statements:
        if sql.startswith("SAVEPOINT"):
            savepoint_open = True
        elif sql.startswith("RELEASE SAVEPOINT") or sql.startswith("ROLLBACK TO SAVEPOINT"):
            savepoint_open = False
        elif _is_lock(sql):
            assert savepoint_open, f"lock taken outside the service's transaction: {sql}"
            assert sql.endswith(LOCK_SUFFIX), f"lock must be FOR UPDATE OF the level table only: {sql}"
            assert ORDER_BY_PK in sql, f"lock must order by primary key: {sql}"
            locks.append(sql)
            locked.update(_locked_ids(sql))
        elif _is_level_update(sql):
            match = UPDATE_ID.match(sql)
            assert match, f"a level must be updated by primary key: {sql}"
            level_id = int(match.group(1))
            assert savepoint_open, f"level updated outside the service's transaction: {sql}"
            assert level_id in locked, f"level {level_id} updated before it was locked: {sql}"
            updated.append(level_id)
    assert locks, "no SELECT ... FOR UPDATE on the stock levels"
    assert updated, "no UPDATE of a stock level"
    return locks, updated


def _first_index(statements: list[str], predicate) -> int:
    return next(i for i, sql in enumerate(statements) if predicate(sql))


def test_stock_adjust_locks_the_level_before_updating_it(stocked):
    level = stocked(10)
    variant, location = level.variant, level.location

    with CaptureQueriesContext(connection) as ctx:
        stock_adjust(variant=variant, location=location, quantity=-2, type="SALE", reason="Till")

    statements = _statements(ctx)
    locks, updated = _check_locked_before_updated(statements)
    assert len(locks) == 1
    assert _locked_ids(locks[0]) == [level.pk]
    assert updated == [level.pk]
    assert _first_index(statements, _is_lock) < _first_index(statements, _is_level_update)


def test_stock_adjust_on_a_new_level_locks_it_after_creating_it(variant, default_location):
    with CaptureQueriesContext(connection) as ctx:
        change = stock_adjust(variant=variant, location=default_location, quantity=3, type="RESTOCK", reason="New")

    statements = _statements(ctx)
    locks, updated = _check_locked_before_updated(statements)
    assert updated == [change.level.pk]
    insert = _first_index(statements, lambda s: s.startswith(f"INSERT INTO {LEVEL_TABLE}"))
    last_lock = max(i for i, sql in enumerate(statements) if _is_lock(sql))
    assert insert < last_lock < _first_index(statements, _is_level_update)


@pytest.mark.parametrize("expected_on_hand", [None, 10])
def test_stock_count_locks_the_level_before_updating_it(stocked, expected_on_hand):
    level = stocked(10)
    variant, location = level.variant, level.location

    with CaptureQueriesContext(connection) as ctx:
        stock_count(variant=variant, location=location, counted=4, reason="Count", expected_on_hand=expected_on_hand)

    locks, updated = _check_locked_before_updated(_statements(ctx))
    assert len(locks) == 1
    assert _locked_ids(locks[0]) == [level.pk]
    assert updated == [level.pk]


def _transfer_sql(source: StockLevel, target: StockLevel) -> tuple[list[str], list[int]]:
    variant, from_location, to_location = source.variant, source.location, target.location
    with CaptureQueriesContext(connection) as ctx:
        stock_transfer(variant=variant, from_location=from_location, to_location=to_location, quantity=3, reason="Move")
    return _check_locked_before_updated(_statements(ctx))


def test_stock_transfer_locks_both_levels_in_one_statement_in_pk_order(stocked, other_location):
    source = stocked(10)
    target = stocked(5, location=other_location, variant=source.variant)
    assert source.pk < target.pk

    locks, updated = _transfer_sql(source, target)

    assert len(locks) == 1
    assert _locked_ids(locks[0]) == [source.pk, target.pk]
    assert updated == [source.pk, target.pk]


def test_stock_transfer_to_a_level_with_a_smaller_id_still_locks_ascending(stocked, other_location):
    target = stocked(5, location=other_location)
    source = stocked(10, variant=target.variant)
    assert target.pk < source.pk

    locks, updated = _transfer_sql(source, target)

    assert len(locks) == 1
    assert _locked_ids(locks[0]) == [target.pk, source.pk]
    assert ORDER_BY_PK in locks[0]
    assert sorted(updated) == [target.pk, source.pk]


def test_stock_transfer_to_a_new_level_locks_it_with_the_source(stocked, other_location):
    source = stocked(10)

    with CaptureQueriesContext(connection) as ctx:
        stock_transfer(variant=source.variant, from_location=source.location, to_location=other_location, quantity=3,
                       reason="Move")

    statements = _statements(ctx)
    locks, updated = _check_locked_before_updated(statements)
    target = StockLevel.objects.get(variant=source.variant, location=other_location)
    assert len(locks) == 1
    assert _locked_ids(locks[0]) == [source.pk, target.pk]
    assert _first_index(statements, lambda s: s.startswith(f"INSERT INTO {LEVEL_TABLE}")) < statements.index(locks[0])


def test_stock_levels_lock_orders_any_ids_ascending(stocked, other_location):
    """The lock helper itself: whatever order the caller passes, the statement asks in pk order."""
    from inventory.ledger.locks import stock_levels_for_update

    levels = [stocked(1), stocked(1), stocked(1, location=other_location)]
    ids = [levels[2].pk, levels[0].pk, levels[1].pk, levels[0].pk]

    with CaptureQueriesContext(connection) as ctx:
        locked = list(stock_levels_for_update(ids=ids))

    (sql,) = _statements(ctx)
    assert _is_lock(sql) and sql.endswith(LOCK_SUFFIX) and ORDER_BY_PK in sql
    assert _locked_ids(sql) == sorted({level.pk for level in levels})
    assert [level.pk for level in locked] == sorted({level.pk for level in levels})

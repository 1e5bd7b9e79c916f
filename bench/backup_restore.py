"""backup_restore: our backup and restore of 100,000 variants and 1,000,000 stock movements,
beside Django's dumpdata/loaddata and pg_dump/pg_restore of the same tables, in one run.

Two databases of their own, named after the bench database (DATABASE_URL's name, e.g.
stockroom_bench): `<name>_backups`, the source, and `<name>_backups_restore`, the empty
target every load goes into. The bench database itself is not used: the other benchmarks
leave rows in it (their variants, ledger rows linked to sales orders) that would change
what a backup of whole sections holds from one run to the next. Both are created and
migrated when missing; a target whose indexes or constraints differ from the source's
(a run stopped half-way through the pg_restore step) is dropped and made again.

The source is filled once with set-based SQL (the tables' foreign keys and secondary
indexes are dropped, the rows inserted, the indexes built and the keys validated, in one
transaction: about 30 s) and reused while its row counts are right: 8 categories, 20,000
products, 100,000 variants, one location, 100,000 levels and ten movements per level,
ids in time order across levels. Every level's on_hand is the sum of its movements'
deltas and each movement's quantity_before is the previous one's quantity_after;
`verify_ledger` runs once after generating to prove it.

Measured, each after a CHECKPOINT, with the target's tables emptied before each load:

- `backup`: `backup_create(sections=["catalogue", "stock"])` on the source, in a child
  process (seconds inside it, without Python's start-up); every row of those sections;
- `restore`: `backup_restore(source=<that archive>, dry_run=False)` into the empty target,
  in a child process pointed at it (verify, AUTO backup, load, sequences, verify_ledger);
  the target's tables are then compared with the source's (row counts and row hashes);
- `dumpdata`: `dumpdata --format jsonl -o FILE` of the same models, on a subset: the first
  BENCH_DUMPDATA_LEVELS levels (default 10,000) with their variants, products and
  movements (one `dumpdata --pks` per model), every row of the other models; the whole
  set runs for minutes at dumpdata's few thousand rows/s;
- `loaddata`: `loaddata` of the first BENCH_LOADDATA_LEVELS levels (default 1,000) of that
  file, with their rows as above (about 12,000 rows; loaddata runs at a few hundred rows/s);
- `pg_dump`: `pg_dump -Fc -t <the same tables>` of the source, every row;
- `pg_restore`: `pg_restore --data-only --single-transaction` of it into the empty target,
  with the target's foreign keys and secondary indexes dropped before and rebuilt
  (validated) after, inside the timing: the order a full pg_restore uses. Into the tables
  as migrated it queues a foreign-key check per row and updates 17 indexes per movement,
  about ten times slower (10,000 rows/s measured here), which would make the comparison
  meaningless.

Our engine and Django's commands also report their process's CPU seconds and peak RSS
(sampled). Ratio lines follow: backup vs dumpdata (target >= 2), restore vs loaddata
(target >= 20), and backup and restore against pg_dump/pg_restore as `slower_than_pg_x`
(aim <= 10). A failing backup or restore is reported as a line with `error` and the
baselines still run.

Environment: BENCH_DUMPDATA_LEVELS (default 10,000), BENCH_LOADDATA_LEVELS (default 1,000).
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import log

SECTIONS = ["catalogue", "stock"]
LEVELS = 100_000
VARIANTS_PER_PRODUCT = 5
MOVEMENTS_PER_LEVEL = 10
CATEGORIES = [
    (1, "Bench Furniture", None), (2, "Bench Decor", None),
    (3, "Desks", 1), (4, "Seating", 1), (5, "Storage", 1),
    (6, "Lighting", 2), (7, "Textiles", 2), (8, "Accents", 2),
]
# What the source holds, per model, when it is ready to use.
EXPECTED = {
    "inventory.category": len(CATEGORIES),
    "inventory.product": LEVELS // VARIANTS_PER_PRODUCT,
    "inventory.variant": LEVELS,
    "inventory.location": 1,
    "inventory.stocklevel": LEVELS,
    "inventory.stockmovement": LEVELS * MOVEMENTS_PER_LEVEL,
}
TARGET_BACKUP_VS_DUMPDATA = 2.0
TARGET_RESTORE_VS_LOADDATA = 20.0
AIM_VS_PG = 10.0

ADJECTIVES = ["Classic", "Compact", "Deluxe", "Rustic", "Modern", "Vintage", "Sturdy", "Slim", "Heavy-duty", "Foldable",
              "Portable", "Premium", "Everyday", "Outdoor", "Nordic", "Urban", "Studio", "Travel", "Mini", "Grand"]
MATERIALS = ["Oak", "Walnut", "Steel", "Linen", "Cotton", "Leather", "Bamboo", "Ceramic", "Glass", "Wool"]
NOUNS = ["Desk", "Chair", "Lamp", "Shelf", "Stool", "Basket", "Mirror", "Bench", "Rug", "Cushion", "Vase", "Clock",
         "Tray", "Bowl", "Crate", "Hook", "Frame", "Planter", "Trolley", "Cabinet", "Throw", "Blanket", "Bin",
         "Organizer", "Rack"]
SIZES = ["XS", "S", "M", "L", "XL"]
COLOURS = ["Blue", "Green", "Red", "Black", "White", "Grey", "Oak"]


def _env_int(name: str, default: int, *, minimum: int = 1) -> int:
    value = os.environ.get(name, "")
    try:
        number = int(value) if value else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise SystemExit(f"{name} must be at least {minimum}")
    return number


# --- the two databases ---------------------------------------------------------------

def _url_with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def database_urls() -> tuple[str, str]:
    """(source, target) URLs, named after DATABASE_URL's database."""
    url = os.environ.get("DATABASE_URL", "")
    name = urlsplit(url).path.lstrip("/")
    if not url.startswith(("postgres://", "postgresql://")) or not name:
        raise SystemExit("backup_restore needs PostgreSQL: set DATABASE_URL=postgres://USER@HOST:PORT/NAME")
    return _url_with_name(url, f"{name}_backups"), _url_with_name(url, f"{name}_backups_restore")


def _connect(url: str, *, autocommit: bool = False):
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=autocommit)


def _database_ensure(url: str, *, recreate: bool = False) -> None:
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with _connect(_url_with_name(url, "postgres"), autocommit=True) as conn:
        if recreate:
            log(f"dropping database {name}: its schema differs from the source's")
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            log(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _schema(url: str) -> list[str]:
    """Every index and constraint of the public schema, as SQL: two databases migrated alike
    give the same list."""
    with _connect(url) as conn:
        rows = conn.execute(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
            " WHERE c.relnamespace = 'public'::regnamespace"
            " UNION ALL SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE connamespace = 'public'::regnamespace").fetchall()
    return sorted(row[0] for row in rows)


def _child_env(url: str) -> dict:
    env = os.environ.copy()
    env["DATABASE_URL"] = url
    return env


def _migrate(url: str) -> None:
    """Apply the project's migrations unless the database already has every one of them."""
    from django.db.migrations.loader import MigrationLoader

    on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    with _connect(url) as conn:
        known = conn.execute("SELECT to_regclass('django_migrations') IS NOT NULL").fetchone()[0]
        applied = set(conn.execute("SELECT app, name FROM django_migrations").fetchall()) if known else set()
    if on_disk <= applied:
        return
    log(f"migrating {urlsplit(url).path.lstrip('/')}")
    manage = Path(__file__).resolve().parent.parent / "manage.py"
    child = subprocess.run([sys.executable, str(manage), "migrate", "--no-input", "-v0"], env=_child_env(url),
                           capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise SystemExit(f"migrating {urlsplit(url).path.lstrip('/')} failed:\n{child.stderr}")


def _checkpoint(url: str) -> None:
    """Write dirty pages out before a timed step, so no step pays for the one before it."""
    with _connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


# --- the source data -----------------------------------------------------------------

def _tables(labels: list[str]) -> list[str]:
    from django.apps import apps

    return [apps.get_model(label)._meta.db_table for label in labels]


def _counts(conn, labels: list[str]) -> dict[str, int]:
    return {label: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            for label, table in zip(labels, _tables(labels))}


def source_ensure(url: str) -> bool:
    """Fill the source unless it already holds exactly the bench data; True when generated."""
    with _connect(url) as conn:
        if _counts(conn, list(EXPECTED)) == EXPECTED:
            return False
        log(f"generating {LEVELS:,} variants and {LEVELS * MOVEMENTS_PER_LEVEL:,} movements with set-based SQL")
        _generate(conn)
        conn.commit()
    with _connect(url, autocommit=True) as conn:
        for table in _tables(list(EXPECTED)):
            conn.execute(f'VACUUM ANALYZE "{table}"')
    log("verify_ledger on the generated source")
    manage = Path(__file__).resolve().parent.parent / "manage.py"
    child = subprocess.run([sys.executable, str(manage), "verify_ledger"], env=_child_env(url),
                           capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise SystemExit(f"verify_ledger failed on the generated source:\n{child.stdout}{child.stderr}")
    log(child.stdout.strip())
    return True


def _generate(conn) -> None:
    tables = ", ".join(f'"{table}"' for table in _tables(list(EXPECTED)))
    products = LEVELS // VARIANTS_PER_PRODUCT
    conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    conn.execute("SET LOCAL TimeZone = 'UTC'")
    rebuild = _constraints_lift(conn, _tables(list(EXPECTED)))
    conn.execute("CREATE TEMP TABLE bench_clock ON COMMIT DROP AS SELECT timestamptz '2026-01-05 08:00:00+00' AS t0")
    for pk, name, parent in CATEGORIES:
        conn.execute("INSERT INTO inventory_category (id, created_at, updated_at, name, parent_id)"
                     " SELECT %s, t0, t0, %s, %s FROM bench_clock", (pk, name, parent))
    conn.execute("INSERT INTO inventory_location (id, created_at, updated_at, code, name, active, is_default)"
                 " SELECT 1, t0, t0, 'main', 'Main warehouse', true, true FROM bench_clock")
    conn.execute(
        """
        INSERT INTO inventory_product (id, created_at, updated_at, name, description, price, cost, active,
                                       track_inventory, category_id)
        SELECT i, t0, t0,
               (%(adjectives)s::text[])[1 + i %% 20] || ' ' || (%(materials)s::text[])[1 + (i / 20) %% 10] || ' '
                   || (%(nouns)s::text[])[1 + (i / 200) %% 25] || ' ' || lpad(i::text, 5, '0'),
               'Backup bench product ' || i || '. Solid, simple and made to last.',
               10 + (i %% 500) / 10.0, round((10 + (i %% 500) / 10.0) * 0.4, 2),
               i %% 50 <> 0, true, 3 + i %% 6
        FROM generate_series(1, %(products)s) AS i, bench_clock
        """,
        {"adjectives": ADJECTIVES, "materials": MATERIALS, "nouns": NOUNS, "products": products},
    )
    conn.execute(
        """
        INSERT INTO inventory_variant (id, created_at, updated_at, sku, attributes, barcode, price, cost, active,
                                       product_id)
        SELECT v, t0, t0, 'BR-' || lpad(v::text, 6, '0'),
               jsonb_build_object('size', (%(sizes)s::text[])[1 + (v - 1) %% 5],
                                  'colour', (%(colours)s::text[])[1 + ((v - 1) / 5) %% 7]),
               '7' || lpad(v::text, 12, '0'),
               CASE WHEN v %% 4 = 0 THEN 12.50 + v %% 100 END,
               CASE WHEN v %% 4 = 0 THEN 5.00 + v %% 40 END,
               v %% 97 <> 0, (v - 1) / %(per_product)s + 1
        FROM generate_series(1, %(levels)s) AS v, bench_clock
        """,
        {"sizes": SIZES, "colours": COLOURS, "levels": LEVELS, "per_product": VARIANTS_PER_PRODUCT},
    )
    # Movement k (1..10) of level l: an opening restock, then sales, restocks and one
    # adjustment; ids (and times) run round by round across all levels, as a ledger fills.
    conn.execute(
        """
        CREATE TEMP TABLE bench_moves ON COMMIT DROP AS
        SELECT l, k, (k - 1) * %(levels)s + l AS id,
               CASE WHEN k = 1 THEN 'RESTOCK' WHEN k %% 2 = 0 THEN 'SALE' WHEN k = 5 THEN 'ADJUSTMENT'
                    ELSE 'RESTOCK' END AS type,
               CASE WHEN k = 1 THEN 20 + l %% 80 WHEN k %% 2 = 0 THEN -(1 + (l + k) %% 3)
                    WHEN k = 5 THEN CASE WHEN l %% 2 = 0 THEN -1 ELSE 2 END
                    ELSE 1 + (l + k) %% 4 END AS delta
        FROM generate_series(1, %(levels)s) AS l, generate_series(1, %(per_level)s) AS k
        """,
        {"levels": LEVELS, "per_level": MOVEMENTS_PER_LEVEL},
    )
    conn.execute(
        """
        INSERT INTO inventory_stocklevel (id, on_hand, reserved, low_stock_threshold, reorder_quantity, updated_at,
                                          location_id, variant_id)
        SELECT l, sum(delta), 0, 10, CASE WHEN l %% 10 = 0 THEN 50 ELSE 0 END,
               t0 + %(per_level)s * %(levels)s * interval '1 second', 1, l
        FROM bench_moves, bench_clock GROUP BY l, t0 ORDER BY l
        """,
        {"levels": LEVELS, "per_level": MOVEMENTS_PER_LEVEL},
    )
    conn.execute(
        """
        INSERT INTO inventory_stockmovement (id, type, delta, quantity_before, quantity_after, reason, notes,
                                             reference, idempotency_key, created_at, level_id, location_id,
                                             variant_id)
        SELECT id, type, delta, after - delta, after,
               CASE type WHEN 'SALE' THEN 'Shop sale' WHEN 'ADJUSTMENT' THEN 'Cycle count correction'
                         ELSE 'Supplier delivery' END,
               CASE WHEN type = 'ADJUSTMENT' THEN 'Found on the wrong shelf.' ELSE '' END,
               CASE WHEN type = 'RESTOCK' THEN 'DEL-' || lpad(id::text, 7, '0') ELSE '' END,
               CASE WHEN type = 'SALE' AND id % 5 = 0 THEN 'bench-sale-' || id END,
               t0 + id * interval '1 second', l, 1, l
        FROM (SELECT *, sum(delta) OVER (PARTITION BY l ORDER BY k) AS after FROM bench_moves) AS m, bench_clock
        ORDER BY id
        """
    )
    for table in _tables(list(EXPECTED)):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                     f' (SELECT max(id) FROM "{table}"))')
    rebuild()


def _constraints_lift(conn, tables: list[str]):
    """Drop the foreign keys and the secondary indexes (not those behind a primary key or unique
    constraint) of `tables`; return a function that puts them back as they were.

    Filling a table and then building its indexes and checking its foreign keys in one pass
    each is several times faster than maintaining 17 indexes and queueing a foreign-key
    check per row. Inside one transaction (as when generating the source) a failure leaves
    the schema as it was.
    """
    oids = [f'"{table}"' for table in tables]
    foreign_keys = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])", (oids,)).fetchall()
    indexes = conn.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE x.indrelid = ANY(%s::regclass[])"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)", (oids,)).fetchall()
    for table, name, _definition in foreign_keys:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        conn.execute(f'DROP INDEX "{name}"')

    def rebuild() -> None:
        for _name, definition in indexes:
            conn.execute(definition)
        for table, name, definition in foreign_keys:
            conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    return rebuild


# --- comparing the target with the source ----------------------------------------------

def _fingerprints(url: str, tables: list[str]) -> dict[str, tuple[int, int]]:
    """Per table: rows and the sum of a hash of each row's text (order-independent)."""
    with _connect(url) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        return {table: tuple(conn.execute(
            f'SELECT count(*), coalesce(sum(hashtext(t::text)::bigint), 0) FROM "{table}" AS t').fetchone())
            for table in tables}


def _target_empty(url: str, tables: list[str]) -> None:
    """Empty the target's tables (and its backup records, which the AUTO backup writes)."""
    from django.apps import apps

    extra = [model._meta.db_table for model in apps.get_app_config("backups").get_models()]
    names = ", ".join(f'"{table}"' for table in [*tables, *extra])
    with _connect(url) as conn:
        conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        conn.commit()


# --- child processes (Django pointed at one database) ----------------------------------

class ChildFailed(RuntimeError):
    def __init__(self, op: str, stderr: str):
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        self.summary = lines[-1] if lines else "no output"
        super().__init__(f"backup_restore {op} failed:\n{stderr[-4000:]}")


def _child(op: str, url: str, **args) -> dict:
    child = subprocess.run([sys.executable, "-m", "bench.backup_restore", op], input=json.dumps(args),
                           env=_child_env(url), capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise ChildFailed(op, child.stderr)
    return json.loads(child.stdout.strip().splitlines()[-1])


class _Timed:
    """Wall and CPU seconds of the block, and the process's peak RSS while it ran (sampled)."""

    def __enter__(self) -> "_Timed":
        from bench.exports import RssSampler

        self._memory = RssSampler().__enter__()
        self._began, self._cpu_began = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._began
        self.cpu_seconds = time.process_time() - self._cpu_began
        self._memory.__exit__(*exc)
        self.peak_rss_mb = round(self._memory.peak / 2**20, 1)

    def figures(self) -> dict:
        return {"seconds": self.seconds, "cpu_seconds": self.cpu_seconds, "peak_rss_mb": self.peak_rss_mb}


def child_backup(args: dict) -> dict:
    from backups.models import BackupKind
    from backups.services import backup_create

    with _Timed() as timed:
        backup = backup_create(kind=BackupKind.MANUAL, sections=args["sections"])
    return {**timed.figures(), "backup_id": backup.pk, "file_name": backup.file_name, "size": backup.size,
            "counts": backup.counts, "encrypted": backup.encrypted, "status": backup.status}


def child_restore(args: dict) -> dict:
    from django.core.files.storage import storages

    from backups.services import backup_restore

    storage = storages["backups"]
    with storage.open(args["file_name"], "rb") as source, _Timed() as timed:
        report = backup_restore(source=source, dry_run=False, conflict=None)
    auto = report.auto_backup
    if auto is not None:
        if auto.file_name:
            storage.delete(auto.file_name)
        auto.delete()
    return {**timed.figures(), "ok": report.ok, "message": report.message, "ledger_ok": report.ledger_ok}


def child_dumpdata(args: dict) -> dict:
    """dumpdata of each model to its own file: all its rows, or the rows with the given pks."""
    from django.core.management import call_command

    with _Timed() as timed:
        for label, pks, path in args["dumps"]:
            options = {"pks": ",".join(str(pk) for pk in pks)} if pks is not None else {}
            call_command("dumpdata", label, format="jsonl", output=path, verbosity=0, **options)
    return timed.figures()


def child_loaddata(args: dict) -> dict:
    from django.core.management import call_command

    with _Timed() as timed:
        call_command("loaddata", args["path"], verbosity=0)
    return timed.figures()


CHILDREN = {"backup": child_backup, "restore": child_restore, "dumpdata": child_dumpdata, "loaddata": child_loaddata}


# --- the dumpdata and loaddata subsets -------------------------------------------------

def subset_pks(url: str, *, levels: int) -> dict[str, list[int]]:
    """The pks of the first `levels` levels, their variants, products and movements."""
    with _connect(url) as conn:
        level_rows = conn.execute("SELECT id, variant_id FROM inventory_stocklevel ORDER BY id LIMIT %s",
                                  (levels,)).fetchall()
        level_ids = [row[0] for row in level_rows]
        variant_ids = sorted({row[1] for row in level_rows})
        products = conn.execute("SELECT DISTINCT product_id FROM inventory_variant WHERE id = ANY(%s) ORDER BY 1",
                                (variant_ids,)).fetchall()
        movements = conn.execute("SELECT id FROM inventory_stockmovement WHERE level_id = ANY(%s) ORDER BY id",
                                 (level_ids,)).fetchall()
    return {"inventory.stocklevel": level_ids, "inventory.variant": variant_ids,
            "inventory.product": [row[0] for row in products], "inventory.stockmovement": [row[0] for row in movements]}


def fixture_subset(files: list[Path], target: Path, *, levels: int) -> int:
    """From the dumpdata files, the lines of the first `levels` levels (by pk), their variants,
    products and movements, and every row of the other models; returns the rows written."""
    by_model: dict[str, list[dict]] = {}
    for path in files:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    row = json.loads(line)
                    by_model.setdefault(row["model"], []).append(row)
    kept_levels = sorted(by_model.pop("inventory.stocklevel", []), key=lambda row: row["pk"])[:levels]
    level_pks = {row["pk"] for row in kept_levels}
    variant_pks = {row["fields"]["variant"] for row in kept_levels}
    variants = [row for row in by_model.pop("inventory.variant", []) if row["pk"] in variant_pks]
    product_pks = {row["fields"]["product"] for row in variants}
    chosen = {
        **by_model,
        "inventory.product": [row for row in by_model.get("inventory.product", []) if row["pk"] in product_pks],
        "inventory.variant": variants,
        "inventory.stocklevel": kept_levels,
        "inventory.stockmovement": [row for row in by_model.get("inventory.stockmovement", [])
                                    if row["fields"]["level"] in level_pks],
    }
    rows = 0
    with target.open("w", encoding="utf-8") as out:
        for model_rows in chosen.values():
            for row in model_rows:
                out.write(json.dumps(row) + "\n")
                rows += 1
    return rows


# --- the benchmark ---------------------------------------------------------------------

def _record(op: str, rows: int, seconds: float, **extra) -> dict:
    return {"bench": "backup_restore", "op": op, "rows": rows, "seconds": round(seconds, 3),
            "rows_per_s": round(rows / seconds) if seconds else 0, **extra}


def _process_figures(result: dict) -> dict:
    return {"cpu_seconds": round(result["cpu_seconds"], 3), "peak_rss_mb": result["peak_rss_mb"]}


def _engine_ready() -> str | None:
    """None when backups.services offers backup_create and backup_restore, else why not."""
    try:
        from backups import services
    except ImportError as exc:
        return f"backups.services cannot be imported ({exc})"
    missing = [name for name in ("backup_create", "backup_restore") if not hasattr(services, name)]
    return f"backups.services has no {', '.join(missing)}" if missing else None


def backup_restore() -> Iterator[dict]:
    dumpdata_levels = _env_int("BENCH_DUMPDATA_LEVELS", 10_000)
    loaddata_levels = min(dumpdata_levels, _env_int("BENCH_LOADDATA_LEVELS", 1_000))
    source_url, target_url = database_urls()
    began = time.perf_counter()
    for url in (source_url, target_url):
        _database_ensure(url)
        _migrate(url)
    if _schema(target_url) != _schema(source_url):
        # e.g. an earlier run stopped while the target's foreign keys were lifted for pg_restore
        _database_ensure(target_url, recreate=True)
        _migrate(target_url)
    generated = source_ensure(source_url)
    yield {"bench": "backup_restore", "op": "setup", "seconds": round(time.perf_counter() - began, 3),
           "generated": generated, "source": urlsplit(source_url).path.lstrip("/"),
           "target": urlsplit(target_url).path.lstrip("/"), "counts": EXPECTED}

    labels = list(EXPECTED)
    work = Path(tempfile.mkdtemp(prefix="bench-backup-restore-"))
    rates: dict[str, float] = {}
    try:
        labels = (yield from _ours(source_url, target_url, rates)) or labels
        tables = _tables(labels)
        source_prints = _fingerprints(source_url, tables)
        all_rows = sum(rows for rows, _hash in source_prints.values())

        # --- dumpdata / loaddata, on subsets: both run at thousands of rows/s ---
        pks = subset_pks(source_url, levels=dumpdata_levels)
        dumps = [(label, pks.get(label), str(work / f"{label}.jsonl")) for label in labels]
        dump_rows = sum(len(pks[label]) if label in pks else source_prints[table][0]
                        for label, table in zip(labels, tables))
        _checkpoint(source_url)
        log(f"dumpdata of {len(labels)} models, a {dump_rows:,}-row subset")
        dumped = _child("dumpdata", source_url, dumps=dumps)
        dump_files = [Path(path) for _label, _pks, path in dumps]
        dump_bytes = sum(path.stat().st_size for path in dump_files)
        rates["dumpdata"] = dump_rows / dumped["seconds"]
        yield _record("dumpdata", dump_rows, dumped["seconds"], subset=True, file_bytes=dump_bytes,
                      file_mb=round(dump_bytes / 2**20, 1), format="jsonl",
                      note=(f"a subset: the first {dumpdata_levels:,} levels with their variants, products and "
                            f"movements, all rows of the other models (the whole {all_rows:,} rows would take "
                            "minutes); rows_per_s measured on it"),
                      **_process_figures(dumped))

        subset = work / "subset.jsonl"
        subset_rows = fixture_subset(dump_files, subset, levels=loaddata_levels)
        _target_empty(target_url, tables)
        _checkpoint(target_url)
        log(f"loaddata of a {subset_rows:,}-row subset into the empty target")
        loaded = _child("loaddata", target_url, path=str(subset))
        with _connect(target_url) as conn:
            loaded_rows = sum(_counts(conn, labels).values())
        if loaded_rows != subset_rows:
            raise RuntimeError(f"loaddata left {loaded_rows} rows in the target, expected {subset_rows}")
        rates["loaddata"] = subset_rows / loaded["seconds"]
        yield _record("loaddata", subset_rows, loaded["seconds"], subset=True,
                      note=(f"a subset: the first {loaddata_levels:,} levels with their variants, products and "
                            "movements, every category and location; rows_per_s measured on it"),
                      **_process_figures(loaded))

        # --- pg_dump / pg_restore, every row ---
        archive = work / "pg.dump"
        _checkpoint(source_url)
        log(f"pg_dump -Fc of the same tables ({all_rows:,} rows)")
        pg_began = time.perf_counter()
        _run(["pg_dump", "-Fc", "-f", str(archive), *[arg for table in tables for arg in ("-t", table)],
              "-d", _libpq(source_url)])
        seconds = time.perf_counter() - pg_began
        rates["pg_dump"] = all_rows / seconds
        yield _record("pg_dump", all_rows, seconds, archive_bytes=archive.stat().st_size,
                      archive_mb=round(archive.stat().st_size / 2**20, 1))

        _target_empty(target_url, tables)
        _checkpoint(target_url)
        log("pg_restore --data-only into the empty target (foreign keys and secondary indexes rebuilt after)")
        seconds = _pg_restore(target_url, archive, tables)
        rates["pg_restore"] = all_rows / seconds
        yield _record("pg_restore", all_rows, seconds,
                      content_equal=_fingerprints(target_url, tables) == source_prints,
                      mode=("--data-only --single-transaction into the migrated target with its foreign keys and "
                            "secondary indexes dropped first and rebuilt after (included), as a full pg_restore "
                            "orders the work"))
        _target_empty(target_url, tables)

        yield from _ratios(rates)
    finally:
        for leftover in work.iterdir():
            leftover.unlink()
        work.rmdir()


def _ours(source_url: str, target_url: str, rates: dict[str, float]) -> Generator[dict, None, list[str] | None]:
    """Our backup of the source and its restore into the empty target; returns the models the
    backup holds (None when there is no backup). A failure is reported as a record with
    `error`, and the baselines still run."""
    from django.core.files.storage import storages

    why_not = _engine_ready()
    if why_not:
        log(f"skipping our backup and restore: {why_not}")
        return None
    _checkpoint(source_url)
    log(f"backup_create of {', '.join(SECTIONS)} on the source")
    try:
        made = _child("backup", source_url, sections=SECTIONS)
    except ChildFailed as error:
        log(str(error))
        yield {"bench": "backup_restore", "op": "backup", "error": error.summary}
        return None
    try:
        counts = made["counts"] or {}
        rows = sum(counts.values())
        # dumpdata and pg_dump take the models the backup holds, so all three move the same rows.
        labels = [label for label in counts if _model_known(label)]
        rates["backup"] = rows / made["seconds"]
        yield _record("backup", rows, made["seconds"], archive_bytes=made["size"],
                      archive_mb=round(made["size"] / 2**20, 1), encrypted=made["encrypted"], sections=SECTIONS,
                      models=len(counts), empty_models=sorted(label for label, n in counts.items() if not n),
                      **_process_figures(made))
        tables = _tables(labels)
        source_prints = _fingerprints(source_url, tables)
        _target_empty(target_url, tables)
        _checkpoint(target_url)
        log("backup_restore of that archive into the empty target")
        try:
            restored = _child("restore", target_url, file_name=made["file_name"])
        except ChildFailed as error:
            log(str(error))
            yield {"bench": "backup_restore", "op": "restore", "rows": rows, "error": error.summary}
            return labels
        target_prints = _fingerprints(target_url, tables)
        different = [table for table in tables if source_prints[table] != target_prints[table]]
        rates["restore"] = rows / restored["seconds"]
        yield _record("restore", rows, restored["seconds"], ok=restored["ok"], ledger_ok=restored["ledger_ok"],
                      content_equal=not different, tables_different=different, message=restored["message"],
                      **_process_figures(restored))
        return labels
    finally:
        storages["backups"].delete(made["file_name"])
        with _connect(source_url) as conn:
            conn.execute("DELETE FROM backups_backup WHERE id = %s", (made["backup_id"],))
            conn.commit()


def _model_known(label: str) -> bool:
    from django.apps import apps

    try:
        apps.get_model(label)
    except (LookupError, ValueError):
        return False
    return True


def _pg_restore(url: str, archive: Path, tables: list[str]) -> float:
    """pg_restore the archive's rows into the empty target, its foreign keys and secondary
    indexes lifted before and rebuilt (foreign keys validated) after; returns the seconds.

    Into the tables as migrated, every row would also queue a deferred foreign-key check and
    update 17 indexes on the movements table: about ten times slower.
    """
    with _connect(url) as conn:
        began = time.perf_counter()
        rebuild = _constraints_lift(conn, tables)
        conn.commit()
        try:
            _run(["pg_restore", "--data-only", "--single-transaction", "--exit-on-error", "-d", _libpq(url),
                  str(archive)])
        except BaseException:
            conn.rollback()
            conn.execute("TRUNCATE " + ", ".join(f'"{table}"' for table in tables) + " CASCADE")
            rebuild()
            conn.commit()
            raise
        rebuild()
        conn.commit()
        return time.perf_counter() - began


def _libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def _run(command: list[str]) -> None:
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise RuntimeError(f"{command[0]} failed:\n{child.stderr[-4000:]}")


def _ratios(rates: dict[str, float]) -> Iterator[dict]:
    def ratio(case: str, value: float, **extra) -> dict:
        return {"bench": "backup_restore", "op": "ratio", "case": case, "value": round(value, 2), **extra}

    if "backup" in rates:
        value = rates["backup"] / rates["dumpdata"]
        yield ratio("backup_vs_dumpdata", value, target=TARGET_BACKUP_VS_DUMPDATA,
                    meets_target=value >= TARGET_BACKUP_VS_DUMPDATA)
        value = rates["pg_dump"] / rates["backup"]
        yield ratio("backup_vs_pg_dump", rates["backup"] / rates["pg_dump"], slower_than_pg_x=round(value, 2),
                    aim_slower_than_pg_x=AIM_VS_PG, meets_aim=value <= AIM_VS_PG)
    if "restore" in rates:
        value = rates["restore"] / rates["loaddata"]
        yield ratio("restore_vs_loaddata", value, target=TARGET_RESTORE_VS_LOADDATA,
                    meets_target=value >= TARGET_RESTORE_VS_LOADDATA,
                    note="loaddata rows_per_s measured on a subset")
        value = rates["pg_restore"] / rates["restore"]
        yield ratio("restore_vs_pg_restore", rates["restore"] / rates["pg_restore"],
                    slower_than_pg_x=round(value, 2), aim_slower_than_pg_x=AIM_VS_PG, meets_aim=value <= AIM_VS_PG)


if __name__ == "__main__":
    # A child process: python -m bench.backup_restore OP, its arguments as JSON on stdin and
    # DATABASE_URL set to the database it works on; prints one JSON line.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    print(json.dumps(CHILDREN[sys.argv[1]](json.loads(sys.stdin.read()))), flush=True)

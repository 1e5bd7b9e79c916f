"""import_products: rows per second importing a 100,000-row products CSV.

The file is written in the `IMPORT_COLUMNS["products"]` format (what the products
export writes and the template shows): 20,000 products × 5 variants, SKUs
`BENCH-IMP-000000`..., in six categories under "Bench Import". Three things are timed on
the same bytes:

- `copy`: a raw `COPY ... FROM STDIN (FORMAT csv)` of the file into a temporary table
  of text columns. Nothing is parsed, checked or looked up: the floor.
- `django_import_export`: django-import-export 4.4.3, a `ModelResource` for Variant
  with its fastest documented settings (`use_bulk=True`, `skip_diff=True`,
  `batch_size=1000`, `CachedInstanceLoader` so existing variants are fetched in one
  query, no model cleaning, no skipped-row report). It cannot create the parent product
  from a variant row, so the products are bulk-created before the clock starts and the
  resource resolves the product column by name from a dict loaded once; it does not
  handle categories, product fields, row-level validation across the file, unchanged
  detection or undo records. It runs fresh (all creates) and again with changed prices
  (all updates), on the same rows as ours (BENCH_DIE_ROWS makes it a smaller slice of
  the file: it takes minutes on the whole of it).
- `stockroom`: our importer, `import_job_create` + `import_job_validate` + processing,
  UPSERT, all-or-nothing: first into an empty catalogue (creates products and variants),
  then a second file with every price and description changed (all updates). Validation
  is included in the time and also reported on its own.
- `stockroom_undo_*`: undoing those two imports from their pages' service, newest first
  (the updates get their old values back, then the created records are deleted).

Each measurement prints one JSON line with rows, seconds, rows_per_s and the ratios to
COPY and to the best django-import-export figure. Everything the benchmark creates
(variants, products, categories, import jobs and their stored files) is removed at the
start and the end, so reruns start the same.

Environment: BENCH_IMPORT_ROWS (default 100,000), BENCH_DIE_ROWS (default: all of them).
"""
import csv
import io
import os
import time
from collections.abc import Iterator
from decimal import Decimal

from bench.common import bench_category, log, psycopg_connect, tables_vacuum

PREFIX = "BENCH-IMP-"
PRODUCT_PREFIX = "Bench Import Product "
CATEGORY_ROOT = "Bench Import"
CATEGORY_LEAVES = ["Desks", "Seating", "Storage", "Lighting", "Textiles", "Accents"]
VARIANTS_PER_PRODUCT = 5
FILE_NAME = "bench-import-products.csv"
SIZES = ["XS", "S", "M", "L", "XL"]
COLOURS = ["Blue", "Green", "Red", "Black", "White", "Grey", "Oak"]
TARGET_ROWS_PER_S = 100_000
TARGET_VS_DIE = 5.0


def _env_rows(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        rows = int(value) if value else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number of rows, got {value!r}") from None
    if rows < VARIANTS_PER_PRODUCT:
        raise SystemExit(f"{name} must be at least {VARIANTS_PER_PRODUCT}")
    return rows


# --- the file -----------------------------------------------------------------

def _product_name(i: int) -> str:
    return f"{PRODUCT_PREFIX}{i:06d}"


def _category_path(i: int) -> str:
    return f"{CATEGORY_ROOT} / {CATEGORY_LEAVES[i % len(CATEGORY_LEAVES)]}"


def products_csv(*, rows: int, revision: int = 0) -> bytes:
    """The products file: `rows` variants; `revision` changes every price, cost and
    description so a second import updates every row."""
    from dataio.columns import IMPORT_COLUMNS, attributes_format, value_format

    header = [column.name for column in IMPORT_COLUMNS["products"]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    bump = Decimal(revision)
    for number in range(rows):
        i, k = divmod(number, VARIANTS_PER_PRODUCT)
        price = Decimal("10.00") + Decimal(i % 500) / 10 + k + bump
        values = {
            "sku": f"{PREFIX}{number:06d}",
            "product": _product_name(i),
            "category": _category_path(i),
            "description": f"Bench import product {i}, revision {revision}.",
            "barcode": f"8{number:012d}",
            "attributes": attributes_format({"size": SIZES[k], "colour": COLOURS[i % len(COLOURS)]}),
            "price": price,
            "cost": (price * Decimal("0.4")).quantize(Decimal("0.01")),
            "active": True,
            "product_active": True,
            "track_inventory": True,
        }
        writer.writerow([value_format(column.kind, values[column.name]) for column in IMPORT_COLUMNS["products"]])
    return out.getvalue().encode()


# --- set-up and clean-up ---------------------------------------------------------

def categories_ensure() -> None:
    root = bench_category(CATEGORY_ROOT)
    for leaf in CATEGORY_LEAVES:
        bench_category(leaf, parent=root)


def cleanup(*, categories: bool = False) -> None:
    """Remove what the benchmark made: variants, products, import jobs (with their files),
    and at the very end its categories."""
    from django.core.files.storage import default_storage
    from django.db import connection, transaction

    from dataio.models import ImportJob
    from inventory.models import Category, Product, StockLevel, Variant

    jobs = list(ImportJob.objects.filter(original_name__startswith="bench-import-").values_list("pk", "file_name"))
    for _pk, name in jobs:
        if name:
            try:
                default_storage.delete(name)
                # each upload gets a folder of its own; remove it too when the storage is local
                os.rmdir(os.path.dirname(default_storage.path(name)))
            except (OSError, NotImplementedError):
                pass
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        if jobs:
            ImportJob.objects.filter(pk__in=[pk for pk, _ in jobs]).delete()
        variants = f"SELECT id FROM {quote(Variant._meta.db_table)} WHERE sku LIKE %s"
        cursor.execute(f"DELETE FROM {quote(StockLevel._meta.db_table)} WHERE variant_id IN ({variants})",
                       [PREFIX + "%"])
        cursor.execute(f"DELETE FROM {quote(Variant._meta.db_table)} WHERE sku LIKE %s", [PREFIX + "%"])
        cursor.execute(
            f"DELETE FROM {quote(Product._meta.db_table)} p WHERE p.name LIKE %s AND NOT EXISTS "
            f"(SELECT 1 FROM {quote(Variant._meta.db_table)} v WHERE v.product_id = p.id)",
            [PRODUCT_PREFIX + "%"],
        )
    if categories:
        root = Category.objects.filter(name=CATEGORY_ROOT, parent=None).first()
        if root is not None and not Product.objects.filter(category__parent=root).exists():
            Category.objects.filter(parent=root).delete()
            root.delete()


# --- (a) COPY ---------------------------------------------------------------------

def measure_copy(data: bytes, rows: int) -> float:
    from dataio.columns import IMPORT_COLUMNS

    columns = ", ".join(f"{column.name} text" for column in IMPORT_COLUMNS["products"])
    with psycopg_connect() as conn:
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE bench_import_copy ({columns})")
            conn.commit()
            began = time.perf_counter()
            with cursor.copy("COPY bench_import_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                for start in range(0, len(data), 1 << 20):
                    copy.write(data[start:start + (1 << 20)])
            conn.commit()
            seconds = time.perf_counter() - began
            cursor.execute("SELECT count(*) FROM bench_import_copy")
            copied = cursor.fetchone()[0]
            cursor.execute("DROP TABLE bench_import_copy")
            conn.commit()
    if copied != rows:
        raise SystemExit(f"COPY loaded {copied} rows, expected {rows}")
    return seconds


# --- (b) django-import-export -------------------------------------------------------

def _die_resource_class():
    from import_export import fields, instance_loaders, resources, widgets

    from dataio.columns import attributes_format, attributes_parse
    from inventory.models import Product, Variant

    class ProductByName(widgets.ForeignKeyWidget):
        """The product column by name, from a dict loaded once per import."""

        def __init__(self):
            super().__init__(Product, field="name")
            self.by_name: dict[str, Product] = {}

        def clean(self, value, row=None, **kwargs):
            return self.by_name[value] if value else None

    class AttributesWidget(widgets.Widget):
        def clean(self, value, row=None, **kwargs):
            return attributes_parse(value or "")

        def render(self, value, obj=None, **kwargs):
            return attributes_format(value)

    class VariantResource(resources.ModelResource):
        product = fields.Field(attribute="product", column_name="product", widget=ProductByName())
        attributes = fields.Field(attribute="attributes", column_name="attributes", widget=AttributesWidget())

        class Meta:
            model = Variant
            fields = ("sku", "product", "barcode", "attributes", "price", "cost", "active")
            import_id_fields = ("sku",)
            instance_loader_class = instance_loaders.CachedInstanceLoader
            use_bulk = True
            batch_size = 1000
            skip_diff = True
            skip_unchanged = False
            report_skipped = False
            clean_model_instances = False
            use_transactions = True

        def before_import(self, dataset, **kwargs):
            names = set(dataset["product"])
            self.fields["product"].widget.by_name = {
                product.name: product for product in Product.objects.filter(name__in=names)
            }

    return VariantResource


def _die_products_create(rows: int) -> None:
    """The parent products the resource needs, bulk-created outside the timed part."""
    from inventory.models import Category, Product

    leaves = {c.name: c for c in Category.objects.filter(parent__name=CATEGORY_ROOT, parent__parent=None)}
    products = []
    for i in range(-(-rows // VARIANTS_PER_PRODUCT)):
        leaf = CATEGORY_LEAVES[i % len(CATEGORY_LEAVES)]
        products.append(Product(name=_product_name(i), category=leaves[leaf], description=f"Bench import product {i}."))
    Product.objects.bulk_create(products, batch_size=2000)


def measure_die(data: bytes, rows: int) -> float:
    import tablib

    resource = _die_resource_class()()
    began = time.perf_counter()
    dataset = tablib.Dataset().load(data.decode(), format="csv")
    result = resource.import_data(dataset, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - began
    if result.has_errors() or result.has_validation_errors():
        raise SystemExit("django-import-export reported errors")
    return seconds


# --- (c) our importer ---------------------------------------------------------------

def _ours():
    """Our import services, or None (with the reason logged) when they are not there yet."""
    try:
        from dataio.services import imports
    except ImportError as exc:
        log(f"skipping the stockroom importer: dataio.services.imports cannot be imported ({exc})")
        return None
    missing = [name for name in ("import_job_create", "import_job_validate", "import_job_run")
               if not hasattr(imports, name)]
    if missing:
        log(f"skipping the stockroom importer: dataio.services.imports has no {', '.join(missing)}")
        return None
    return imports


def measure_ours(imports, data: bytes, rows: int, *, expect: str) -> dict:
    """Create, validate and process one import; returns the timings and the job's counts."""
    from dataio.models import ImportStatus

    began = time.perf_counter()
    job = imports.import_job_create(data=data, file_name=FILE_NAME, type="products", mode="UPSERT")
    job = imports.import_job_validate(job=job)
    validated = time.perf_counter()
    if job.status != ImportStatus.VALIDATED:
        errors = list(job.row_errors.values_list("row", "column", "message")[:5])
        raise SystemExit(f"validation ended {job.status}: {job.error} {errors}")
    counts = dict(job.counts)
    if counts.get(expect, 0) != rows:
        raise SystemExit(f"validation planned {counts}, expected {rows} {expect}s")
    job = _process(imports, job)
    finished = time.perf_counter()
    if job.status != ImportStatus.COMPLETED:
        raise SystemExit(f"processing ended {job.status}: {job.error}")
    return {"seconds": finished - began, "validate_seconds": validated - began,
            "process_seconds": finished - validated, "counts": counts, "job": job}


def _process(imports, job):
    """Run the processing step in this process: through `import_job_process` with the
    Celery task run eagerly when that service exists, else `import_job_run` directly."""
    from config.celery import app

    process = getattr(imports, "import_job_process", None)
    if process is not None:
        # The settings are read with the CELERY_ namespace, so the namespaced key is the
        # one that counts; nothing may reach a broker.
        eager = app.conf.task_always_eager
        app.conf.CELERY_TASK_ALWAYS_EAGER = True
        if not app.conf.task_always_eager:
            raise SystemExit("could not make Celery run the import task in this process")
        try:
            process(job=job, on_error="rollback")
        finally:
            app.conf.CELERY_TASK_ALWAYS_EAGER = eager
    else:
        imports.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


# --- the benchmark ---------------------------------------------------------------------

def _record(case: str, rows: int, seconds: float, *, copy_rate: float | None, die_best: float | None,
            **extra) -> dict:
    rate = rows / seconds if seconds else 0.0
    record = {"bench": "import_products", "case": case, "rows": rows, "seconds": round(seconds, 3),
              "rows_per_s": round(rate)}
    if copy_rate:
        record["vs_copy"] = round(rate / copy_rate, 3)
    if die_best:
        record["vs_django_import_export"] = round(rate / die_best, 2)
    record.update(extra)
    return record


def import_products() -> Iterator[dict]:
    from dataio.models import ImportChange, ImportJob
    from inventory.models import Product, Variant

    rows = _env_rows("BENCH_IMPORT_ROWS", 100_000)
    die_rows = min(rows, _env_rows("BENCH_DIE_ROWS", rows))
    log("cleaning up earlier runs")
    cleanup()
    categories_ensure()
    log(f"building the {rows:,}-row products file")
    fresh = products_csv(rows=rows)
    updates = products_csv(rows=rows, revision=1)
    log(f"file: {len(fresh) / 1024 / 1024:.1f} MB")

    try:
        tables_vacuum(Variant, Product)
        copy_seconds = measure_copy(fresh, rows)
        copy_rate = rows / copy_seconds
        yield _record("copy", rows, copy_seconds, copy_rate=None, die_best=None)

        die_fresh = products_csv(rows=die_rows)
        die_updates = products_csv(rows=die_rows, revision=1)
        _die_products_create(die_rows)
        tables_vacuum(Variant, Product)
        log(f"django-import-export: {die_rows:,} rows, fresh")
        die_create = measure_die(die_fresh, die_rows)
        tables_vacuum(Variant, Product)
        log(f"django-import-export: {die_rows:,} rows, all updates")
        die_update = measure_die(die_updates, die_rows)
        if Variant.objects.filter(sku__startswith=PREFIX).count() != die_rows:
            raise SystemExit("django-import-export did not leave the expected variants")
        die_best = max(die_rows / die_create, die_rows / die_update)
        note = ("Variant ModelResource; products pre-created and resolved by name from a dict; "
                "use_bulk, skip_diff, batch_size=1000, CachedInstanceLoader")
        yield _record("django_import_export_create", die_rows, die_create, copy_rate=copy_rate,
                      die_best=die_best, note=note)
        yield _record("django_import_export_update", die_rows, die_update, copy_rate=copy_rate,
                      die_best=die_best, note=note)
        cleanup()

        imports = _ours()
        if imports is None:
            return
        tables_vacuum(Variant, Product, ImportJob, ImportChange)
        log(f"stockroom importer: {rows:,} rows, UPSERT into an empty catalogue")
        created = measure_ours(imports, fresh, rows, expect="create")
        yield _ours_record("stockroom_upsert_create", rows, created, copy_rate=copy_rate, die_best=die_best)
        tables_vacuum(Variant, Product, ImportJob, ImportChange)
        log(f"stockroom importer: {rows:,} rows, UPSERT with every row changed")
        updated = measure_ours(imports, updates, rows, expect="update")
        yield _ours_record("stockroom_upsert_update", rows, updated, copy_rate=copy_rate, die_best=die_best)
        # Undo, newest first: the updates get their old values back, then the created
        # variants and products are deleted.
        for case, job in (("stockroom_undo_update", updated["job"]), ("stockroom_undo_create", created["job"])):
            yield _undo_record(imports, case, job)
    finally:
        log("cleaning up")
        cleanup(categories=True)


def _undo_record(imports, case: str, job) -> dict:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(is_superuser=True).first()
    log(f"stockroom importer: undo of import {job.pk}")
    began = time.perf_counter()
    result = imports.import_job_undo(job=job, user=user)
    seconds = time.perf_counter() - began
    if result.left_alone:
        raise SystemExit(f"undo left {len(result.left_alone)} records alone: {result.left_alone[:3]}")
    return {"bench": "import_products", "case": case, "records": result.undone, "seconds": round(seconds, 3),
            "records_per_s": round(result.undone / seconds) if seconds else 0}


def _ours_record(case: str, rows: int, timing: dict, *, copy_rate: float, die_best: float) -> dict:
    rate = rows / timing["seconds"]
    return {
        "bench": "import_products", "case": case, "rows": rows, "seconds": round(timing["seconds"], 3),
        "rows_per_s": round(rate), "validate_seconds": round(timing["validate_seconds"], 3),
        "process_seconds": round(timing["process_seconds"], 3), "counts": timing["counts"],
        "vs_copy": round(rate / copy_rate, 3), "vs_django_import_export": round(rate / die_best, 2),
        "target_rows_per_s": TARGET_ROWS_PER_S, "target_vs_django_import_export": TARGET_VS_DIE,
        "meets_target": rate >= TARGET_ROWS_PER_S and rate / die_best >= TARGET_VS_DIE,
    }

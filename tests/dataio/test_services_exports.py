import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.utils import timezone

from core.csv import cell_neutralise
from core.exceptions import Conflict, NotFound, ValidationFailed
from dataio import exports
from dataio.columns import IMPORT_COLUMNS, value_parse
from dataio.exports import (
    ExportExpired,
    export_file_open,
    export_job_create,
    export_job_run,
    export_template,
    exports_expire,
    write,
)
from dataio.models import ExportJob, ExportStatus, ExportType, FileFormat, ImportType
from dataio.readers import table_read
from dataio.tasks import exports_expire_task
from inventory.services import stock_adjust
from orders.services import OrderLineRequest, sales_order_create
from purchasing.services import PurchaseLineRequest, purchase_order_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _export_files(media) -> list:
    folder = media / "exports"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def catalogue(default_location, other_location):
    """Two categories, three variants (one inactive, one with formula-like text), stock,
    a supplier with an item, a purchase order and a sales order."""
    clothing = factories.CategoryFactory(name="Clothing")
    shirts = factories.CategoryFactory(name="Shirts", parent=clothing)
    tee = factories.ProductFactory(name="Classic Tee", category=shirts, description="Soft, cotton")
    tee_m = factories.VariantFactory(product=tee, sku="TEE-M", attributes={"size": "M"}, price=Decimal("12.50"),
                                     cost=None, barcode="5012345678900")
    tee_l = factories.VariantFactory(product=tee, sku="TEE-L", attributes={"size": "L"}, active=False)
    mug = factories.VariantFactory(product=factories.ProductFactory(name="=HYPERLINK(1)", category=clothing),
                                   sku="MUG-1", attributes={})
    stock_adjust(variant=tee_m, location=default_location, quantity=30, type="RESTOCK", reason="Opening")
    stock_adjust(variant=tee_l, location=default_location, quantity=3, type="RESTOCK", reason="Opening")
    stock_adjust(variant=mug, location=other_location, quantity=2, type="RESTOCK", reason="Opening")
    stock_adjust(variant=mug, location=other_location, quantity=-2, type="DAMAGE", reason="Dropped")
    supplier = factories.SupplierFactory(name="Northwind", email="orders@northwind.example")
    factories.SupplierFactory(name="Old Supplier", active=False)
    factories.SupplierItemFactory(supplier=supplier, variant=tee_m, unit_cost=Decimal("6.80"), preferred=True)
    purchase_order_create(supplier=supplier, lines=[PurchaseLineRequest(variant=tee_m, quantity=4),
                                                    PurchaseLineRequest(variant=mug, quantity=2)])
    sales_order_create(lines=[OrderLineRequest(variant=tee_m, quantity=1)], customer_name="Ada")
    return {"clothing": clothing, "shirts": shirts, "tee_m": tee_m, "tee_l": tee_l, "mug": mug, "supplier": supplier}


def _run(type: str, format: str = "csv", filters: dict | None = None, user=None) -> ExportJob:
    job = ExportJob.objects.create(type=type, format=format,
                                   filters=exports.export_filters_clean(type=type, filters=filters), created_by=user)
    return export_job_run(job=job)


def _content(job: ExportJob) -> bytes:
    with export_file_open(job=job) as file:
        return file.read()


def _table(job: ExportJob) -> tuple[list[str], list[list]]:
    """The header and rows of a finished export, whatever its format."""
    content = _content(job)
    if job.format == FileFormat.CSV:
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
        return rows[0], rows[1:]
    if job.format == FileFormat.JSON:
        records = json.loads(content)
        header = list(records[0]) if records else []
        return header, [list(record.values()) for record in records]
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return list(rows[0]), rows[1:]


EXPECTED_ROWS = {
    ExportType.PRODUCTS: 3,
    ExportType.STOCK: 3,
    ExportType.CATEGORIES: 2,
    ExportType.SUPPLIERS: 2,
    ExportType.SUPPLIER_ITEMS: 1,
    ExportType.PURCHASE_ORDERS: 2,
    ExportType.SALES_ORDERS: 1,
    ExportType.MOVEMENTS: 4,
}


@pytest.mark.parametrize("format", FileFormat.values)
@pytest.mark.parametrize("type", ExportType.values)
def test_export_job_run_writes_every_type_in_every_format(catalogue, media, type, format):
    job = _run(type, format)

    assert job.status == ExportStatus.COMPLETED, job.error
    assert job.row_count == job.rows_done == job.rows_total == EXPECTED_ROWS[type]
    header, rows = _table(job)
    assert len(rows) == EXPECTED_ROWS[type]
    assert len(set(header)) == len(header) and all(len(row) == len(header) for row in rows)
    assert job.file_size == default_storage.size(job.file_name) > 0
    assert job.file_name.startswith("exports/")
    assert job.expires_at - job.finished_at == timedelta(days=7)
    assert _export_files(media) == [job.file_name.split("/")[1]]


@pytest.mark.parametrize("type", [ImportType.PRODUCTS, ImportType.CATEGORIES, ImportType.SUPPLIERS,
                                  ImportType.SUPPLIER_ITEMS])
def test_export_job_run_importable_types_write_the_import_columns(catalogue, type):
    job = _run(type, "csv")

    header, _ = _table(job)

    assert header == [column.name for column in IMPORT_COLUMNS[type]]


def test_export_job_run_products_rows_read_back_as_the_stored_values(catalogue):
    job = _run("products", "csv")

    table = table_read(data=_content(job), file_name="products.csv")
    rows = {values[0]: dict(zip(table.header, values)) for _, values in table.rows}

    tee = rows["TEE-M"]
    columns = {column.name: column.kind for column in IMPORT_COLUMNS["products"]}
    parsed = {name: value_parse(columns[name], text) for name, text in tee.items()}
    assert parsed == {
        "sku": "TEE-M", "product": "Classic Tee", "category": "Clothing / Shirts", "description": "Soft, cotton",
        "barcode": "5012345678900", "attributes": "size=M", "price": Decimal("12.50"),
        "cost": Decimal("8.50"),  # its own is unset: the product's
        "active": True, "product_active": True, "track_inventory": True,
    }
    assert rows["TEE-L"]["active"] == "false"
    assert rows["MUG-1"]["product"] == "=HYPERLINK(1)"  # neutralised in the file, restored when read
    assert b"'=HYPERLINK(1)" in _content(job)
    assert rows["MUG-1"]["category"] == "Clothing" and rows["MUG-1"]["attributes"] == ""


@pytest.mark.parametrize("in_database", [True, False], ids=["postgresql-csv", "python-writer"])
def test_export_job_run_products_price_and_cost_are_the_effective_ones(db, in_database, monkeypatch):
    """A variant without a price or cost of its own sells at its product's: the file says so."""
    from django.db import connection

    from dataio.exports import sources

    if in_database and connection.vendor != "postgresql":
        pytest.skip("the database writes the CSV on PostgreSQL only")
    if not in_database:
        monkeypatch.setattr(sources, "_csv_in_database", lambda alias: False)
    jacket = factories.ProductFactory(name="Jacket", price=Decimal("80.00"), cost=Decimal("31.20"))
    factories.VariantFactory(product=jacket, sku="JKT-S")  # inherits both
    factories.VariantFactory(product=jacket, sku="JKT-XL", price=Decimal("90.00"))  # own price, inherited cost
    factories.VariantFactory(product=jacket, sku="JKT-FREE", price=Decimal("0.00"), cost=Decimal("0.00"))

    _, rows = _table(_run("products", "csv"))

    by_sku = {row[0]: row for row in rows}
    header = [column.name for column in IMPORT_COLUMNS["products"]]
    price, cost = header.index("price"), header.index("cost")
    assert [(by_sku[sku][price], by_sku[sku][cost]) for sku in ("JKT-S", "JKT-XL", "JKT-FREE")] == [
        ("80.00", "31.20"), ("90.00", "31.20"), ("0.00", "0.00"),
    ]


@pytest.mark.parametrize("format", ["json", "xlsx"])
def test_export_job_run_products_effective_prices_in_json_and_xlsx(db, format):
    jacket = factories.ProductFactory(name="Jacket", price=Decimal("80.00"), cost=Decimal("31.20"))
    factories.VariantFactory(product=jacket, sku="JKT-S")

    header, rows = _table(_run("products", format))

    record = dict(zip(header, rows[0]))
    assert Decimal(str(record["price"])) == Decimal("80.00")
    assert Decimal(str(record["cost"])) == Decimal("31.20")


def test_export_job_run_products_xlsx_keeps_text_as_text_and_numbers_as_numbers(catalogue):
    job = _run("products", "xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(_content(job))).active
    header = [cell.value for cell in sheet[1]]
    by_sku = {row[0].value: dict(zip(header, row)) for row in sheet.iter_rows(min_row=2)}

    mug = by_sku["MUG-1"]["product"]
    assert (mug.value, mug.data_type) == ("=HYPERLINK(1)", "s")
    price = by_sku["TEE-M"]["price"]
    assert (price.value, price.data_type) == (12.5, "n")


def test_export_job_run_categories_lists_parents_first(catalogue):
    _, rows = _table(_run("categories", "csv"))

    assert rows == [["Clothing", ""], ["Shirts", "Clothing"]]


def test_export_job_run_purchase_orders_repeat_the_order_on_each_line(catalogue):
    header, rows = _table(_run("purchase_orders", "csv"))

    records = [dict(zip(header, row)) for row in rows]
    assert {record["number"] for record in records} == {"PO-000001"}
    assert sorted((record["sku"], record["quantity_ordered"]) for record in records) == [("MUG-1", "2"),
                                                                                        ("TEE-M", "4")]
    tee = next(record for record in records if record["sku"] == "TEE-M")
    assert tee["unit_cost"] == "6.80" and tee["line_total"] == "27.20" and tee["supplier"] == "Northwind"


# --- filters ----------------------------------------------------------------------

def _skus(job: ExportJob, column: str = "sku") -> list[str]:
    header, rows = _table(job)
    return sorted(row[header.index(column)] for row in rows)


def test_export_job_run_products_filters(catalogue):
    shirts, clothing = catalogue["shirts"], catalogue["clothing"]

    assert _skus(_run("products", filters={"category": shirts.pk})) == ["TEE-L", "TEE-M"]
    assert _skus(_run("products", filters={"category": clothing.pk})) == ["MUG-1", "TEE-L", "TEE-M"]
    assert _skus(_run("products", filters={"active": "false"})) == ["TEE-L"]
    assert _skus(_run("products", filters={"q": "tee", "active": True})) == ["TEE-M"]


def test_export_job_run_stock_filters(catalogue):
    assert _skus(_run("stock", filters={"location": "store"})) == ["MUG-1"]
    assert _skus(_run("stock", filters={"status": "out"})) == ["MUG-1"]
    assert _skus(_run("stock", filters={"status": "low"})) == ["TEE-L"]
    assert _skus(_run("stock", filters={"status": "in", "category": catalogue["shirts"].pk})) == ["TEE-M"]


def test_export_job_run_supplier_filters(catalogue):
    assert _skus(_run("suppliers", filters={"active": "true"}), "name") == ["Northwind"]
    assert _skus(_run("suppliers", filters={"q": "old"}), "name") == ["Old Supplier"]
    other = factories.SupplierFactory(name="Other")
    assert _skus(_run("supplier_items", filters={"supplier": other.pk})) == []
    assert _skus(_run("supplier_items", filters={"supplier": catalogue["supplier"].pk})) == ["TEE-M"]


def test_export_job_run_order_and_movement_date_filters(catalogue):
    today = timezone.localdate()
    tomorrow = (today + timedelta(days=1)).isoformat()

    assert _skus(_run("sales_orders", filters={"date_from": today.isoformat(), "status": "PENDING"})) == ["TEE-M"]
    assert _skus(_run("sales_orders", filters={"date_from": tomorrow})) == []
    assert _skus(_run("purchase_orders", filters={"status": "CONFIRMED"})) == []
    assert _skus(_run("purchase_orders", filters={"supplier": catalogue["supplier"].pk})) == ["MUG-1", "TEE-M"]
    assert _skus(_run("movements", filters={"type": "DAMAGE"})) == ["MUG-1"]
    assert _skus(_run("movements", filters={"sku": "TEE-M", "date_to": today.isoformat()})) == ["TEE-M"]
    assert _skus(_run("movements", filters={"location": "store", "date_from": tomorrow})) == []


@pytest.mark.parametrize("type, filters, named", [
    ("products", {"colour": "red"}, "colour"),
    ("categories", {"q": "x"}, "q"),
    ("movements", {"date_from": "31/12/2024"}, "date_from"),
    ("sales_orders", {"date_to": "2024-02-30"}, "date_to"),
    ("products", {"category": "abc"}, "category"),
    ("products", {"active": "maybe"}, "active"),
    ("stock", {"status": "empty"}, "status"),
    ("movements", {"type": "THEFT"}, "type"),
    ("movements", {"sku": 42}, "sku"),
])
def test_export_job_create_refuses_bad_filters_naming_them(manager_user, type, filters, named):
    with pytest.raises(ValidationFailed) as refused:
        export_job_create(type=type, format="csv", filters=filters, user=manager_user)

    assert named in refused.value.message
    assert refused.value.details["filter"] == named
    assert not ExportJob.objects.exists()


def test_export_job_create_range_ending_before_it_starts_exports_the_header_alone(manager_user):
    job = export_job_create(type="sales_orders", format="csv", user=manager_user,
                            filters={"date_from": "2024-03-02", "date_to": "2024-03-01"})
    export_job_run(job=job)

    job.refresh_from_db()
    assert job.filters == {"date_from": "2024-03-02", "date_to": "2024-03-01"}
    assert (job.status, job.row_count) == (ExportStatus.COMPLETED, 0)


@pytest.mark.parametrize("type, filters, named", [
    ("products", {"category": 999999}, "category"),
    ("stock", {"location": "nowhere"}, "location"),
    ("supplier_items", {"supplier": 999999}, "supplier"),
])
def test_export_job_create_unknown_filter_target_is_not_found_naming_it(manager_user, type, filters, named):
    with pytest.raises(NotFound) as refused:
        export_job_create(type=type, format="csv", filters=filters, user=manager_user)

    assert named in refused.value.message and "unknown" in refused.value.message
    assert refused.value.details["filter"] == named
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("type, format, field", [("stock", "pdf", "format"), ("stock_counts", "csv", "type")])
def test_export_job_create_refuses_unknown_type_or_format(manager_user, type, format, field):
    with pytest.raises(ValidationFailed) as refused:
        export_job_create(type=type, format=format, user=manager_user)

    assert refused.value.field == field


def test_export_job_create_money_types_need_the_prices_permission(staff_user):
    for type in ("products", "supplier_items", "purchase_orders", "sales_orders"):
        with pytest.raises(PermissionDenied):
            export_job_create(type=type, format="csv", user=staff_user)
    assert not ExportJob.objects.exists()


def test_export_job_create_enqueues_the_run_after_commit(manager_user, catalogue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = export_job_create(type="stock", format="csv", filters={"location": "main", "q": " "},
                                user=manager_user)
    assert job.status == ExportStatus.PENDING and job.filters == {"location": "main"}
    assert len(callbacks) == 1

    callbacks[0]()

    job.refresh_from_db()
    assert job.status == ExportStatus.COMPLETED and job.row_count == 2 and job.created_by == manager_user


# --- failure, idempotency, expiry ------------------------------------------------------

def test_export_job_run_failure_ends_failed_with_no_file(catalogue, media, monkeypatch):
    def broken(*, filters):
        source = exports.export_rows_stock(filters=filters)
        rows = source.chunks

        def chunks():
            yield from rows
            raise RuntimeError("disk on fire")

        source.chunks = chunks()
        return source

    monkeypatch.setitem(exports.ROW_SOURCES, "stock", broken)

    job = _run("stock", "xlsx")

    assert job.status == ExportStatus.FAILED
    assert "disk on fire" in job.error
    assert job.file_name == "" and job.file_size == 0 and job.finished_at is not None
    assert _export_files(media) == []
    with pytest.raises(Conflict):
        export_file_open(job=job)


def test_export_job_run_unexpected_error_ends_failed_with_one_clear_line(catalogue, media, monkeypatch):
    def broken(*, filters):
        raise RuntimeError('relation "inventory_stocklevel" does not exist\nLINE 1: SELECT "sku" FROM ...\n'
                           "Traceback (most recent call last):")

    monkeypatch.setitem(exports.ROW_SOURCES, "stock", broken)

    job = _run("stock", "csv")

    assert job.status == ExportStatus.FAILED and job.finished_at is not None
    assert job.error == (f'The export failed: relation "inventory_stocklevel" does not exist. Start it again; if it '
                         f"fails again, tell an administrator (the details are in the server log as export {job.pk}).")
    assert _export_files(media) == []


def test_export_job_run_storage_failure_ends_failed(catalogue, media, monkeypatch):
    def refuse(name, content, max_length=None):
        raise OSError("No space left on device")

    monkeypatch.setattr(default_storage, "save", refuse)

    job = _run("categories", "csv")

    assert job.status == ExportStatus.FAILED and "No space left" in job.error
    assert _export_files(media) == []


def test_export_job_run_again_changes_nothing_once_completed(catalogue, media):
    job = _run("stock", "json")
    before = ExportJob.objects.values().get(pk=job.pk)

    again = export_job_run(job=job)

    assert ExportJob.objects.values().get(pk=job.pk) == before
    assert again.status == ExportStatus.COMPLETED
    assert _export_files(media) == [job.file_name.split("/")[1]]


def test_export_job_run_leaves_a_job_running_elsewhere_alone(catalogue, media):
    job = ExportJob.objects.create(type="stock", format="csv", status=ExportStatus.IN_PROGRESS,
                                   started_at=timezone.now() - timedelta(minutes=5))

    job = export_job_run(job=job)

    assert job.status == ExportStatus.IN_PROGRESS and _export_files(media) == []


def test_export_job_run_restarts_a_job_stuck_for_over_an_hour(catalogue, media):
    job = ExportJob.objects.create(type="stock", format="csv", status=ExportStatus.IN_PROGRESS,
                                   started_at=timezone.now() - timedelta(hours=2), rows_done=1)

    job = export_job_run(job=job)

    assert job.status == ExportStatus.COMPLETED and job.row_count == 3
    assert job.started_at > timezone.now() - timedelta(minutes=1)


def test_export_job_run_does_not_rerun_a_failed_job(catalogue, media):
    job = ExportJob.objects.create(type="stock", format="csv", status=ExportStatus.FAILED, error="earlier")

    assert export_job_run(job=job).error == "earlier"
    assert _export_files(media) == []


def test_exports_expire_removes_expired_files_and_keeps_the_rows(catalogue, media):
    old = _run("stock", "csv")
    fresh = _run("categories", "csv")
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert exports_expire() == 1
    assert exports_expire() == 0

    old.refresh_from_db()
    assert old.status == ExportStatus.COMPLETED and old.file_name == ""
    assert _export_files(media) == [fresh.file_name.split("/")[1]]
    with pytest.raises(ExportExpired):
        export_file_open(job=old)


def test_exports_expire_task_counts_removed_files(catalogue, media):
    job = _run("categories", "json")
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(days=1))

    assert exports_expire_task.delay().get() == 1
    assert _export_files(media) == []


def test_export_file_open_refuses_a_job_past_expiry_before_the_clean_up(catalogue):
    job = _run("categories", "csv")
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    job.refresh_from_db()

    with pytest.raises(ExportExpired):
        export_file_open(job=job)


def test_export_file_open_refuses_a_pending_job():
    job = ExportJob.objects.create(type="stock", format="csv")

    with pytest.raises(Conflict):
        export_file_open(job=job)


# --- templates -----------------------------------------------------------------------

@pytest.mark.parametrize("type", ImportType.values)
def test_export_template_csv_has_the_header_and_one_example_row(type):
    content, content_type, file_name = export_template(type=type, format="csv")

    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    columns = IMPORT_COLUMNS[type]
    # Formula-like examples (a phone number "+44 ...") are neutralised like any exported text.
    assert rows == [[column.name for column in columns], [cell_neutralise(column.example) for column in columns]]
    assert content_type.startswith("text/csv") and file_name.endswith(".csv")


@pytest.mark.parametrize("type", ImportType.values)
def test_export_template_xlsx_reads_back_like_the_csv(type):
    content, content_type, file_name = export_template(type=type, format="xlsx")

    table = table_read(data=content, file_name=file_name)
    columns = IMPORT_COLUMNS[type]
    assert table.header == [column.name for column in columns]
    (_, values), = list(table.rows)
    # Numbers are number cells ("7.50" reads back as 7.5): the same value once parsed.
    assert [value_parse(column.kind, text) for column, text in zip(columns, values)] == [
        value_parse(column.kind, column.example) for column in columns
    ]
    assert content_type.endswith("spreadsheetml.sheet")


@pytest.mark.parametrize("type, format", [("movements", "csv"), ("products", "json"), ("products", "pdf")])
def test_export_template_unknown_type_or_format_is_not_found(type, format):
    with pytest.raises(NotFound):
        export_template(type=type, format=format)


# --- reading ahead in a second thread (outside a transaction, as in a worker) ------------

# Transactional: the reading thread's connection sees only committed rows. The flush after
# each test is limited to these apps, so the role groups made by migrations stay.
READ_AHEAD_DB = pytest.mark.django_db(transaction=True, available_apps=["inventory", "suppliers", "dataio"])


@pytest.fixture
def small_catalogue(default_location):
    for sku, product in (("A-1", "Alpha"), ("A-2", "Alpha"), ("B-1", "Beta")):
        variant = factories.VariantFactory(sku=sku, product__name=product)
        stock_adjust(variant=variant, location=default_location, quantity=2, type="RESTOCK", reason="Opening")

@READ_AHEAD_DB
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the read-ahead thread is used on PostgreSQL only")
@pytest.mark.parametrize("format", FileFormat.values)
def test_export_job_run_reads_ahead_in_a_thread_outside_a_transaction(small_catalogue, media, format, monkeypatch):
    monkeypatch.setattr("dataio.exports.rows.CHUNK_SIZE", 1)  # one row a chunk: the thread hands over several
    monkeypatch.setattr("dataio.exports.fast_csv.CHUNK_SIZE", 1)
    threads = []
    real = write._read_ahead

    def spy(chunks):
        threads.append(True)
        return real(chunks)

    monkeypatch.setattr(write, "_read_ahead", spy)

    job = _run("products", format)

    # The products CSV is made by PostgreSQL itself, read in this thread (no second connection).
    assert threads == ([] if format == FileFormat.CSV else [True])
    assert job.status == ExportStatus.COMPLETED and job.row_count == 3
    header, rows = _table(job)
    assert sorted(row[0] for row in rows) == ["A-1", "A-2", "B-1"]


@READ_AHEAD_DB
def test_export_job_run_read_ahead_failure_ends_failed_with_no_file(small_catalogue, media, monkeypatch):
    def broken(*, filters):
        source = exports.export_rows_movements(filters=filters)
        rows = source.chunks

        def chunks():
            yield from rows
            raise RuntimeError("connection lost")

        source.chunks = chunks()
        return source

    monkeypatch.setitem(exports.ROW_SOURCES, "movements", broken)

    job = _run("movements", "csv")

    assert job.status == ExportStatus.FAILED and "connection lost" in job.error
    assert _export_files(media) == []


@READ_AHEAD_DB
def test_export_job_run_writer_failure_stops_the_reading_thread(small_catalogue, media, monkeypatch):
    import threading

    def refuse(**kwargs):
        next(iter(kwargs["chunks"]))
        raise OSError("disk full")

    monkeypatch.setitem(write.WRITERS, "csv", refuse)
    monkeypatch.setattr("dataio.exports.rows.CHUNK_SIZE", 1)

    job = _run("movements", "csv")

    assert job.status == ExportStatus.FAILED and "disk full" in job.error
    assert not [thread for thread in threading.enumerate() if thread.name == "export-read-ahead"]


# --- recovery of jobs a worker left behind ---------------------------------------------

@pytest.mark.parametrize("status, started, says", [
    (ExportStatus.PENDING, False, "no worker started the export"),
    (ExportStatus.IN_PROGRESS, True, "the worker stopped while writing the file"),
])
def test_export_jobs_recover_fails_stale_jobs_saying_so(status, started, says):
    long_ago = timezone.now() - timedelta(hours=4)
    stale = ExportJob.objects.create(type="stock", format="csv", status=status,
                                     started_at=long_ago if started else None)
    fresh = ExportJob.objects.create(type="stock", format="csv", status=status,
                                     started_at=timezone.now() if started else None)
    done = ExportJob.objects.create(type="stock", format="csv", status=ExportStatus.COMPLETED, started_at=long_ago)
    ExportJob.objects.filter(pk__in=[stale.pk, done.pk]).update(created_at=long_ago)

    assert exports.export_jobs_recover() == 1

    stale.refresh_from_db()
    assert stale.status == ExportStatus.FAILED and stale.finished_at is not None
    assert stale.error.startswith("Interrupted: ") and says in stale.error
    assert ExportJob.objects.get(pk=fresh.pk).status == status
    assert ExportJob.objects.get(pk=done.pk).status == ExportStatus.COMPLETED
    with pytest.raises(Conflict):
        export_file_open(job=stale)


def test_export_jobs_recover_waits_for_the_stale_after_setting(settings):
    job = ExportJob.objects.create(type="stock", format="csv", status=ExportStatus.IN_PROGRESS,
                                   started_at=timezone.now() - timedelta(minutes=150))
    assert exports.export_jobs_recover() == 0  # EXPORT_STALE_MINUTES: 180 by default
    settings.EXPORT_STALE_MINUTES = 120
    assert exports.export_jobs_recover() == 1
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.FAILED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="worker locks are PostgreSQL advisory locks")
def test_export_jobs_recover_leaves_a_job_whose_worker_is_alive():
    from dataio.services.workers import EXPORT_JOBS, worker_lock

    job = ExportJob.objects.create(type="stock", format="csv", status=ExportStatus.IN_PROGRESS,
                                   started_at=timezone.now() - timedelta(hours=4))

    with worker_lock(kind=EXPORT_JOBS, job_id=job.pk):
        assert exports.export_jobs_recover() == 0
    assert exports.export_jobs_recover() == 1


def test_export_jobs_recover_task_runs_on_the_beat_schedule(settings):
    from dataio.tasks import export_jobs_recover_task

    job = ExportJob.objects.create(type="stock", format="csv")
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=1))

    assert export_jobs_recover_task.delay().get() == 1
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "dataio.tasks.export_jobs_recover_task" in tasks

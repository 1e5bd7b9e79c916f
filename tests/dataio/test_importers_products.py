import io
from decimal import Decimal

import pytest

from dataio.columns import value_format
from dataio.exports import export_write
from dataio.models import ImportChange, ImportStatus
from dataio.services.imports import import_job_undo
from inventory.models import Product, Variant
from tests import factories
from tests.dataio.import_helpers import csv_bytes, errors, run, validate

pytestmark = pytest.mark.django_db

HEADER = "sku,product,category,description,barcode,attributes,price,cost,active,product_active,track_inventory"


@pytest.fixture
def shirts():
    clothing = factories.CategoryFactory(name="Clothing")
    return factories.CategoryFactory(name="Shirts", parent=clothing)


def test_products_import_upsert_creates_product_with_variants_and_updates_existing(shirts, django_capture_on_commit_callbacks):
    existing = factories.VariantFactory(sku="OLD-1", price=Decimal("5.00"), product__category=shirts)
    job = run(django_capture_on_commit_callbacks, csv_bytes(
        HEADER,
        "TEE-S,Tee,Clothing / Shirts,Soft,111,size=S,19.99,7.50,true,true,true",
        "TEE-M,Tee,Shirts,Soft,112,size=M,21.00,7.50,true,true,true",
        f"OLD-1,{existing.product.name},Clothing / Shirts,,400,size=M; colour=Blue,6.00,8.50,false,,",
    ), type="products")
    assert job.status == ImportStatus.COMPLETED, (job.error, errors(job))
    assert job.counts == {"create": 2, "update": 1, "unchanged": 0, "error": 0, "skipped": 0}
    tee = Product.objects.get(name="Tee")
    assert tee.category == shirts and tee.price == Decimal("19.99") and tee.description == "Soft"
    small, medium = Variant.objects.get(sku="TEE-S"), Variant.objects.get(sku="TEE-M")
    assert small.product == medium.product == tee
    assert small.price is None and small.effective_price == Decimal("19.99")
    assert medium.price == Decimal("21.00") and medium.attributes == {"size": "M"}
    existing.refresh_from_db()
    assert existing.price == Decimal("6.00") and existing.active is False and existing.barcode == "400"
    assert job.changes.filter(action=ImportChange.Action.CREATE).count() == 3  # the product and two variants
    assert job.rows_done == 3


def test_products_import_create_mode_refuses_existing_sku(shirts):
    factories.VariantFactory(sku="OLD-1")
    job = validate(csv_bytes("sku,product", "OLD-1,Thing", "NEW-1,Thing"), type="products", mode="CREATE")
    assert job.counts["create"] == 1 and job.counts["error"] == 1
    assert errors(job)[0][:2] == (2, "sku") and "Already exists" in errors(job)[0][2]


def test_products_import_update_mode_refuses_unknown_sku(shirts):
    variant = factories.VariantFactory(sku="OLD-1", barcode="1")
    job = validate(csv_bytes("sku,product,barcode", f"OLD-1,{variant.product.name},2", "NEW-1,Thing,3"),
                   type="products", mode="UPDATE")
    assert job.counts == {"create": 0, "update": 1, "unchanged": 0, "error": 1, "skipped": 0}
    assert errors(job) == [(3, "sku", "Not found: there is no variant with SKU NEW-1 (use create or upsert).")]


def test_products_import_unknown_category_and_conflicting_product_details_are_row_errors(shirts):
    job = validate(csv_bytes(
        "sku,product,category,description",
        "A-1,Mug,Kitchen,Big",
        "B-1,Tee,Shirts,Soft",
        "B-2,Tee,Shirts,Hard",
    ), type="products")
    messages = errors(job)
    assert messages[0][:2] == (2, "category") and 'No category "Kitchen"' in messages[0][2]
    assert messages[1][:2] == (4, "description") and "row 3" in messages[1][2]
    assert job.counts["create"] == 1


def test_products_import_duplicate_sku_names_the_first_row(shirts):
    job = validate(csv_bytes("sku,product", "A-1,Mug", "A-2,Mug", "A-1,Mug"), type="products")
    assert errors(job) == [(4, "sku", "Duplicate: row 2 has the same sku.")]


def test_products_import_bad_cells_are_row_errors_naming_the_column(shirts):
    job = validate(csv_bytes("sku,product,price,active,attributes", "A-1,Mug,\"1,234\",maybe,size"), type="products")
    columns = {column for _row, column, _message in errors(job)}
    assert columns == {"price", "active", "attributes"}
    assert job.status == ImportStatus.FAILED  # no row can be imported


def test_products_round_trip_export_then_upsert_reports_no_changes(shirts, django_capture_on_commit_callbacks):
    product = factories.ProductFactory(name="Tee", category=shirts, price=Decimal("10.00"), description="Line one")
    factories.VariantFactory(product=product, sku="T-1", price=None, attributes={"size": "S"})
    factories.VariantFactory(product=product, sku="T-2", price=Decimal("12.50"), cost=Decimal("3.10"), barcode="")
    factories.VariantFactory(product__category=None, sku="X-1", attributes={}, active=False)
    buffer = io.BytesIO()
    export_write(type="products", format="csv", filters={}, file=buffer)
    data = buffer.getvalue()
    job = run(django_capture_on_commit_callbacks, data, type="products")
    assert job.status == ImportStatus.COMPLETED, errors(job)
    assert job.counts == {"create": 0, "update": 0, "unchanged": 3, "error": 0, "skipped": 0}
    assert not job.changes.exists()


def test_products_round_trip_with_effective_prices_written_out(shirts, django_capture_on_commit_callbacks):
    product = factories.ProductFactory(name="Tee", category=shirts, price=Decimal("10.00"), cost=Decimal("4.00"))
    variant = factories.VariantFactory(product=product, sku="T-1", price=None, cost=None, attributes={"size": "S"})
    row = [variant.sku, "Tee", "Clothing / Shirts", "", variant.barcode, "size=S",
           value_format("decimal", variant.effective_price), value_format("decimal", variant.effective_cost),
           "true", "true", "true"]
    job = run(django_capture_on_commit_callbacks, csv_bytes(HEADER, ",".join(row)), type="products")
    assert job.counts["unchanged"] == 1 and job.counts["update"] == 0


def test_products_import_all_or_nothing_writes_nothing_when_a_middle_row_is_bad(shirts, django_capture_on_commit_callbacks):
    job = run(django_capture_on_commit_callbacks, csv_bytes("sku,product,price", "A-1,Mug,1", "A-2,Mug,-1", "A-3,Mug,2"),
              type="products", on_error="rollback")
    assert job.status == ImportStatus.FAILED and "nothing was written" in job.error
    assert not Variant.objects.filter(sku__startswith="A-").exists()
    assert errors(job) == [(3, "price", "Cannot be negative.")]


def test_products_import_skip_writes_good_rows_and_is_partial(shirts, django_capture_on_commit_callbacks):
    job = run(django_capture_on_commit_callbacks, csv_bytes("sku,product,price", "A-1,Mug,1", "A-2,Mug,-1", "A-3,Mug,2"),
              type="products", on_error="skip")
    assert job.status == ImportStatus.PARTIAL
    assert set(Variant.objects.filter(sku__startswith="A-").values_list("sku", flat=True)) == {"A-1", "A-3"}
    assert job.counts == {"create": 2, "update": 0, "unchanged": 0, "error": 1, "skipped": 1}


def test_products_import_in_several_batches_links_later_variants_to_the_product(shirts, settings,
                                                                               django_capture_on_commit_callbacks):
    settings.IMPORT_BATCH_ROWS = 2
    lines = [f"S-{n},Sock,{n}.00" for n in range(5)]
    job = run(django_capture_on_commit_callbacks, csv_bytes("sku,product,price", *lines), type="products", on_error="skip")
    assert job.status == ImportStatus.COMPLETED
    assert Product.objects.filter(name="Sock").count() == 1
    assert Variant.objects.filter(product__name="Sock").count() == 5


def test_import_job_undo_restores_products_and_lists_what_changed_since(shirts, manager_user,
                                                                        django_capture_on_commit_callbacks):
    kept = factories.VariantFactory(sku="OLD-1", price=Decimal("5.00"), barcode="1")
    job = run(django_capture_on_commit_callbacks, csv_bytes(
        "sku,product,price,barcode", f"OLD-1,{kept.product.name},6.00,2", "NEW-1,Mug,3.00,", "NEW-2,Mug,3.00,",
    ), type="products", user=manager_user)
    assert job.status == ImportStatus.COMPLETED
    Variant.objects.filter(sku="OLD-1").update(barcode="edited later")
    factories.StockLevelFactory(variant=Variant.objects.get(sku="NEW-2"))  # now in use

    result = import_job_undo(job=job, user=manager_user)

    kept.refresh_from_db()
    assert kept.price == Decimal("5.00") and kept.barcode == "edited later"
    assert not Variant.objects.filter(sku="NEW-1").exists()
    assert Variant.objects.filter(sku="NEW-2").exists() and Product.objects.filter(name="Mug").exists()
    assert any("barcode changed since" in line for line in result.left_alone)
    assert any("NEW-2 is in use" in line for line in result.left_alone)
    job.refresh_from_db()
    assert job.status == ImportStatus.UNDONE and job.undone_by == manager_user


def test_import_job_undo_of_a_large_import_works_on_whole_sets(shirts, manager_user, django_capture_on_commit_callbacks,
                                                              django_assert_max_num_queries):
    """4,500 variants over several undo batches: the referenced one stays, the edited one
    stays, price-only and price-and-barcode updates are restored, all in a bounded number
    of statements (not several per record)."""
    old_a = factories.VariantFactory(sku="OLD-A", price=Decimal("5.00"), barcode="a")
    old_b = factories.VariantFactory(sku="OLD-B", price=Decimal("7.00"), barcode="b")
    lines = [f"BIG-{n:05d},Big {n // 9},{n % 50}.25" for n in range(4500)]
    lines += [f"OLD-A,{old_a.product.name},6.00,a", f"OLD-B,{old_b.product.name},8.00,bb"]
    job = run(django_capture_on_commit_callbacks, csv_bytes("sku,product,price,barcode",
                                                            *[line + ("," if line.startswith("BIG") else "")
                                                              for line in lines]),
              type="products", user=manager_user)
    assert job.status == ImportStatus.COMPLETED, errors(job)
    assert Variant.objects.filter(sku__startswith="BIG-").count() == 4500
    factories.StockLevelFactory(variant=Variant.objects.get(sku="BIG-03000"))
    Variant.objects.filter(sku="BIG-04000").update(barcode="relabelled")

    # A statement or more per record would be 10,000+.
    with django_assert_max_num_queries(60):
        result = import_job_undo(job=job, user=manager_user)

    assert set(Variant.objects.filter(sku__startswith="BIG-").values_list("sku", flat=True)) == {"BIG-03000", "BIG-04000"}
    # Products go once their variants are gone; the two that keep a variant stay.
    assert set(Product.objects.filter(name__startswith="Big ").values_list("name", flat=True)) == {"Big 333", "Big 444"}
    old_a.refresh_from_db(), old_b.refresh_from_db()
    assert (old_a.price, old_a.barcode) == (Decimal("5.00"), "a")
    assert (old_b.price, old_b.barcode) == (Decimal("7.00"), "b")
    assert result.undone == 4498 + 500 - 2 + 2
    assert any("BIG-03000 is in use" in line for line in result.left_alone)
    assert any("BIG-04000 was changed since the import (barcode)" in line for line in result.left_alone)
    assert sum('"Big 333" is in use' in line or '"Big 444" is in use' in line for line in result.left_alone) == 2
    assert not ImportChange.objects.filter(job=job).exclude(action="CREATE").filter(model="inventory.product").exists()

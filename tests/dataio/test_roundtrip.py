"""Export a file, import it back unchanged (UPSERT): nothing changes, even for text that
the CSV export neutralised because it starts like a formula (= + - @)."""
import pytest

from dataio.models import ExportStatus, ImportStatus
from dataio.exports import export_file_open, export_job_create
from inventory.models import Product, Variant
from suppliers.models import Supplier
from tests import factories
from tests.dataio.import_helpers import errors, run

pytestmark = pytest.mark.django_db

PHONE = "+44 20 7946 0000"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _export(capture, *, type: str, user, format: str = "csv") -> bytes:
    with capture(execute=True):
        job = export_job_create(type=type, format=format, user=user)
    job.refresh_from_db()
    assert job.status == ExportStatus.COMPLETED, job.error
    with export_file_open(job=job) as file:
        return file.read()


@pytest.mark.parametrize("format", ["csv", "xlsx", "json"])
def test_suppliers_export_then_upsert_import_reports_no_changes(format, manager_user,
                                                                 django_capture_on_commit_callbacks):
    factories.SupplierFactory(name="-Sale- Supplies", contact_name="@Jane", phone=PHONE, notes="=not a formula",
                              email="sales@example.com", website="https://sale.example", address="1 Mill Lane")
    factories.SupplierFactory(name="Northwind", phone="020 7946 0001", active=False)
    data = _export(django_capture_on_commit_callbacks, type="suppliers", user=manager_user, format=format)
    if format == "csv":
        assert f"'{PHONE}".encode() in data and b"'-Sale- Supplies" in data  # neutralised in the file

    job = run(django_capture_on_commit_callbacks, data, type="suppliers", user=manager_user, name=f"suppliers.{format}")

    assert job.status == ImportStatus.COMPLETED, (job.error, errors(job))
    assert job.counts == {"create": 0, "update": 0, "unchanged": 2, "error": 0, "skipped": 0}
    assert not job.changes.exists()
    sale = Supplier.objects.get(name="-Sale- Supplies")
    assert (sale.phone, sale.contact_name, sale.notes) == (PHONE, "@Jane", "=not a formula")
    assert Supplier.objects.count() == 2


@pytest.mark.parametrize("format", ["csv", "xlsx", "json"])
def test_products_export_then_upsert_import_reports_no_changes(format, manager_user,
                                                                django_capture_on_commit_callbacks):
    sale = factories.CategoryFactory(name="-Offers-")
    product = factories.ProductFactory(name="-Sale-", category=sale, description="+ free delivery")
    factories.VariantFactory(product=product, sku="SALE-1", barcode="@1234", attributes={"size": "S"})
    factories.VariantFactory(product=product, sku="SALE-2", attributes={"size": "M"})
    factories.VariantFactory(product=factories.ProductFactory(name="=Mug", category=None), sku="-MUG-", attributes={})
    data = _export(django_capture_on_commit_callbacks, type="products", user=manager_user, format=format)
    if format == "csv":
        assert b"'-Sale-" in data and b"'-MUG-" in data and b"'=Mug" in data

    job = run(django_capture_on_commit_callbacks, data, type="products", user=manager_user, name=f"products.{format}")

    assert job.status == ImportStatus.COMPLETED, (job.error, errors(job))
    assert job.counts == {"create": 0, "update": 0, "unchanged": 3, "error": 0, "skipped": 0}
    assert not job.changes.exists()
    assert set(Product.objects.values_list("name", flat=True)) == {"-Sale-", "=Mug"}
    assert Variant.objects.get(sku="SALE-1").barcode == "@1234"
    assert Product.objects.get(name="-Sale-").description == "+ free delivery"


@pytest.mark.parametrize("format", ["csv", "xlsx", "json"])
def test_products_export_with_inherited_prices_imports_back_unchanged(format, manager_user,
                                                                       django_capture_on_commit_callbacks):
    """The export gives every variant its effective price and cost; importing it back keeps
    the variants that inherit inheriting (a later product price change still reaches them)."""
    from decimal import Decimal

    jacket = factories.ProductFactory(name="Jacket", price=Decimal("80.00"), cost=Decimal("31.20"))
    factories.VariantFactory(product=jacket, sku="JKT-S", attributes={"size": "S"})
    factories.VariantFactory(product=jacket, sku="JKT-M", attributes={"size": "M"}, price=Decimal("85.00"))
    # An own price equal to the product's stays the variant's own.
    factories.VariantFactory(product=jacket, sku="JKT-L", attributes={"size": "L"}, price=Decimal("80.00"),
                             cost=Decimal("30.00"))
    data = _export(django_capture_on_commit_callbacks, type="products", user=manager_user, format=format)
    if format == "csv":
        assert b"JKT-S,Jacket" in data and b",80.00,31.20," in data and b",85.00,31.20," in data

    job = run(django_capture_on_commit_callbacks, data, type="products", user=manager_user, name=f"products.{format}")

    assert job.status == ImportStatus.COMPLETED, (job.error, errors(job))
    assert job.counts == {"create": 0, "update": 0, "unchanged": 3, "error": 0, "skipped": 0}
    assert not job.changes.exists()
    stored = {v.sku: (v.price, v.cost) for v in Variant.objects.all()}
    assert stored == {
        "JKT-S": (None, None),
        "JKT-M": (Decimal("85.00"), None),
        "JKT-L": (Decimal("80.00"), Decimal("30.00")),
    }

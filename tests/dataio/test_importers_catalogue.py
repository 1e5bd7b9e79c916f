from decimal import Decimal

import pytest

from dataio.models import ImportStatus
from dataio.services.imports import import_job_undo
from inventory.models import Category
from suppliers.models import Supplier, SupplierItem
from tests import factories
from tests.dataio.import_helpers import csv_bytes, errors, run, validate

pytestmark = pytest.mark.django_db


def test_categories_import_creates_missing_parents_and_reports_existing_unchanged(django_capture_on_commit_callbacks):
    factories.CategoryFactory(name="Clothing")
    job = run(django_capture_on_commit_callbacks, csv_bytes(
        "name,parent", "Clothing,", "Shirts,Clothing / Men", "Socks,Clothing",
    ), type="categories")
    assert job.status == ImportStatus.COMPLETED, errors(job)
    assert job.counts == {"create": 2, "update": 0, "unchanged": 1, "error": 0, "skipped": 0}
    assert {str(c) for c in Category.objects.all()} == {
        "Clothing", "Clothing / Men", "Clothing / Men / Shirts", "Clothing / Socks"}


def test_categories_import_modes_and_undo(manager_user, django_capture_on_commit_callbacks):
    factories.CategoryFactory(name="Clothing")
    created = validate(csv_bytes("name,parent", "Clothing,", "Toys,"), type="categories", mode="CREATE")
    assert errors(created)[0][:2] == (2, "name") and "Already exists" in errors(created)[0][2]
    updated = validate(csv_bytes("name,parent", "Clothing,", "Toys,"), type="categories", mode="UPDATE")
    assert errors(updated)[0][:2] == (3, "name")
    job = run(django_capture_on_commit_callbacks, csv_bytes("name,parent", "Bears,Toys / Soft"), type="categories")
    assert Category.objects.count() == 4
    result = import_job_undo(job=job, user=manager_user)
    assert result.undone == 3 and Category.objects.count() == 1


def test_suppliers_import_upsert_and_validation(django_capture_on_commit_callbacks):
    factories.SupplierFactory(name="Acme", email="old@acme.test", phone="1")
    job = run(django_capture_on_commit_callbacks, csv_bytes(
        "name,email,phone,website,active",
        "Acme,new@acme.test,1,,",
        "Northwind,orders@nw.test,,https://nw.test,false",
        "Bad,not-an-email,,ftp://x,",
        "Acme,dup@acme.test,,,",
    ), type="suppliers", on_error="skip")
    assert job.status == ImportStatus.PARTIAL
    assert job.counts == {"create": 1, "update": 1, "unchanged": 0, "error": 2, "skipped": 2}
    assert Supplier.objects.get(name="Acme").email == "new@acme.test"
    assert Supplier.objects.get(name="Northwind").active is False
    assert {(row, column) for row, column, _m in errors(job)} == {(4, "email"), (4, "website"), (5, "name")}


def test_supplier_items_import_refers_to_existing_supplier_and_sku(django_capture_on_commit_callbacks):
    supplier = factories.SupplierFactory(name="Acme")
    variant, other = factories.VariantFactory(sku="A-1"), factories.VariantFactory(sku="B-1")
    factories.SupplierItemFactory(supplier=supplier, variant=other, unit_cost=Decimal("1.00"))
    job = run(django_capture_on_commit_callbacks, csv_bytes(
        "supplier,sku,unit_cost,lead_time_days,minimum_order_quantity,preferred",
        "Acme,A-1,2.50,3,10,true",
        "Acme,B-1,1.25,,,",
        "Nobody,A-1,1,,,",
        "Acme,ZZZ,1,,,",
        "Acme,A-1,1,,0,",
    ), type="supplier_items", on_error="skip")
    assert job.counts["create"] == 1 and job.counts["update"] == 1 and job.counts["error"] == 3
    item = SupplierItem.objects.get(supplier=supplier, variant=variant)
    assert (item.unit_cost, item.lead_time_days, item.minimum_order_quantity, item.preferred) == (
        Decimal("2.50"), 3, 10, True)
    assert SupplierItem.objects.get(variant=other).unit_cost == Decimal("1.25")
    assert [(row, column) for row, column, _m in errors(job)] == [(4, "supplier"), (5, "sku"), (6, "minimum_order_quantity")]


def test_supplier_items_import_refuses_a_second_preferred_supplier():
    variant = factories.VariantFactory(sku="A-1")
    factories.SupplierItemFactory(variant=variant, preferred=True, supplier__name="First")
    factories.SupplierFactory(name="Second")
    job = validate(csv_bytes("supplier,sku,preferred", "Second,A-1,true"), type="supplier_items")
    assert errors(job)[0][:2] == (2, "preferred") and '"First"' in errors(job)[0][2]

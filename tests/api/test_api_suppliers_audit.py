"""Supplier changes through the API are audited under the token's user."""
import pytest

from core.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


def test_supplier_api_records_the_token_user(manager_api, manager_user):
    supplier = factories.SupplierFactory(name="Acme Ltd", contact_name="Ann")

    response = manager_api.patch(f"/api/v1/suppliers/{supplier.pk}/", {"contact_name": "Bob"}, format="json")

    assert response.status_code == 200
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.changes) == (manager_user, {"contact_name": ["Ann", "Bob"]})


def test_supplier_api_create_and_delete_record_the_token_user(manager_api, manager_user):
    created = manager_api.post("/api/v1/suppliers/", {"name": "Brick Co"}, format="json")
    deleted = manager_api.delete(f"/api/v1/suppliers/{created.json()['id']}/")

    assert (created.status_code, deleted.status_code) == (201, 204)
    assert [(entry.action, entry.user) for entry in AuditEntry.objects.order_by("id")] == [
        ("supplier.create", manager_user), ("supplier.delete", manager_user)]


def test_supplier_api_refused_change_writes_no_audit_row(manager_api):
    factories.SupplierFactory(name="Taken")
    supplier = factories.SupplierFactory(name="Acme Ltd")

    response = manager_api.patch(f"/api/v1/suppliers/{supplier.pk}/", {"name": "TAKEN"}, format="json")

    assert response.status_code == 409
    assert AuditEntry.objects.count() == 0

"""Every supplier change writes one audit row in its own transaction: who, what and the
changed fields' before and after; nothing when nothing changed or the change failed."""
import pytest

from core.exceptions import Conflict, ValidationFailed
from core.models import AuditEntry
from inventory.services import stock_adjust
from suppliers.services import (
    supplier_activate,
    supplier_create,
    supplier_deactivate,
    supplier_delete,
    supplier_update,
)
from tests import factories
from tests.suppliers.helpers import purchase_order_for

pytestmark = pytest.mark.django_db


def _entries(supplier_pk: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="suppliers.supplier", object_id=str(supplier_pk))
                .order_by("created_at", "id"))


def test_supplier_create_records_who_created_it_with_the_filled_fields(manager_user):
    supplier = supplier_create(name=" Acme ", email="ann@acme.test", notes="", user=manager_user)

    [entry] = _entries(supplier.pk)
    assert (entry.user, entry.action, entry.object_repr) == (manager_user, "supplier.create", "Acme")
    assert entry.changes == {"name": [None, "Acme"], "email": [None, "ann@acme.test"]}


def test_supplier_create_refused_writes_no_audit_row(manager_user):
    supplier_create(name="Acme", user=manager_user)

    with pytest.raises(Conflict):
        supplier_create(name="ACME", user=manager_user)
    with pytest.raises(ValidationFailed):
        supplier_create(name="Other", email="not an address", user=manager_user)

    assert AuditEntry.objects.count() == 1


def test_supplier_update_records_the_changed_fields_only(manager_user):
    supplier = factories.SupplierFactory(name="Acme", email="a@x.test", phone="123")

    supplier_update(supplier=supplier, name="Acme", email="b@x.test", phone="123", notes="Net 30", user=manager_user)

    [entry] = _entries(supplier.pk)
    assert (entry.user, entry.action) == (manager_user, "supplier.update")
    assert entry.changes == {"email": ["a@x.test", "b@x.test"], "notes": ["", "Net 30"]}


def test_supplier_update_without_a_change_writes_no_audit_row(manager_user):
    supplier = factories.SupplierFactory(name="Acme", email="a@x.test")

    supplier_update(supplier=supplier, name="Acme", email=" a@x.test ", user=manager_user)

    assert _entries(supplier.pk) == []


def test_supplier_update_refused_writes_no_audit_row(manager_user):
    factories.SupplierFactory(name="Taken")
    supplier = factories.SupplierFactory(name="Acme")

    with pytest.raises(Conflict):
        supplier_update(supplier=supplier, name="taken", email="b@x.test", user=manager_user)
    with pytest.raises(ValidationFailed):
        supplier_update(supplier=supplier, email="b@x.test", website="not a site", user=manager_user)

    supplier.refresh_from_db()
    assert (supplier.name, supplier.email) == ("Acme", "")
    assert _entries(supplier.pk) == []


def test_supplier_deactivate_and_activate_record_the_change_once(manager_user):
    supplier = factories.SupplierFactory()

    supplier_deactivate(supplier=supplier, user=manager_user)
    supplier_deactivate(supplier=supplier, user=manager_user)
    supplier_activate(supplier=supplier, user=manager_user)

    entries = _entries(supplier.pk)
    assert [(entry.action, entry.changes) for entry in entries] == [
        ("supplier.deactivate", {"active": [True, False]}),
        ("supplier.activate", {"active": [False, True]}),
    ]
    assert {entry.user for entry in entries} == {manager_user}


def test_supplier_delete_keeps_an_audit_row_of_what_was_deleted(manager_user):
    supplier = factories.SupplierFactory(name="Acme", email="a@x.test")
    supplier_pk = supplier.pk

    supplier_delete(supplier=supplier, user=manager_user)

    [entry] = _entries(supplier_pk)
    assert (entry.user, entry.action, entry.object_repr) == (manager_user, "supplier.delete", "Acme")
    assert entry.changes == {"name": ["Acme", None], "email": ["a@x.test", None]}


def test_supplier_delete_refused_writes_no_audit_row(manager_user, variant, default_location):
    supplier = factories.SupplierFactory()
    purchase_order_for(supplier, variant)
    other = factories.SupplierFactory()
    stock_adjust(variant=variant, location=default_location, quantity=3, type="RESTOCK", reason="In",
                 supplier=other)

    for refused in (supplier, other):
        with pytest.raises(Conflict):
            supplier_delete(supplier=refused, user=manager_user)

    assert AuditEntry.objects.count() == 0

"""The supplier page's "Changes": who changed what and when, written by the pages' saves."""
import re

import pytest
from django.urls import reverse

from core.models import AuditEntry
from suppliers.models import Supplier
from suppliers.services import supplier_update
from tests import factories

pytestmark = pytest.mark.django_db


def _detail(supplier) -> str:
    return reverse("suppliers:supplier_detail", kwargs={"supplier_id": supplier.pk})


def _data(**fields) -> dict:
    data = {"name": "Acme Ltd", "contact_name": "", "email": "a@x.test", "phone": "", "website": "", "address": "",
            "notes": "", "active": "on"}
    return data | fields


def _changes_section(html: str) -> str:
    match = re.search(r'<section id="changes".*?</section>', html, re.S)
    assert match, "no Changes section"
    return match.group(0)


def test_supplier_edit_view_records_the_user_and_the_page_shows_the_change(manager_client, manager_user):
    supplier = factories.SupplierFactory(name="Acme Ltd", email="a@x.test")

    response = manager_client.post(reverse("suppliers:supplier_edit", kwargs={"supplier_id": supplier.pk}),
                                   _data(email="b@x.test"))

    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action, entry.changes) == (manager_user, "supplier.update",
                                                         {"email": ["a@x.test", "b@x.test"]})
    section = _changes_section(manager_client.get(_detail(supplier)).content.decode())
    assert "<h2>Changes</h2>" in section
    assert "Email: a@x.test → b@x.test" in section
    assert "by manager" in section
    assert entry.created_at.strftime("%Y-%m-%d") in section


def test_supplier_edit_view_refused_writes_no_audit_row(manager_client):
    supplier = factories.SupplierFactory(name="Acme Ltd", email="a@x.test")

    response = manager_client.post(reverse("suppliers:supplier_edit", kwargs={"supplier_id": supplier.pk}),
                                   _data(email="b@x.test", website="http://"))

    assert response.status_code == 200
    assert AuditEntry.objects.count() == 0
    assert "No changes recorded yet." in manager_client.get(_detail(supplier)).content.decode()


def test_supplier_create_and_deactivate_views_show_on_the_page(manager_client, manager_user):
    manager_client.post(reverse("suppliers:supplier_create"), _data(name="Brick Co", email="sales@brick.test"))
    supplier = Supplier.objects.get(name="Brick Co")
    manager_client.post(reverse("suppliers:supplier_deactivate", kwargs={"supplier_id": supplier.pk}))

    section = _changes_section(manager_client.get(_detail(supplier)).content.decode())

    assert [entry.action for entry in AuditEntry.objects.order_by("id")] == ["supplier.create", "supplier.deactivate"]
    assert {entry.user for entry in AuditEntry.objects.all()} == {manager_user}
    assert section.index("Deactivated") < section.index("Created")  # newest first
    assert "Active: yes → no" in section
    assert "Name: Brick Co" in section and "Email: sales@brick.test" in section


def test_supplier_detail_view_shows_changes_to_staff_and_escapes_them(staff_client):
    supplier = factories.SupplierFactory(name="Acme Ltd")
    supplier_update(supplier=supplier, notes="<b>Net 30</b>")

    section = _changes_section(staff_client.get(_detail(supplier)).content.decode())

    assert "Notes: — → &lt;b&gt;Net 30&lt;/b&gt;" in section
    assert "by system" in section
    assert " style=" not in section and "<script" not in section


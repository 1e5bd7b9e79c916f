"""The audit trail: audit_record writes one row per change (none when nothing changed),
the selectors read a record's rows newest first, and the rows read well on a page."""
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from core.audit import audit_changes, audit_record
from core.models import AuditEntry, Sequence
from core.selectors import audit_list_for, audit_list_for_objects
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def record():
    return Sequence.objects.create(name="audit-test")


def test_audit_changes_keeps_only_the_fields_that_differ():
    assert audit_changes(before={"a": 1, "b": "x"}, after={"a": 2, "b": "x"}) == {"a": [1, 2]}
    assert audit_changes(before={}, after={"a": 1, "b": None}) == {"a": [None, 1]}
    assert audit_changes(before={"a": 1}, after={"a": 1}) == {}


def test_audit_record_writes_who_what_and_the_changes(record, manager_user):
    entry = audit_record(user=manager_user, action="sequence.update", obj=record, changes={"value": [0, 5]})

    entry = AuditEntry.objects.get()
    assert entry.user == manager_user
    assert (entry.action, entry.object_type, entry.object_id) == ("sequence.update", "core.sequence", str(record.pk))
    assert entry.object_repr == "audit-test=0"
    assert entry.changes == {"value": [0, 5]}
    assert entry.created_at is not None


def test_audit_record_writes_nothing_when_nothing_changed(record, manager_user):
    assert audit_record(user=manager_user, action="sequence.update", obj=record, changes={}) is None
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize("user", [None, AnonymousUser()])
def test_audit_record_without_a_signed_in_user_records_no_user(record, user):
    audit_record(user=user, action="sequence.update", obj=record, changes={"value": [0, 1]})

    assert AuditEntry.objects.get().user is None


def test_audit_record_stores_decimals_dates_and_times_as_text(record):
    audit_record(user=None, action="sequence.update", obj=record, object_repr="Counter",
                 changes={"cost": [Decimal("1.50"), Decimal("2.00")], "at": [dt.time(3, 0), dt.date(2026, 1, 2)]})

    entry = AuditEntry.objects.get()
    assert entry.object_repr == "Counter"
    assert entry.changes == {"cost": ["1.50", "2.00"], "at": ["03:00:00", "2026-01-02"]}


def test_audit_record_refuses_an_unsaved_object():
    with pytest.raises(ValueError):
        audit_record(user=None, action="sequence.delete", obj=Sequence(name="gone"), changes={"name": ["gone", None]})


def test_audit_record_rolls_back_with_the_change(record):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(user=None, action="sequence.update", obj=record, changes={"value": [0, 1]})
        raise RuntimeError("the change failed")

    assert AuditEntry.objects.count() == 0


def test_audit_list_for_gives_one_records_entries_newest_first(record):
    other = Sequence.objects.create(name="other")
    first = audit_record(user=None, action="sequence.update", obj=record, changes={"value": [0, 1]})
    audit_record(user=None, action="sequence.update", obj=other, changes={"value": [0, 1]})
    second = audit_record(user=None, action="sequence.update", obj=record, changes={"value": [1, 2]})

    assert list(audit_list_for(obj=record)) == [second, first]
    assert list(audit_list_for(obj=record, limit=1)) == [second]


def test_audit_list_for_objects_mixes_several_records_and_types(record):
    supplier = factories.SupplierFactory()
    on_record = audit_record(user=None, action="sequence.update", obj=record, changes={"value": [0, 1]})
    on_supplier = audit_record(user=None, action="supplier.update", obj=supplier, changes={"email": ["", "a@x.test"]})

    assert list(audit_list_for_objects(objects=[record, supplier])) == [on_supplier, on_record]
    assert list(audit_list_for_objects(objects=[])) == []


def test_audit_entry_reads_well_on_a_page(record):
    entry = audit_record(user=None, action="reorder_rule.update", obj=record, changes={
        "email": ["a@x.test", "b@x.test"], "active": [True, False], "location": ["main", None],
        "sections": [["catalogue"], ["catalogue", "stock"]],
    })

    assert (entry.subject, entry.verb) == ("Reorder rule", "Changed")
    assert not entry.is_create and not entry.is_delete
    assert entry.change_rows == [
        ("Email", "a@x.test", "b@x.test"),
        ("Active", "yes", "no"),
        ("Location", "main", "—"),
        ("Sections", "catalogue", "catalogue, stock"),
    ]

"""Reorder rule changes write an audit row against the variant (one rule per variant), so
the variant's page keeps a rule's history after it is removed."""
import pytest

from core.exceptions import ValidationFailed
from core.models import AuditEntry
from purchasing.services import reorder_rule_delete, reorder_rule_set
from tests import factories

pytestmark = pytest.mark.django_db


def _entries(variant) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="inventory.variant", object_id=str(variant.pk))
                .order_by("created_at", "id"))


def test_reorder_rule_set_records_the_new_rule(variant, manager_user):
    reorder_rule_set(variant=variant, min_quantity=5, max_quantity=20, user=manager_user)

    [entry] = _entries(variant)
    assert (entry.user, entry.action, entry.object_repr) == (manager_user, "reorder_rule.create", variant.sku)
    assert entry.changes == {"min_quantity": [None, 5], "max_quantity": [None, 20], "active": [None, True]}


def test_reorder_rule_set_records_the_changed_fields_only(variant, other_location, manager_user):
    reorder_rule_set(variant=variant, min_quantity=5, max_quantity=20)

    reorder_rule_set(variant=variant, min_quantity=5, max_quantity=30, location=other_location, user=manager_user)

    entry = _entries(variant)[-1]
    assert (entry.user, entry.action) == (manager_user, "reorder_rule.update")
    assert entry.changes == {"max_quantity": [20, 30], "location": [None, other_location.code]}


def test_reorder_rule_set_unchanged_writes_no_audit_row(variant, manager_user):
    reorder_rule_set(variant=variant, min_quantity=5, max_quantity=20, user=manager_user)

    reorder_rule_set(variant=variant, min_quantity="5", max_quantity="20", user=manager_user)

    assert len(_entries(variant)) == 1


def test_reorder_rule_set_refused_writes_no_audit_row(variant, manager_user):
    reorder_rule_set(variant=variant, min_quantity=5, max_quantity=20, user=manager_user)
    closed = factories.LocationFactory(code="closed", active=False)

    with pytest.raises(ValidationFailed):
        reorder_rule_set(variant=variant, min_quantity=30, max_quantity=20, user=manager_user)
    with pytest.raises(ValidationFailed):
        reorder_rule_set(variant=variant, min_quantity=1, max_quantity=5, location=closed, user=manager_user)

    assert [entry.action for entry in _entries(variant)] == ["reorder_rule.create"]


def test_reorder_rule_delete_records_the_removed_rule(variant, other_location, manager_user):
    reorder_rule_set(variant=variant, min_quantity=5, max_quantity=20, location=other_location, active=False)

    assert reorder_rule_delete(variant=variant, user=manager_user) is True

    entry = _entries(variant)[-1]
    assert (entry.user, entry.action) == (manager_user, "reorder_rule.delete")
    assert entry.changes == {"min_quantity": [5, None], "max_quantity": [20, None],
                             "location": [other_location.code, None], "active": [False, None]}


def test_reorder_rule_delete_without_a_rule_writes_no_audit_row(variant, manager_user):
    assert reorder_rule_delete(variant=variant, user=manager_user) is False

    assert _entries(variant) == []

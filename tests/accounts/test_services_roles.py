"""Role changes write one audit row against the user, in the transaction of the change."""
import pytest
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.roles import user_role
from accounts.services import user_create, user_role_set
from core.exceptions import ValidationFailed
from core.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


def _entries(user) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="auth.user", object_id=str(user.pk)).order_by("created_at", "id"))


def test_user_create_records_the_initial_role_and_who_gave_it(admin_user):
    user = user_create(username="newbie", password="pw-123456789", role="Staff", by=admin_user)

    [entry] = _entries(user)
    assert (entry.user, entry.action, entry.object_repr) == (admin_user, "user.create", "newbie")
    assert entry.changes == {"role": [None, "Staff"]}


def test_user_role_set_writes_one_row_with_from_to_and_who(staff_user, admin_user):
    user = user_role_set(user=staff_user, role="Manager", by=admin_user)

    assert user_role(user) == "Manager"
    assert [g.name for g in user.groups.all()] == ["Manager"]
    [entry] = _entries(staff_user)
    assert (entry.user, entry.action) == (admin_user, "user.role_change")
    assert entry.changes == {"role": ["Staff", "Manager"]}


def test_user_role_set_without_a_user_is_recorded_as_the_system(staff_user):
    user_role_set(user=staff_user, role="Manager")

    [entry] = _entries(staff_user)
    assert entry.user is None


def test_user_role_set_to_admin_gives_the_admin_site_and_taking_it_back_removes_it(staff_user, admin_user):
    user = user_role_set(user=staff_user, role="Admin", by=admin_user)
    assert user.is_staff and user.is_superuser and user_role(user) == "Admin"

    user = user_role_set(user=user, role="Staff", by=admin_user)
    assert not user.is_staff and not user.is_superuser and user_role(user) == "Staff"

    promote, demote = _entries(staff_user)
    assert promote.changes == {"role": ["Staff", "Admin"], "is_staff": [False, True], "is_superuser": [False, True]}
    assert demote.changes == {"role": ["Admin", "Staff"], "is_staff": [True, False], "is_superuser": [True, False]}


def test_user_role_set_gives_a_role_to_a_user_without_one(admin_user):
    user = factories.UserFactory(username="nobody")

    user_role_set(user=user, role="Customer", by=admin_user)

    [entry] = _entries(user)
    assert entry.changes == {"role": [None, "Customer"]}


def test_user_role_set_to_the_same_role_writes_nothing(staff_user, admin_user):
    user = user_role_set(user=staff_user, role="Staff", by=admin_user)

    assert user_role(user) == "Staff"
    assert _entries(staff_user) == []


@pytest.mark.parametrize("role", ["Boss", "", "staff", None])
def test_user_role_set_refuses_an_unknown_role_and_changes_nothing(staff_user, admin_user, role):
    with pytest.raises(ValidationFailed) as caught:
        user_role_set(user=staff_user, role=role, by=admin_user)

    assert caught.value.field == "role"
    assert "role" in caught.value.message and "Admin, Manager, Staff, Customer" in caught.value.message
    staff_user.refresh_from_db()
    assert user_role(staff_user) == "Staff" and not staff_user.is_staff
    assert _entries(staff_user) == []


def test_user_create_refuses_an_unknown_role_and_creates_nobody():
    from django.contrib.auth import get_user_model

    with pytest.raises(ValidationFailed) as caught:
        user_create(username="x", password="pw-123456789", role="Boss")

    assert caught.value.field == "role"
    assert not get_user_model().objects.filter(username="x").exists()
    assert not AuditEntry.objects.exists()


def test_user_role_set_keeps_groups_that_are_not_roles(staff_user):
    other = Group.objects.create(name="Night shift")
    staff_user.groups.add(other)

    user_role_set(user=staff_user, role="Manager")

    assert sorted(g.name for g in staff_user.groups.all()) == ["Manager", "Night shift"]


def test_user_role_set_records_a_second_role_group_it_drops(staff_user):
    staff_user.groups.add(Group.objects.get(name="Manager"))  # user_role: Manager

    user_role_set(user=staff_user, role="Manager")

    assert [g.name for g in staff_user.groups.all()] == ["Manager"]
    [entry] = _entries(staff_user)
    assert entry.changes == {"role_groups": [["Manager", "Staff"], ["Manager"]]}


def test_user_role_set_rolled_back_leaves_neither_the_role_nor_its_row(staff_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        user_role_set(user=staff_user, role="Manager")
        raise RuntimeError("the caller fails after the change")

    staff_user.refresh_from_db()
    assert user_role(staff_user) == "Staff"
    assert _entries(staff_user) == []

"""The admin site's user form changes a role through accounts.services, and the user's
page lists the role changes."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.roles import user_role
from accounts.services import user_role_set
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _entries(user) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="auth.user", object_id=str(user.pk)).order_by("created_at", "id"))


def _change_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def _form(user, **changes) -> dict:
    data = {"username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "is_active": "on", "role": user_role(user), "_save": "Save"}
    data.update(changes)
    return data


def test_admin_user_change_writes_one_role_row_with_who(admin_client, admin_user, staff_user):
    response = admin_client.post(_change_url(staff_user), _form(staff_user, role="Manager"))

    assert response.status_code == 302
    staff_user.refresh_from_db()
    assert user_role(staff_user) == "Manager"
    assert [g.name for g in staff_user.groups.all()] == ["Manager"]
    [entry] = _entries(staff_user)
    assert (entry.user, entry.action, entry.changes) == (admin_user, "user.role_change", {"role": ["Staff", "Manager"]})


def test_admin_user_change_to_admin_gives_the_admin_site(admin_client, staff_user):
    admin_client.post(_change_url(staff_user), _form(staff_user, role="Admin"))

    staff_user.refresh_from_db()
    assert staff_user.is_staff and staff_user.is_superuser
    [entry] = _entries(staff_user)
    assert entry.changes["role"] == ["Staff", "Admin"]


def test_admin_user_change_without_a_role_change_writes_no_row(admin_client, staff_user):
    response = admin_client.post(_change_url(staff_user), _form(staff_user, email="new@example.com"))

    assert response.status_code == 302
    staff_user.refresh_from_db()
    assert staff_user.email == "new@example.com" and user_role(staff_user) == "Staff"
    assert _entries(staff_user) == []


def test_admin_user_change_ignores_groups_and_superuser_boxes(admin_client, staff_user):
    """Only the Role choice changes access: the boxes are read-only on the page."""
    from django.contrib.auth.models import Group

    manager = Group.objects.get(name="Manager")
    admin_client.post(_change_url(staff_user), _form(staff_user, is_superuser="on", is_staff="on",
                                                     groups=[manager.pk]))

    staff_user.refresh_from_db()
    assert not staff_user.is_superuser and not staff_user.is_staff
    assert user_role(staff_user) == "Staff"
    assert _entries(staff_user) == []


@pytest.mark.parametrize("role", ["Boss", ""])
def test_admin_user_change_refuses_a_bad_role_on_the_role_field(admin_client, staff_user, role):
    response = admin_client.post(_change_url(staff_user), _form(staff_user, role=role, email="new@example.com"))

    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    staff_user.refresh_from_db()
    assert staff_user.email == "staff@example.com" and user_role(staff_user) == "Staff"
    assert _entries(staff_user) == []


def test_admin_user_add_records_the_initial_role(admin_client, admin_user):
    response = admin_client.post(reverse("admin:auth_user_add"), {
        "username": "newbie", "usable_password": "true", "password1": "a-long-pass-word-1",
        "password2": "a-long-pass-word-1", "role": "Staff", "_save": "Save",
    })

    assert response.status_code == 302
    user = get_user_model().objects.get(username="newbie")
    assert user_role(user) == "Staff" and not user.is_staff
    [entry] = _entries(user)
    assert (entry.user, entry.changes) == (admin_user, {"role": [None, "Staff"]})


def test_admin_user_change_page_lists_the_role_changes(admin_client, admin_user, staff_user):
    user_role_set(user=staff_user, role="Manager", by=admin_user)
    user_role_set(user=staff_user, role="Customer")

    response = admin_client.get(_change_url(staff_user))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Role changes" in page
    first, second = _entries(staff_user)
    assert f'id="change-{first.pk}"' in page and f'id="change-{second.pk}"' in page
    assert "Role: Staff → Manager" in page and "by admin" in page
    assert "Role: Manager → Customer" in page and "by system" in page
    assert page.index(f'id="change-{second.pk}"') < page.index(f'id="change-{first.pk}"')  # newest first
    assert 'name="role"' in page and 'value="Customer" selected' in page


def test_admin_user_change_page_without_role_changes_says_so(admin_client, staff_user):
    response = admin_client.get(_change_url(staff_user))

    assert "No role changes recorded yet." in response.content.decode()

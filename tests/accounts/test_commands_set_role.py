import pytest
from django.core.management import CommandError, call_command

from accounts.roles import user_role
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _entries(user) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="auth.user", object_id=str(user.pk)))


def test_set_role_command_changes_the_role_and_records_who(staff_user, admin_user, capsys):
    call_command("set_role", "staff", "Manager", "--by", "admin")

    staff_user.refresh_from_db()
    assert user_role(staff_user) == "Manager"
    [entry] = _entries(staff_user)
    assert (entry.user, entry.action, entry.changes) == (admin_user, "user.role_change", {"role": ["Staff", "Manager"]})
    assert "staff: role Staff → Manager." in capsys.readouterr().out


def test_set_role_command_without_by_is_recorded_as_the_system(staff_user):
    call_command("set_role", "staff", "Admin")

    staff_user.refresh_from_db()
    assert staff_user.is_superuser and staff_user.is_staff
    [entry] = _entries(staff_user)
    assert entry.user is None and entry.changes["role"] == ["Staff", "Admin"]


def test_set_role_command_with_the_same_role_writes_nothing(staff_user, capsys):
    call_command("set_role", "staff", "Staff")

    assert _entries(staff_user) == []
    assert "already has the role Staff" in capsys.readouterr().out


def test_set_role_command_refuses_an_unknown_role_naming_the_field(staff_user):
    with pytest.raises(CommandError, match=r"^role: Unknown role 'Boss'"):
        call_command("set_role", "staff", "Boss")

    staff_user.refresh_from_db()
    assert user_role(staff_user) == "Staff"
    assert not AuditEntry.objects.exists()


def test_set_role_command_refuses_an_unknown_user_or_actor(staff_user):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("set_role", "ghost", "Manager")
    with pytest.raises(CommandError, match="--by: no user named 'ghost'"):
        call_command("set_role", "staff", "Manager", "--by", "ghost")

    staff_user.refresh_from_db()
    assert user_role(staff_user) == "Staff"
    assert not AuditEntry.objects.exists()

import pytest
from django.contrib.auth.models import Group

from accounts.roles import user_role
from accounts.services import user_create

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_roles_exist_with_their_permissions():
    staff = Group.objects.get(name="Staff")
    manager = Group.objects.get(name="Manager")
    admin = Group.objects.get(name="Admin")
    staff_perms = {p.codename for p in staff.permissions.all()}
    manager_perms = {p.codename for p in manager.permissions.all()}
    assert {"view_stocklevel", "adjust_stock", "view_stockmovement"} <= staff_perms
    assert "transfer_stock" not in staff_perms and "view_prices" not in staff_perms
    assert {"transfer_stock", "view_prices", "change_threshold"} <= manager_perms
    assert admin.permissions.count() > manager.permissions.count()
    assert Group.objects.filter(name="Customer").exists()


def test_user_create_gives_the_role_and_admin_site_only_to_admins():
    admin = user_create(username="a", password="pw-123456789", role="Admin")
    staff = user_create(username="s", password="pw-123456789", role="Staff")
    assert admin.is_staff and admin.is_superuser and user_role(admin) == "Admin"
    assert not staff.is_staff and user_role(staff) == "Staff"
    assert staff.has_perm("inventory.adjust_stock")
    assert not staff.has_perm("inventory.view_prices")


def test_ensure_admin_command_uses_the_password_from_the_environment(monkeypatch, tmp_path, settings):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("STOCKROOM_ADMIN_PASSWORD", "s3cret-pass-word")
    call_command("ensure_admin")
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password("s3cret-pass-word")
    assert user_role(admin) == "Admin"


def test_ensure_admin_command_prints_a_generated_password_that_works(monkeypatch, tmp_path, settings, capsys):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    monkeypatch.delenv("STOCKROOM_ADMIN_PASSWORD", raising=False)
    call_command("ensure_admin")
    first = capsys.readouterr().out.strip().split(" / ")[-1]
    call_command("ensure_admin")
    second = capsys.readouterr().out.strip().split(" / ")[-1]
    assert first == second
    assert get_user_model().objects.get(username="admin").check_password(first)

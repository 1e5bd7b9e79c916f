"""Set-up shared by the browser tests: a Staff login and two stocked SKUs."""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from accounts.roles import STAFF, STAFF_PERMISSIONS
from inventory.models import StockLevel
from inventory.services import stock_adjust
from tests import factories

USERNAME = "e2e-staff"
PASSWORD = "e2e-pass-word-123"


def role_group_make(role: str, permissions) -> Group:
    # Transactional tests flush the database, data migrations included: make the role here.
    group, _ = Group.objects.get_or_create(name=role)
    group.permissions.set(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in (name.split(".") for name in permissions)
    )
    return group


def staff_user_make():
    user = get_user_model().objects.create_user(USERNAME, password=PASSWORD, first_name="Erin")
    user.groups.add(role_group_make(STAFF, STAFF_PERMISSIONS))
    return user


def stock_make() -> StockLevel:
    """A rain jacket with 7 units and a wool hat with 30 at the default location; returns the jacket's level."""
    main = factories.LocationFactory(code="main", name="Main warehouse", is_default=True)
    jacket = factories.VariantFactory(sku="E2E-RED-M", product__name="Rain jacket")
    hat = factories.VariantFactory(sku="E2E-BLUE-L", product__name="Wool hat")
    stock_adjust(variant=jacket, location=main, quantity=7, type="RESTOCK", reason="Opening stock")
    stock_adjust(variant=hat, location=main, quantity=30, type="RESTOCK", reason="Opening stock")
    return StockLevel.objects.get(variant=jacket, location=main)


def log_in(page, username: str = USERNAME, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

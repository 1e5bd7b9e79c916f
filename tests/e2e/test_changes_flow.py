"""The "Changes" sections in a real browser: on a phone-sized screen (390px) the supplier
page shows who changed what without sideways scrolling, and saving a reorder rule on the
variant page brings its change into the section without a reload."""
import pytest
from django.contrib.auth import get_user_model

from accounts.roles import MANAGER, MANAGER_PERMISSIONS
from tests.e2e.helpers import log_in, role_group_make, stock_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

USERNAME = "e2e-auditor"
PASSWORD = "e2e-pass-word-789"
PHONE = {"width": 390, "height": 844}


def manager_user_make():
    user = get_user_model().objects.create_user(USERNAME, password=PASSWORD)
    user.groups.add(role_group_make(MANAGER, MANAGER_PERMISSIONS))
    return user


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_supplier_changes_fit_a_phone_screen(page):
    from suppliers.services import supplier_create, supplier_update

    manager = manager_user_make()
    long_email = "purchasing.department.north.region@" + "very-long-supplier-domain-name" * 2 + ".example"
    supplier = supplier_create(name="Northwind Textiles", email="ada@northwind.test", user=manager)
    supplier_update(supplier=supplier, email=long_email, notes="Deliveries " * 40, user=manager)
    page.set_viewport_size(PHONE)
    log_in(page, USERNAME, PASSWORD)

    page.goto(f"/suppliers/{supplier.pk}/")

    changes = page.locator("#changes")
    changes.get_by_text("Email: ada@northwind.test →").wait_for()
    assert "by e2e-auditor" in changes.inner_text()
    assert _no_sideways_scroll(page)
    assert page.console_errors == []


def test_reorder_rule_change_appears_in_the_changes_without_a_reload(page):
    level = stock_make()
    manager_user_make()
    log_in(page, USERNAME, PASSWORD)
    page.goto(f"/inventory/variants/{level.variant.sku}/")
    page.locator("#changes").get_by_text("No changes recorded yet.").wait_for()

    rule = page.locator("#reorder-rule")
    rule.get_by_label("Min").fill("5")
    rule.get_by_label("Max").fill("25")
    rule.get_by_role("button", name="Add rule").click()

    page.locator("#changes").get_by_text("Max quantity: 25").wait_for()
    assert f"Reorder rule {level.variant.sku}: created" in page.locator("#changes").inner_text()
    page.set_viewport_size(PHONE)
    assert _no_sideways_scroll(page)
    assert page.console_errors == []

"""The variant page's "Changes": its levels' threshold and reorder-quantity changes (made on
the alerts page) and its reorder rule's changes, who made them and when."""
import re

import pytest
from django.urls import reverse

from core.models import AuditEntry
from inventory.services import stock_level_settings_update
from purchasing.services import reorder_rule_set

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def _variant_url(variant) -> str:
    return reverse("inventory:variant_detail", kwargs={"sku": variant.sku})


def _rule_url(variant) -> str:
    return reverse("inventory:reorder_rule", kwargs={"sku": variant.sku})


def _changes_section(html: str) -> str:
    match = re.search(r'<section id="changes".*?</section>', html, re.S)
    assert match, "no Changes section"
    return match.group(0)


def test_level_settings_view_records_the_user_and_the_variant_page_shows_it(manager_client, manager_user, stocked):
    level = stocked(2, threshold=10)

    response = manager_client.post(reverse("inventory:level_settings", kwargs={"pk": level.pk}),
                                   {"low_stock_threshold": "4", "reorder_quantity": "0"}, headers=HX)

    assert response.status_code == 200
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action, entry.changes) == (manager_user, "stock_level.update",
                                                         {"low_stock_threshold": [10, 4]})
    page = manager_client.get(_variant_url(level.variant))
    section = _changes_section(page.content.decode())
    assert f"Stock level {level.variant.sku} at {level.location.code}: changed" in section
    assert "Low stock threshold: 10 → 4" in section
    assert "by manager" in section


def test_level_settings_view_refused_writes_no_audit_row(manager_client, stocked):
    level = stocked(2, threshold=10)

    response = manager_client.post(reverse("inventory:level_settings", kwargs={"pk": level.pk}),
                                   {"low_stock_threshold": "-3", "reorder_quantity": "0"}, headers=HX)

    assert response.status_code == 200
    assert AuditEntry.objects.count() == 0
    assert "No changes recorded yet." in manager_client.get(_variant_url(level.variant)).content.decode()


def test_reorder_rule_view_with_htmx_answers_the_changes_beside_the_rule(manager_client, manager_user, stocked):
    level = stocked(3)
    reorder_rule_set(variant=level.variant, min_quantity=5, max_quantity=20)

    response = manager_client.post(_rule_url(level.variant), {"min_quantity": "5", "max_quantity": "30",
                                                              "active": "on"}, headers=HX)

    assert response.status_code == 200
    entry = AuditEntry.objects.order_by("id").last()
    assert (entry.user, entry.action, entry.changes) == (manager_user, "reorder_rule.update",
                                                         {"max_quantity": [20, 30]})
    text = response.content.decode()
    assert 'id="reorder-rule"' in text
    section = _changes_section(text)
    assert 'hx-swap-oob="true"' in section
    assert f"Reorder rule {level.variant.sku}: changed" in section
    assert "Max quantity: 20 → 30" in section
    assert f"Reorder rule {level.variant.sku}: created" in section


def test_reorder_rule_views_removal_and_refusal_on_the_variant_page(manager_client, manager_user, stocked):
    level = stocked(3)
    manager_client.post(_rule_url(level.variant), {"min_quantity": "5", "max_quantity": "20", "active": "on"})
    bad = manager_client.post(_rule_url(level.variant), {"min_quantity": "50", "max_quantity": "20"})
    manager_client.post(reverse("inventory:reorder_rule_delete", kwargs={"sku": level.variant.sku}))

    assert bad.status_code == 400
    assert [entry.action for entry in AuditEntry.objects.order_by("id")] == ["reorder_rule.create",
                                                                            "reorder_rule.delete"]
    section = _changes_section(manager_client.get(_variant_url(level.variant)).content.decode())
    assert f"Reorder rule {level.variant.sku}: deleted" in section
    assert "Min quantity: 5" in section and "Max quantity: 20" in section


def test_variant_detail_view_shows_staff_level_changes_but_not_rule_changes(staff_client, manager_user, stocked):
    level = stocked(3, threshold=10)
    stock_level_settings_update(level=level, low_stock_threshold=6, reorder_quantity=12, user=manager_user)
    reorder_rule_set(variant=level.variant, min_quantity=5, max_quantity=20, user=manager_user)

    section = _changes_section(staff_client.get(_variant_url(level.variant)).content.decode())

    assert "Reorder quantity: — → 12" not in section  # zero is a value, not a blank
    assert "Reorder quantity: 0 → 12" in section
    assert "Reorder rule" not in section

import pytest

from core.exceptions import ValidationFailed
from purchasing.models import ReorderRule
from purchasing.services import reorder_rule_delete, reorder_rule_set
from tests import factories

pytestmark = pytest.mark.django_db


def test_reorder_rule_set_creates_the_variants_rule(variant, default_location):
    rule = reorder_rule_set(variant=variant, min_quantity=5, max_quantity=20)

    assert (rule.min_quantity, rule.max_quantity, rule.location, rule.active) == (5, 20, None, True)
    assert ReorderRule.objects.get(variant=variant).pk == rule.pk


def test_reorder_rule_set_replaces_rather_than_duplicates(variant, other_location):
    first = reorder_rule_set(variant=variant, min_quantity=5, max_quantity=20)

    second = reorder_rule_set(variant=variant, min_quantity="0", max_quantity="8", location=other_location,
                              active=False)

    assert second.pk == first.pk
    assert ReorderRule.objects.filter(variant=variant).count() == 1
    rule = ReorderRule.objects.get(variant=variant)
    assert (rule.min_quantity, rule.max_quantity, rule.location_id, rule.active) == (0, 8, other_location.pk, False)


@pytest.mark.parametrize("minimum, maximum, field", [
    (10, 10, "max_quantity"),
    (10, 3, "max_quantity"),
    (-1, 5, "min_quantity"),
    (1, -5, "max_quantity"),
    (1.5, 5, "min_quantity"),
    ("two", 5, "min_quantity"),
    (True, 5, "min_quantity"),
    (None, 5, "min_quantity"),
    (1, 10**9, "max_quantity"),
])
def test_reorder_rule_set_refuses_bad_quantities_naming_the_field(variant, minimum, maximum, field):
    with pytest.raises(ValidationFailed) as caught:
        reorder_rule_set(variant=variant, min_quantity=minimum, max_quantity=maximum)

    assert caught.value.field == field
    assert not ReorderRule.objects.exists()


def test_reorder_rule_set_refuses_an_inactive_location(variant):
    closed = factories.LocationFactory(code="closed", active=False)

    with pytest.raises(ValidationFailed) as caught:
        reorder_rule_set(variant=variant, min_quantity=1, max_quantity=5, location=closed)

    assert caught.value.field == "location"


def test_reorder_rule_set_failure_keeps_the_previous_rule(variant):
    reorder_rule_set(variant=variant, min_quantity=5, max_quantity=20)

    with pytest.raises(ValidationFailed):
        reorder_rule_set(variant=variant, min_quantity=30, max_quantity=20)

    rule = ReorderRule.objects.get(variant=variant)
    assert (rule.min_quantity, rule.max_quantity) == (5, 20)


def test_reorder_rule_delete_removes_the_rule_once(variant):
    reorder_rule_set(variant=variant, min_quantity=5, max_quantity=20)

    assert reorder_rule_delete(variant=variant) is True
    assert reorder_rule_delete(variant=variant) is False
    assert not ReorderRule.objects.exists()

"""Min/max reorder rules: one per variant, applied by the nightly run (reorder_rules_apply)."""
import re

from django.db import transaction

from core.exceptions import ValidationFailed
from inventory.models import Location, Variant
from purchasing.models import ReorderRule

MAX_RULE_QUANTITY = 10_000_000
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,12}")
LABELS = {"min_quantity": "The minimum", "max_quantity": "The maximum"}


def _whole_number(value, *, field: str) -> int:
    label = LABELS[field]
    if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"{label} must be a whole number.", field=field)
    if value < 0:
        raise ValidationFailed(f"{label} must be zero or more.", field=field)
    if value > MAX_RULE_QUANTITY:
        raise ValidationFailed(f"{label} must be at most {MAX_RULE_QUANTITY:,}.", field=field)
    return value


def reorder_rule_set(*, variant: Variant, min_quantity: int, max_quantity: int, location: Location | None = None,
                     active: bool = True, user=None) -> ReorderRule:
    """Create or replace the variant's min/max rule.

    When available stock at the location (the default location when None) plus what is
    on order falls to `min_quantity` or below, the nightly run drafts enough to reach
    `max_quantity`. Max must be above min.
    """
    minimum = _whole_number(min_quantity, field="min_quantity")
    maximum = _whole_number(max_quantity, field="max_quantity")
    if maximum <= minimum:
        raise ValidationFailed(f"The maximum must be more than the minimum ({minimum}).", field="max_quantity")
    if location is not None and not location.active:
        raise ValidationFailed(f"Location {location.code} is inactive.", field="location")
    with transaction.atomic():
        # The variant row serialises two saves of the same rule (one rule per variant).
        Variant.objects.select_for_update(of=("self",)).filter(pk=variant.pk).first()
        rule = ReorderRule.objects.filter(variant=variant).first()
        if rule is None:
            rule = ReorderRule(variant=variant)
        rule.min_quantity = minimum
        rule.max_quantity = maximum
        rule.location = location
        rule.active = bool(active)
        rule.save()
    return rule


def reorder_rule_delete(*, variant: Variant, user=None) -> bool:
    """Remove the variant's rule; False when it had none."""
    deleted, _ = ReorderRule.objects.filter(variant=variant).delete()
    return bool(deleted)

"""Min/max reorder rules: one per variant, applied by the nightly run (reorder_rules_run).

Each change is written to the audit trail against the variant (a variant has at most one
rule), so the variant's page keeps the history of a rule even after it is removed.
"""
import re

from django.db import transaction

from core.audit import audit_changes, audit_record
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


def _rule_values(rule: ReorderRule) -> dict:
    """The rule as the audit trail records it (the location by its code; None: the default)."""
    return {"min_quantity": rule.min_quantity, "max_quantity": rule.max_quantity,
            "location": rule.location.code if rule.location_id else None, "active": rule.active}


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
        Variant.objects.select_for_update(no_key=True, of=("self",)).filter(pk=variant.pk).first()
        rule = ReorderRule.objects.select_related("location").filter(variant=variant).first()
        before = {} if rule is None else _rule_values(rule)
        action = "reorder_rule.create" if rule is None else "reorder_rule.update"
        if rule is None:
            rule = ReorderRule(variant=variant)
        rule.min_quantity = minimum
        rule.max_quantity = maximum
        rule.location = location
        rule.active = bool(active)
        rule.save()
        audit_record(user=user, action=action, obj=variant, object_repr=variant.sku,
                     changes=audit_changes(before=before, after=_rule_values(rule)))
    return rule


def reorder_rule_delete(*, variant: Variant, user=None) -> bool:
    """Remove the variant's rule; False when it had none."""
    with transaction.atomic():
        Variant.objects.select_for_update(no_key=True, of=("self",)).filter(pk=variant.pk).first()
        rule = ReorderRule.objects.select_related("location").filter(variant=variant).first()
        if rule is None:
            return False
        audit_record(user=user, action="reorder_rule.delete", obj=variant, object_repr=variant.sku,
                     changes={field: [value, None] for field, value in _rule_values(rule).items()
                              if value is not None})
        rule.delete()
    return True

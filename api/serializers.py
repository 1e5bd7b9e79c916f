"""Request and response shapes of the JSON API v1 (DESIGN.md, "API shapes").

Input serializers only check shape and bounds; the stock services decide
everything else. Output serializers are read-only views of models and of the
services' results. One serializer per operation: no sharing between operations.
"""
from django.contrib.auth import get_user_model
from rest_framework import serializers

from inventory.models import MovementType
from inventory.selectors import SORTS, category_list, location_list
from inventory.services.stock import ADJUSTABLE_TYPES

# Quantities are stored in 32-bit integer columns; anything beyond this is a typo.
MAX_QUANTITY = 1_000_000_000


def _quantity_field(*, min_value: int, **kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=min_value, max_value=MAX_QUANTITY, **kwargs)


def _location_code_exists(code: str) -> str:
    if code and not location_list(active_only=False).filter(code=code).exists():
        raise serializers.ValidationError(f"Unknown location {code!r}.")
    return code


# --- output -------------------------------------------------------------------

class StockRowSerializer(serializers.Serializer):
    """One stock level: a variant at a location."""

    sku = serializers.CharField(source="variant.sku")
    product = serializers.CharField(source="variant.product.name")
    variant_name = serializers.CharField(source="variant.display_name")
    location = serializers.CharField(source="location.code")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    low_stock_threshold = serializers.IntegerField()
    reorder_quantity = serializers.IntegerField()
    is_low = serializers.BooleanField()
    is_out = serializers.BooleanField()


class MovementSerializer(serializers.Serializer):
    """One ledger row."""

    id = serializers.IntegerField()
    sku = serializers.CharField(source="variant.sku")
    location = serializers.CharField(source="location.code")
    type = serializers.CharField()
    delta = serializers.IntegerField()
    quantity_before = serializers.IntegerField()
    quantity_after = serializers.IntegerField()
    reason = serializers.CharField()
    notes = serializers.CharField()
    user = serializers.CharField(source="user.username", allow_null=True, help_text="Username, or null for system changes.")
    reference = serializers.CharField()
    idempotency_key = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class StockPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = StockRowSerializer(many=True)


class MovementPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = MovementSerializer(many=True)


class StockDetailSerializer(serializers.Serializer):
    """A variant's levels with totals over them."""

    sku = serializers.CharField()
    product = serializers.CharField()
    levels = StockRowSerializer(many=True)
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()


class StockChangeSerializer(serializers.Serializer):
    """The answer to an adjustment or a count: the stock row after the change and its movement.

    The row stands both under "stock" and at the top level, so `on_hand` can be read
    straight from the answer.
    """

    stock = StockRowSerializer(source="level")
    movement = MovementSerializer()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return {**data["stock"], **data}


class StockTransferResultSerializer(serializers.Serializer):
    """The answer to a transfer: both levels and the TRANSFER_OUT, TRANSFER_IN movements."""

    def get_fields(self):
        # "from" is a Python keyword, so the fields are listed here rather than as attributes.
        return {
            "from": StockRowSerializer(),
            "to": StockRowSerializer(),
            "movements": MovementSerializer(many=True),
        }


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class StockConflictSerializer(serializers.Serializer):
    """409: not enough stock, or the level holds something else than expected."""

    detail = serializers.CharField()
    sku = serializers.CharField(required=False)
    location = serializers.CharField(required=False)
    requested = serializers.IntegerField(required=False)
    available = serializers.IntegerField(required=False)
    on_hand = serializers.IntegerField(required=False, help_text="The level's current on_hand.")
    reserved = serializers.IntegerField(required=False)
    current_on_hand = serializers.IntegerField(required=False)
    expected_on_hand = serializers.IntegerField(required=False)


# --- input: operations ------------------------------------------------------------

class StockAdjustSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    location = serializers.CharField(
        max_length=32, required=False, allow_blank=True, allow_null=True,
        help_text="Location code; the default location when omitted.",
    )
    quantity = serializers.IntegerField(
        min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY,
        help_text="Signed change of on_hand: negative for SALE and DAMAGE, positive for RESTOCK, REFUND and RETURN.",
    )
    type = serializers.ChoiceField(choices=[(t.value, t.label) for t in ADJUSTABLE_TYPES])
    reason = serializers.CharField(max_length=200)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    idempotency_key = serializers.CharField(
        max_length=200, required=False, allow_null=True, allow_blank=True,
        help_text="Retrying with the same key returns the first result and changes nothing.",
    )
    expected_on_hand = _quantity_field(
        min_value=0, required=False, allow_null=True,
        help_text="Compare-and-set: refuse with 409 when the level holds something else.",
    )

    def validate_quantity(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError("The quantity must not be zero.")
        return value


class StockCountSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    location = serializers.CharField(
        max_length=32, required=False, allow_blank=True, allow_null=True,
        help_text="Location code; the default location when omitted.",
    )
    counted = _quantity_field(min_value=0, help_text="The quantity found on the shelf.")
    reason = serializers.CharField(max_length=200)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    idempotency_key = serializers.CharField(max_length=200, required=False, allow_null=True, allow_blank=True)
    expected_on_hand = _quantity_field(
        min_value=0, required=False, allow_null=True,
        help_text="Compare-and-set: refuse with 409 and the current value when the level holds something else.",
    )


class StockTransferSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    from_location = serializers.CharField(max_length=32, help_text="Code of the location the units leave.")
    to_location = serializers.CharField(max_length=32, help_text="Code of the location the units arrive at.")
    quantity = _quantity_field(min_value=1)
    reason = serializers.CharField(max_length=200)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    idempotency_key = serializers.CharField(max_length=200, required=False, allow_null=True, allow_blank=True)


# --- input: query strings -------------------------------------------------------

class StockListQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Search name, SKU or barcode.")
    sku = serializers.CharField(required=False, allow_blank=True, max_length=64, help_text="Exact SKU.")
    location = serializers.CharField(required=False, allow_blank=True, max_length=32, help_text="Location code.")
    category = serializers.CharField(
        required=False, allow_blank=True, max_length=120,
        help_text="Category id or name (its sub-categories are included).",
    )
    low_stock = serializers.BooleanField(required=False, default=False, help_text="Only levels at or below their threshold.")
    out_of_stock = serializers.BooleanField(required=False, default=False, help_text="Only levels with nothing available.")
    sort = serializers.ChoiceField(choices=list(SORTS), required=False, default="sku")

    def validate_location(self, value: str) -> str:
        return _location_code_exists(value)

    def validate_category(self, value: str) -> int | None:
        """Turn an id or a name into a category id."""
        value = value.strip()
        if not value:
            return None
        categories = category_list()
        if value.isascii() and value.isdigit():
            category = categories.filter(pk=int(value)).first() if len(value) <= 18 else None
        else:
            matches = list(categories.filter(name__iexact=value)[:2])
            if len(matches) > 1:
                raise serializers.ValidationError(f"Several categories are named {value!r}: use the id.")
            category = matches[0] if matches else None
        if category is None:
            raise serializers.ValidationError(f"Unknown category {value!r}.")
        return category.pk

    def validate(self, attrs):
        if attrs.get("low_stock") and attrs.get("out_of_stock"):
            raise serializers.ValidationError({"low_stock": ["Use either low_stock or out_of_stock, not both."]})
        return attrs


class StockDetailQuerySerializer(serializers.Serializer):
    location = serializers.CharField(required=False, allow_blank=True, max_length=32, help_text="Only this location's level.")

    def validate_location(self, value: str) -> str:
        return _location_code_exists(value)


class MovementListQuerySerializer(serializers.Serializer):
    sku = serializers.CharField(required=False, allow_blank=True, max_length=64, help_text="Exact SKU.")
    type = serializers.ChoiceField(choices=MovementType.choices, required=False, allow_blank=True)
    location = serializers.CharField(required=False, allow_blank=True, max_length=32, help_text="Location code.")
    user = serializers.CharField(required=False, allow_blank=True, max_length=150, help_text="Username.")
    date_from = serializers.DateField(required=False, allow_null=True, help_text="First day, YYYY-MM-DD.")
    date_to = serializers.DateField(required=False, allow_null=True, help_text="Last day, YYYY-MM-DD.")

    def validate_location(self, value: str) -> str:
        return _location_code_exists(value)

    def validate_user(self, value: str) -> int | None:
        """Turn a username into a user id."""
        if not value:
            return None
        user_id = get_user_model().objects.filter(username=value).values_list("pk", flat=True).first()
        if user_id is None:
            raise serializers.ValidationError(f"Unknown user {value!r}.")
        return user_id

    def validate(self, attrs):
        date_from, date_to = attrs.get("date_from"), attrs.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise serializers.ValidationError({"date_to": ["The end date is before the start date."]})
        return attrs

"""Request and response shapes of the JSON API v1 (DESIGN.md, "API shapes").

Input serializers only check shape and bounds; the stock services decide
everything else. Output serializers are read-only views of models and of the
services' results. One serializer per operation: no sharing between operations.
"""
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.models import Location, MovementType, ReservationStatus
from inventory.selectors import SORTS, category_list, location_list
from inventory.services.stock import ADJUSTABLE_TYPES
from orders.models import OrderStatus
from orders.services import sales_order_allowed_transitions
from api.fields import DecimalTextField, StringField, WholeNumberField
from api.exceptions import UNKNOWN

# Quantities are stored in 32-bit integer columns; anything beyond this is a typo.
MAX_QUANTITY = 1_000_000_000
# Lines in one cart, reservation, checkout or order (orders.services.orders.MAX_LINES).
MAX_LINES = 200
# A reservation made through the API holds stock for at most a week.
MAX_TTL_SECONDS = 7 * 24 * 60 * 60


def _quantity_field(*, min_value: int, **kwargs) -> WholeNumberField:
    return WholeNumberField(min_value=min_value, max_value=MAX_QUANTITY, **kwargs)


@extend_schema_field({"type": "integer", "minimum": -MAX_QUANTITY, "maximum": MAX_QUANTITY, "not": {"enum": [0]}})
class SignedChangeField(WholeNumberField):
    """A signed change of on_hand: any whole number in range but zero."""

    default_error_messages = {**WholeNumberField.default_error_messages, "zero": "The quantity must not be zero."}

    def __init__(self, **kwargs):
        super().__init__(min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value == 0:
            self.fail("zero")
        return value


def _location_code_exists(code: str) -> str:
    if code and not location_list(active_only=False).filter(code=code).exists():
        raise serializers.ValidationError(f"Unknown location {code!r}.", code=UNKNOWN)
    return code


# --- output -------------------------------------------------------------------

class StockRowSerializer(serializers.Serializer):
    """One stock level: a variant at a location."""

    sku = StringField(source="variant.sku")
    product = StringField(source="variant.product.name")
    variant_name = StringField(source="variant.display_name")
    location = StringField(source="location.code")
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
    sku = StringField(source="variant.sku")
    location = StringField(source="location.code")
    type = StringField()
    delta = serializers.IntegerField()
    quantity_before = serializers.IntegerField()
    quantity_after = serializers.IntegerField()
    reason = StringField()
    notes = StringField()
    user = StringField(source="user.username", allow_null=True, help_text="Username, or null for system changes.")
    reference = StringField()
    idempotency_key = StringField(allow_null=True)
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

    sku = StringField()
    product = StringField()
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
    detail = StringField()


class StockConflictSerializer(serializers.Serializer):
    """409: not enough stock, or the level holds something else than expected."""

    detail = StringField()
    sku = StringField(required=False)
    location = StringField(required=False)
    requested = serializers.IntegerField(required=False)
    available = serializers.IntegerField(required=False)
    on_hand = serializers.IntegerField(required=False, help_text="The level's current on_hand.")
    reserved = serializers.IntegerField(required=False)
    current_on_hand = serializers.IntegerField(required=False)
    expected_on_hand = serializers.IntegerField(required=False)


# --- input: operations ------------------------------------------------------------

class StockAdjustSerializer(serializers.Serializer):
    sku = StringField(max_length=64)
    location = StringField(
        max_length=32, required=False, allow_blank=True, allow_null=True,
        help_text="Location code; the default location when omitted.",
    )
    quantity = SignedChangeField(
        help_text="Signed change of on_hand: negative for SALE and DAMAGE, positive for RESTOCK, REFUND and RETURN.",
    )
    type = serializers.ChoiceField(choices=[(t.value, t.label) for t in ADJUSTABLE_TYPES])
    reason = StringField(max_length=200)
    notes = StringField(max_length=2000, required=False, allow_blank=True, default="")
    idempotency_key = StringField(
        max_length=200, required=False, allow_null=True, allow_blank=True,
        help_text="Retrying with the same key returns the first result and changes nothing.",
    )
    expected_on_hand = _quantity_field(
        min_value=0, required=False, allow_null=True,
        help_text="Compare-and-set: refuse with 409 when the level holds something else.",
    )


class StockCountSerializer(serializers.Serializer):
    sku = StringField(max_length=64)
    location = StringField(
        max_length=32, required=False, allow_blank=True, allow_null=True,
        help_text="Location code; the default location when omitted.",
    )
    counted = _quantity_field(min_value=0, help_text="The quantity found on the shelf.")
    reason = StringField(max_length=200)
    notes = StringField(max_length=2000, required=False, allow_blank=True, default="")
    idempotency_key = StringField(max_length=200, required=False, allow_null=True, allow_blank=True)
    expected_on_hand = _quantity_field(
        min_value=0, required=False, allow_null=True,
        help_text="Compare-and-set: refuse with 409 and the current value when the level holds something else.",
    )


class StockTransferSerializer(serializers.Serializer):
    sku = StringField(max_length=64)
    from_location = StringField(max_length=32, help_text="Code of the location the units leave.")
    to_location = StringField(max_length=32, help_text="Code of the location the units arrive at.")
    quantity = _quantity_field(min_value=1)
    reason = StringField(max_length=200)
    notes = StringField(max_length=2000, required=False, allow_blank=True, default="")
    idempotency_key = StringField(max_length=200, required=False, allow_null=True, allow_blank=True)


# --- input: query strings -------------------------------------------------------

class StockListQuerySerializer(serializers.Serializer):
    q = StringField(required=False, allow_blank=True, max_length=200, help_text="Search name, SKU or barcode.")
    sku = StringField(required=False, allow_blank=True, max_length=64, help_text="Exact SKU.")
    location = StringField(required=False, allow_blank=True, max_length=32, help_text="Location code.")
    category = StringField(
        required=False, allow_blank=True, max_length=120,
        help_text="Category id or name (its sub-categories are included).",
    )
    low_stock = serializers.BooleanField(required=False, default=False, help_text="Only levels at or below their threshold.")
    out_of_stock = serializers.BooleanField(
        required=False, default=False,
        help_text="Only levels with nothing available (these are low too, so with low_stock the same).",
    )
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
            raise serializers.ValidationError(f"Unknown category {value!r}.", code=UNKNOWN)
        return category.pk


class StockDetailQuerySerializer(serializers.Serializer):
    location = StringField(required=False, allow_blank=True, max_length=32, help_text="Only this location's level.")

    def validate_location(self, value: str) -> str:
        return _location_code_exists(value)


class MovementListQuerySerializer(serializers.Serializer):
    sku = StringField(required=False, allow_blank=True, max_length=64, help_text="Exact SKU.")
    type = serializers.ChoiceField(choices=MovementType.choices, required=False, allow_blank=True)
    location = StringField(required=False, allow_blank=True, max_length=32, help_text="Location code.")
    user = StringField(required=False, allow_blank=True, max_length=150, help_text="Username.")
    date_from = serializers.DateField(required=False, help_text="First day, YYYY-MM-DD.")
    date_to = serializers.DateField(required=False, help_text="Last day, YYYY-MM-DD.")

    def validate_location(self, value: str) -> str:
        return _location_code_exists(value)

    def validate_user(self, value: str) -> int | None:
        """Turn a username into a user id."""
        if not value:
            return None
        user_id = get_user_model().objects.filter(username=value).values_list("pk", flat=True).first()
        if user_id is None:
            raise serializers.ValidationError(f"Unknown user {value!r}.", code=UNKNOWN)
        return user_id


# --- reservations, cart, checkout and orders ----------------------------------------

def _line_quantity_field(**kwargs) -> WholeNumberField:
    return WholeNumberField(min_value=1, max_value=MAX_QUANTITY, **kwargs)


def _line_location_field() -> StringField:
    return StringField(
        max_length=32, required=False, allow_blank=True, allow_null=True,
        help_text="Location code; the default location when omitted.",
    )


def _location_by_code(code: str | None) -> Location | None:
    """A line's location code → Location (None: the default location)."""
    if not code:
        return None
    location = location_list(active_only=False).filter(code=code).first()
    if location is None:
        raise serializers.ValidationError(f"Unknown location {code!r}.", code=UNKNOWN)
    return location


def seconds_left(reservation) -> int | None:
    """Whole seconds until an active reservation lapses: 0 once it is closed or overdue,
    None when it is held until committed or released."""
    if reservation.status != ReservationStatus.ACTIVE:
        return 0
    if reservation.expires_at is None:
        return None
    return max(0, int((reservation.expires_at - timezone.now()).total_seconds()))


# output

class ReservationLineSerializer(serializers.Serializer):
    sku = StringField(source="variant.sku")
    location = StringField(source="location.code")
    quantity = serializers.IntegerField()


class ReservationSerializer(serializers.Serializer):
    """A reservation and the stock it holds."""

    id = serializers.IntegerField()
    reference = StringField()
    status = StringField(help_text="ACTIVE, COMMITTED, RELEASED or EXPIRED.")
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Null: held until committed or released.")
    seconds_left = serializers.SerializerMethodField(
        help_text="Seconds until an active reservation lapses; 0 once closed or overdue; null when it never lapses.",
    )
    lines = ReservationLineSerializer(many=True)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_seconds_left(self, reservation) -> int | None:
        return seconds_left(reservation)


class ReservationPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReservationSerializer(many=True)


class ShortLineSerializer(serializers.Serializer):
    sku = StringField()
    location = StringField()
    requested = serializers.IntegerField()
    available = serializers.IntegerField()


class ShortfallSerializer(serializers.Serializer):
    """409: not enough stock for some lines; nothing was held."""

    detail = StringField()
    lines = ShortLineSerializer(many=True)


class CartLineResultSerializer(serializers.Serializer):
    sku = StringField()
    quantity = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["ok", "out_of_stock", "insufficient", "unknown_sku"])
    available = serializers.IntegerField(allow_null=True, help_text="Units available; null for an unknown SKU.")


class CartValidateResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="True when every line can be had.")
    lines = CartLineResultSerializer(many=True)


class OrderLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = StringField(source="variant.sku")
    product = StringField(source="variant.product.name")
    quantity = serializers.IntegerField()
    unit_price = DecimalTextField(
        max_digits=12, decimal_places=2, required=False,
        help_text="Only for users who may see prices (inventory.view_prices).",
    )
    sold_quantity = serializers.IntegerField(help_text="Units taken out of stock (SALE).")
    restocked_quantity = serializers.IntegerField(help_text="Units put back (REFUND, RETURN).")
    location = StringField(source="location.code", allow_null=True,
                           help_text="The line's own location code; null: the order's ship-from location.")


class OrderPaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    method = StringField(help_text="CASH, CARD, BANK_TRANSFER or OTHER.")
    reference = StringField()
    amount = DecimalTextField(max_digits=14, decimal_places=2)
    recorded_at = serializers.DateTimeField(source="created_at")
    recorded_by = StringField(source="recorded_by.username", allow_null=True)


class OrderReservationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = StringField(help_text="ACTIVE, COMMITTED, RELEASED or EXPIRED.")
    expires_at = serializers.DateTimeField(allow_null=True)
    seconds_left = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_seconds_left(self, reservation) -> int | None:
        return seconds_left(reservation)


class OrderSerializer(serializers.Serializer):
    """A sales order. Money fields are left out unless the context says `show_prices`
    (the user holds inventory.view_prices)."""

    PRICE_FIELDS = ("total", "amount_paid", "amount_refunded", "amount_due", "payments")

    number = StringField()
    status = StringField(help_text="PENDING, CONFIRMED, SHIPPED, DELIVERED, CANCELLED, REFUNDED or NEEDS_ATTENTION.")
    source = StringField(help_text="MANUAL, API or CHECKOUT.")
    customer_name = StringField()
    customer_email = StringField()
    currency = StringField()
    total = DecimalTextField(max_digits=14, decimal_places=2, required=False)
    paid = serializers.BooleanField(source="is_paid")
    paid_at = serializers.DateTimeField(allow_null=True)
    amount_paid = DecimalTextField(max_digits=14, decimal_places=2, required=False)
    amount_refunded = DecimalTextField(max_digits=14, decimal_places=2, required=False)
    amount_due = DecimalTextField(max_digits=14, decimal_places=2, required=False,
                                  help_text="What is still to be paid: total − amount_paid, never below 0.")
    payments = OrderPaymentSerializer(many=True, required=False, help_text="Payments recorded by hand, oldest first.")
    ship_from = StringField(source="ship_from.code", allow_null=True,
                            help_text="Code of the location the order ships from; null: the default location.")
    attention = StringField(help_text="Why staff must look at the order; empty when nothing is wrong.")
    created_at = serializers.DateTimeField()
    lines = OrderLineSerializer(many=True)
    reservation = serializers.SerializerMethodField(help_text="The order's newest reservation, or null.")
    allowed_transitions = serializers.SerializerMethodField(help_text="Statuses the order may move to next.")

    @extend_schema_field(OrderReservationSerializer(allow_null=True))
    def get_reservation(self, order) -> dict | None:
        # From the prefetched reservations (no query per order); the newest is the one that counts.
        newest = max(order.reservations.all(), key=lambda r: r.pk, default=None)
        return OrderReservationSerializer(newest).data if newest else None

    @extend_schema_field(serializers.ListField(child=StringField()))
    def get_allowed_transitions(self, order) -> list[str]:
        return sales_order_allowed_transitions(order)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_prices", False):
            for name in self.PRICE_FIELDS:
                data.pop(name, None)
            for line in data["lines"]:
                line.pop("unit_price", None)
        return data


class OrderPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = OrderSerializer(many=True)


class CheckoutResultSerializer(serializers.Serializer):
    order = OrderSerializer()
    checkout_url = StringField(help_text="Stripe Checkout page to send the customer to.")
    expires_at = serializers.DateTimeField(help_text="When the reservation (and the Checkout Session) lapses.")


class IllegalTransitionSerializer(serializers.Serializer):
    detail = StringField(help_text="Why the order cannot move there.")
    status = StringField(required=False)
    to = StringField(required=False)
    allowed = serializers.ListField(child=StringField(), required=False)


# input

class CartLineSerializer(serializers.Serializer):
    sku = StringField(max_length=64)
    quantity = _line_quantity_field()
    location = _line_location_field()

    def validate_location(self, value: str | None) -> Location | None:
        location = _location_by_code(value)
        if location is not None and not location.active:
            raise serializers.ValidationError(f"Location {location.code} is inactive.")
        return location


class CartValidateSerializer(serializers.Serializer):
    lines = CartLineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)


class ReservationLineRequestSerializer(serializers.Serializer):
    sku = StringField(max_length=64)
    quantity = _line_quantity_field()
    location = _line_location_field()

    def validate_location(self, value: str | None) -> Location | None:
        return _location_by_code(value)


class ReservationCreateSerializer(serializers.Serializer):
    reference = StringField(max_length=200, help_text="Your reference: a cart, an order, a session.")
    lines = ReservationLineRequestSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    ttl_seconds = WholeNumberField(
        min_value=1, max_value=MAX_TTL_SECONDS, required=False, allow_null=True,
        help_text="How long to hold the stock; RESERVATION_TTL_MINUTES when omitted. At most 7 days.",
    )
    idempotency_key = StringField(
        max_length=200, required=False, allow_null=True, allow_blank=True,
        help_text="Retrying with the same key returns the first reservation and holds nothing more.",
    )


class ReservationListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReservationStatus.choices, required=False, allow_blank=True)
    reference = StringField(required=False, allow_blank=True, max_length=200, help_text="Exact reference.")


class CheckoutLineSerializer(serializers.Serializer):
    sku = StringField(max_length=64)
    quantity = _line_quantity_field()


class CheckoutSerializer(serializers.Serializer):
    lines = CheckoutLineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    success_url = StringField(max_length=2000, help_text="Absolute http(s) address Stripe returns to after payment.")
    cancel_url = StringField(max_length=2000, help_text="Absolute http(s) address Stripe returns to on cancel.")
    customer_email = serializers.EmailField(required=False, allow_blank=True, default="")
    customer_name = StringField(max_length=200, required=False, allow_blank=True, default="")


class OrderLineRequestSerializer(serializers.Serializer):
    sku = StringField(max_length=64)
    quantity = _line_quantity_field()
    unit_price = DecimalTextField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True,
        help_text="The catalogue price when omitted.",
    )
    location = _line_location_field()

    def validate_location(self, value: str | None) -> Location | None:
        return _location_by_code(value)


class OrderCreateSerializer(serializers.Serializer):
    customer_name = StringField(max_length=200, required=False, allow_blank=True, default="")
    customer_email = serializers.EmailField(required=False, allow_blank=True, default="")
    notes = StringField(max_length=5000, required=False, allow_blank=True, default="")
    lines = OrderLineRequestSerializer(many=True, allow_empty=False, max_length=MAX_LINES)


class OrderListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False, allow_blank=True)
    search = StringField(
        required=False, allow_blank=True, max_length=200, help_text="Order number, customer name or email.",
    )


class StatusChoiceField(serializers.ChoiceField):
    """A status name in any case: "confirmed" is CONFIRMED."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.strip().upper()
        return super().to_internal_value(data)


class OrderTransitionSerializer(serializers.Serializer):
    to = StatusChoiceField(choices=OrderStatus.choices, help_text="The status to move the order to.")
    note = StringField(max_length=300, required=False, allow_blank=True, default="",
                                 help_text="Added to the order's timeline.")

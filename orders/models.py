from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.models import TimeStampedModel


class OrderStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    CONFIRMED = "CONFIRMED", "Confirmed"
    SHIPPED = "SHIPPED", "Shipped"
    DELIVERED = "DELIVERED", "Delivered"
    CANCELLED = "CANCELLED", "Cancelled"
    REFUNDED = "REFUNDED", "Refunded"
    NEEDS_ATTENTION = "NEEDS_ATTENTION", "Needs attention"


class OrderSource(models.TextChoices):
    MANUAL = "MANUAL", "Manual"
    API = "API", "API"
    CHECKOUT = "CHECKOUT", "Checkout"


class SalesOrder(TimeStampedModel):
    number = models.CharField(max_length=20, unique=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True)
    source = models.CharField(max_length=10, choices=OrderSource.choices, default=OrderSource.MANUAL)
    customer_name = models.CharField(max_length=200, blank=True)
    customer_email = models.EmailField(blank=True)
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    notes = models.TextField(blank=True)
    # Payment, as Stripe reported it.
    paid_at = models.DateTimeField(null=True, blank=True)
    amount_paid = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    amount_refunded = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    stripe_checkout_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    # When the payment confirmation email left; claimed just before sending, so it goes at most once.
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    # Set when staff must look at the order (partial refund, payment for a cancelled order...).
    attention = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="sales_orders")
    # Where the order ships from: lines without a location of their own take their stock here
    # (the default location when blank).
    ship_from = models.ForeignKey("inventory.Location", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="shipping_orders")

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("transition_salesorder", "Can confirm, ship, deliver and cancel sales orders"),
            ("refund_salesorder", "Can refund sales orders and restock returns"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="salesorder_total_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_paid(self) -> bool:
        """Paid in full (by Stripe, or by payments recorded by hand adding up to the total)."""
        return self.paid_at is not None

    @property
    def has_payment(self) -> bool:
        """Some money was received: such an order is refunded, never cancelled."""
        return self.is_paid or self.amount_paid > 0

    @property
    def amount_due(self) -> Decimal:
        return max(self.total - self.amount_paid, Decimal("0"))


class SalesOrderLine(models.Model):
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("inventory.Variant", on_delete=models.PROTECT, related_name="order_lines")
    location = models.ForeignKey("inventory.Location", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="order_lines")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    # Units taken out of stock (SALE) and put back (REFUND, RETURN) for this line.
    sold_quantity = models.PositiveIntegerField(default=0)
    restocked_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="salesorderline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="salesorderline_price_not_negative"),
            models.CheckConstraint(condition=Q(sold_quantity__lte=F("quantity")), name="salesorderline_sold_within_quantity"),
            models.CheckConstraint(condition=Q(restocked_quantity__lte=F("sold_quantity")),
                                   name="salesorderline_restocked_within_sold"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} x {self.variant_id}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def restockable_quantity(self) -> int:
        return self.sold_quantity - self.restocked_quantity


class OrderEvent(models.Model):
    """The order's timeline: status changes and notable happenings, in order."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=500)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    stripe_event = models.ForeignKey("orders.StripeEvent", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="order_events")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.message}"


class PaymentMethod(models.TextChoices):
    CASH = "CASH", "Cash"
    CARD = "CARD", "Card"
    BANK_TRANSFER = "BANK_TRANSFER", "Bank transfer"
    OTHER = "OTHER", "Other"


class OrderPayment(models.Model):
    """A payment recorded by hand (a phone or counter order): cash, card, a bank transfer."""

    order = models.ForeignKey(SalesOrder, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=100, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="orderpayment_amount_positive"),
            models.CheckConstraint(condition=Q(method__in=["CASH", "CARD", "BANK_TRANSFER", "OTHER"]),
                                   name="orderpayment_method_known"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.amount} {self.method}"


class StripeEventOutcome(models.TextChoices):
    PROCESSED = "PROCESSED", "Processed"
    IGNORED = "IGNORED", "Ignored"
    FLAGGED = "FLAGGED", "Flagged"
    FAILED = "FAILED", "Failed"


class StripeEvent(models.Model):
    """Every webhook event accepted from Stripe, stored with its effect's transaction."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    order = models.ForeignKey(SalesOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="stripe_events")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=StripeEventOutcome.choices, blank=True)
    message = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"

    @property
    def is_processed(self) -> bool:
        return self.processed_at is not None

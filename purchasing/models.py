from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.models import TimeStampedModel


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    PENDING = "PENDING", "Pending"
    CONFIRMED = "CONFIRMED", "Confirmed"
    SHIPPED = "SHIPPED", "Shipped"
    PARTIALLY_RECEIVED = "PARTIALLY_RECEIVED", "Partially received"
    RECEIVED = "RECEIVED", "Received"
    CANCELLED = "CANCELLED", "Cancelled"


class PurchaseOrder(TimeStampedModel):
    number = models.CharField(max_length=20, unique=True)
    supplier = models.ForeignKey("suppliers.Supplier", on_delete=models.PROTECT, related_name="purchase_orders")
    status = models.CharField(max_length=20, choices=PurchaseOrderStatus.choices, default=PurchaseOrderStatus.DRAFT,
                              db_index=True)
    currency = models.CharField(max_length=3)
    order_date = models.DateField(null=True, blank=True)
    expected_date = models.DateField(null=True, blank=True)
    received_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    # Totals are kept by the services whenever lines, tax or shipping change.
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    tax = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    shipping = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="purchase_orders")
    # Drafted by a min/max reorder rule rather than by a person.
    auto_drafted = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("transition_purchaseorder", "Can submit, confirm, ship and cancel purchase orders"),
            ("receive_purchaseorder", "Can receive goods against purchase orders"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(subtotal__gte=0), name="purchaseorder_subtotal_not_negative"),
            models.CheckConstraint(condition=Q(tax__gte=0), name="purchaseorder_tax_not_negative"),
            models.CheckConstraint(condition=Q(shipping__gte=0), name="purchaseorder_shipping_not_negative"),
            models.CheckConstraint(condition=Q(total__gte=0), name="purchaseorder_total_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("inventory.Variant", on_delete=models.PROTECT, related_name="purchase_lines")
    supplier_sku = models.CharField(max_length=64, blank=True)
    quantity_ordered = models.PositiveIntegerField()
    quantity_received = models.PositiveIntegerField(default=0)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "variant"], name="purchaseorderline_unique_variant"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="purchaseorderline_ordered_positive"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="purchaseorderline_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity_ordered} x {self.variant_id}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_cost * self.quantity_ordered

    @property
    def quantity_outstanding(self) -> int:
        return max(self.quantity_ordered - self.quantity_received, 0)


class PurchaseOrderEvent(models.Model):
    """The order's history: status changes, edits and receipts, in order."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=500)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.message}"


class Receipt(models.Model):
    """One delivery received against a purchase order; its key makes a resubmission count once."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="receipts")
    idempotency_key = models.CharField(max_length=200, unique=True)
    over_receipt_reason = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="purchase_receipts")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Receipt {self.pk} of {self.order_id}"


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines")
    location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="receipt_lines")
    quantity = models.PositiveIntegerField()
    movement = models.OneToOneField("inventory.StockMovement", on_delete=models.PROTECT, related_name="receipt_line")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="receiptline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x line {self.line_id}"


class ReorderRule(TimeStampedModel):
    """Min/max rule: when a variant's available stock at the location falls to `min_quantity`
    or below, the nightly run drafts a purchase order bringing it up to `max_quantity`."""

    variant = models.OneToOneField("inventory.Variant", on_delete=models.CASCADE, related_name="reorder_rule")
    # None: the default location.
    location = models.ForeignKey("inventory.Location", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reorder_rules")
    min_quantity = models.PositiveIntegerField()
    max_quantity = models.PositiveIntegerField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["variant__sku"]
        constraints = [
            models.CheckConstraint(condition=Q(max_quantity__gt=F("min_quantity")), name="reorderrule_max_above_min"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}: {self.min_quantity}..{self.max_quantity}"

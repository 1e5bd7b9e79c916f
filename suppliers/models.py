from decimal import Decimal

from django.db import models
from django.db.models import Q

from core.models import TimeStampedModel


class Supplier(TimeStampedModel):
    name = models.CharField(max_length=200, unique=True)
    contact_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    address = models.TextField(blank=True)
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SupplierItem(TimeStampedModel):
    """What a supplier sells us of one variant: their SKU, our cost, how long it takes."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey("inventory.Variant", on_delete=models.PROTECT, related_name="supplier_items")
    supplier_sku = models.CharField("supplier SKU", max_length=64, blank=True)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    lead_time_days = models.PositiveIntegerField(default=7)
    minimum_order_quantity = models.PositiveIntegerField(default=1)
    preferred = models.BooleanField(default=False)

    class Meta:
        ordering = ["supplier__name", "variant__sku"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "variant"], name="supplieritem_unique_supplier_variant"),
            models.UniqueConstraint(fields=["variant"], condition=Q(preferred=True),
                                    name="supplieritem_one_preferred_per_variant"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="supplieritem_cost_not_negative"),
            models.CheckConstraint(condition=Q(minimum_order_quantity__gte=1), name="supplieritem_moq_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id}: {self.variant_id}"

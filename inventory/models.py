from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from core.models import TimeStampedModel


def default_low_stock_threshold() -> int:
    return settings.STOCK_LOW_THRESHOLD_DEFAULT


def media_url(name: str) -> str:
    """The address of a file in the default storage ("" for no file)."""
    if not name:
        return ""
    from django.core.files.storage import default_storage

    return default_storage.url(name)


class Category(TimeStampedModel):
    name = models.CharField(max_length=120)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Archived categories keep their products; they are no longer offered for new ones.
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_in_parent"),
            models.UniqueConstraint(fields=["name"], condition=Q(parent__isnull=True), name="category_unique_root_name"),
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        names, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))


class Product(TimeStampedModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="products")
    price = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)])
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)])
    active = models.BooleanField(default=True)
    track_inventory = models.BooleanField(default=True)
    # Names in the default storage, written by inventory.services.images after Pillow has checked
    # the upload (plain text, so backups carry them like any other column).
    image = models.CharField(max_length=255, blank=True)
    thumbnail = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["name"]),
            # The product list sorts by name whatever its case, and by price.
            models.Index(Lower("name"), "id", name="product_name_lower"),
            models.Index(fields=["price", "id"], name="product_price"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="product_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def image_url(self) -> str:
        return media_url(self.image)

    @property
    def thumbnail_url(self) -> str:
        return media_url(self.thumbnail)


class Variant(TimeStampedModel):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="variants")
    sku = models.CharField("SKU", max_length=64, unique=True)
    attributes = models.JSONField(default=dict, blank=True, help_text='Options such as {"size": "M", "colour": "Blue"}.')
    barcode = models.CharField(max_length=64, blank=True, db_index=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)])
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)])
    active = models.BooleanField(default=True)
    image = models.CharField(max_length=255, blank=True)
    thumbnail = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(price__isnull=True) | Q(price__gte=0), name="variant_price_not_negative"),
            models.CheckConstraint(condition=Q(cost__isnull=True) | Q(cost__gte=0), name="variant_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return self.sku

    @property
    def effective_price(self) -> Decimal:
        return self.price if self.price is not None else self.product.price

    @property
    def effective_cost(self) -> Decimal:
        return self.cost if self.cost is not None else self.product.cost

    @property
    def options_label(self) -> str:
        return ", ".join(f"{value}" for value in self.attributes.values()) if self.attributes else ""

    @property
    def display_name(self) -> str:
        label = self.options_label
        return f"{self.product.name} ({label})" if label else self.product.name

    @property
    def image_url(self) -> str:
        return media_url(self.image)

    @property
    def thumbnail_url(self) -> str:
        return media_url(self.thumbnail)

    @property
    def any_thumbnail_url(self) -> str:
        """The variant's own thumbnail, else its product's ("" when neither has one)."""
        return media_url(self.thumbnail or self.product.thumbnail)


class Location(TimeStampedModel):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    address = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="location_one_default"),
        ]

    def __str__(self) -> str:
        return self.code


class StockLevel(models.Model):
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="stock_levels")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    low_stock_threshold = models.PositiveIntegerField(default=default_low_stock_threshold)
    reorder_quantity = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["variant__sku", "location__code"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "location"], name="stocklevel_unique_variant_location"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stocklevel_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stocklevel_reserved_within_on_hand"),
        ]
        permissions = [
            ("adjust_stock", "Can adjust and count stock"),
            ("transfer_stock", "Can transfer stock between locations"),
            ("change_threshold", "Can change low-stock thresholds and reorder quantities"),
            ("view_prices", "Can see prices, costs and stock value"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.location_id}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def is_out(self) -> bool:
        return self.available <= 0

    @property
    def is_low(self) -> bool:
        return 0 < self.available <= self.low_stock_threshold

    @property
    def status(self) -> str:
        if self.is_out:
            return "out"
        if self.is_low:
            return "low"
        return "in"


class MovementType(models.TextChoices):
    SALE = "SALE", "Sale"
    REFUND = "REFUND", "Refund"
    RESTOCK = "RESTOCK", "Restock"
    ADJUSTMENT = "ADJUSTMENT", "Adjustment"
    DAMAGE = "DAMAGE", "Damage"
    RETURN = "RETURN", "Return"
    TRANSFER_OUT = "TRANSFER_OUT", "Transfer out"
    TRANSFER_IN = "TRANSFER_IN", "Transfer in"
    COUNT = "COUNT", "Count"


class StockMovement(models.Model):
    """Append-only ledger row: one per change of a level's on_hand."""

    level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="movements")
    # Denormalised from the level so history can be filtered without a join.
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements")
    type = models.CharField(max_length=16, choices=MovementType.choices)
    delta = models.IntegerField()
    quantity_before = models.IntegerField()
    quantity_after = models.IntegerField()
    reason = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="stock_movements")
    supplier = models.ForeignKey("suppliers.Supplier", null=True, blank=True, on_delete=models.PROTECT, related_name="stock_movements")
    sales_order = models.ForeignKey("orders.SalesOrder", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="stock_movements")
    purchase_order = models.ForeignKey("purchasing.PurchaseOrder", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="stock_movements")
    import_job = models.ForeignKey("dataio.ImportJob", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="stock_movements")
    reservation = models.ForeignKey("inventory.Reservation", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="stock_movements")
    reference = models.CharField(max_length=100, blank=True, help_text="Free reference, e.g. an order or document number.")
    transfer_id = models.UUIDField(null=True, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["level", "id"], name="movement_level_id"),
            models.Index(fields=["variant", "-created_at"], name="movement_variant_created"),
            models.Index(fields=["type", "-created_at"], name="movement_type_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity_after=F("quantity_before") + F("delta")), name="movement_after_is_before_plus_delta"),
            models.CheckConstraint(condition=Q(quantity_after__gte=0), name="movement_after_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.delta:+d} {self.variant_id}@{self.location_id}"


class ReservationStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    COMMITTED = "COMMITTED", "Committed"
    RELEASED = "RELEASED", "Released"
    EXPIRED = "EXPIRED", "Expired"


class Reservation(TimeStampedModel):
    """Stock held for a checkout or an order: it raises `reserved` on each line's level
    until it is committed (sold), released or expires."""

    reference = models.CharField(max_length=200, db_index=True)
    status = models.CharField(max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.ACTIVE)
    # None: held until committed or released (a confirmed manual order).
    expires_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    sales_order = models.ForeignKey("orders.SalesOrder", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reservations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="reservations")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The expiry sweep and reservation_create look for overdue active reservations.
            models.Index(fields=["expires_at", "id"], condition=Q(status="ACTIVE"), name="reservation_active_expiry"),
        ]
        permissions = [("commit_reservation", "Can commit and release reservations")]

    def __str__(self) -> str:
        return f"Reservation {self.pk} ({self.reference})"

    @property
    def is_active(self) -> bool:
        return self.status == ReservationStatus.ACTIVE


class ReservationLine(models.Model):
    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="lines")
    level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="reservation_lines")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="reservation_lines")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="reservation_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservationline_quantity_positive"),
            models.UniqueConstraint(fields=["reservation", "level"], name="reservationline_unique_level"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.variant_id}@{self.location_id}"

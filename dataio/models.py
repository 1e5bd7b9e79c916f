from django.conf import settings
from django.db import models
from django.db.models import Q


class ExportType(models.TextChoices):
    PRODUCTS = "products", "Products with variants"
    STOCK = "stock", "Stock levels"
    CATEGORIES = "categories", "Categories"
    SUPPLIERS = "suppliers", "Suppliers"
    SUPPLIER_ITEMS = "supplier_items", "Supplier items"
    PURCHASE_ORDERS = "purchase_orders", "Purchase orders with lines"
    SALES_ORDERS = "sales_orders", "Sales orders with lines"
    MOVEMENTS = "movements", "Stock movements"


class ImportType(models.TextChoices):
    CATEGORIES = "categories", "Categories"
    PRODUCTS = "products", "Products with variants"
    SUPPLIERS = "suppliers", "Suppliers"
    SUPPLIER_ITEMS = "supplier_items", "Supplier items"
    STOCK_COUNTS = "stock_counts", "Stock counts"


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"
    XLSX = "xlsx", "Excel (XLSX)"


class ExportStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    COMPLETED = "COMPLETED", "Completed"
    FAILED = "FAILED", "Failed"


class ImportMode(models.TextChoices):
    CREATE = "CREATE", "Create new only"
    UPDATE = "UPDATE", "Update existing only"
    UPSERT = "UPSERT", "Create or update"


class ImportStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    VALIDATING = "VALIDATING", "Validating"
    VALIDATED = "VALIDATED", "Validated"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    COMPLETED = "COMPLETED", "Completed"
    PARTIAL = "PARTIAL", "Partially applied"
    FAILED = "FAILED", "Failed"
    UNDONE = "UNDONE", "Undone"


class OnError(models.TextChoices):
    ROLLBACK = "rollback", "All or nothing"
    SKIP = "skip", "Skip bad rows"


class ExportJob(models.Model):
    type = models.CharField(max_length=20, choices=ExportType.choices)
    format = models.CharField(max_length=4, choices=FileFormat.choices)
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=ExportStatus.choices, default=ExportStatus.PENDING, db_index=True)
    # Rows written so far and (an estimate of) rows to write, for the progress bar.
    rows_done = models.PositiveBigIntegerField(default=0)
    rows_total = models.PositiveBigIntegerField(default=0)
    row_count = models.PositiveBigIntegerField(default=0)
    # Name within Django's default storage; empty until the file is complete.
    file_name = models.CharField(max_length=300, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="export_jobs")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("export_data", "Can export data and download templates")]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.type}.{self.format})"


class ImportJob(models.Model):
    type = models.CharField(max_length=20, choices=ImportType.choices)
    mode = models.CharField(max_length=6, choices=ImportMode.choices, default=ImportMode.UPSERT)
    dry_run = models.BooleanField(default=False)
    on_error = models.CharField(max_length=8, choices=OnError.choices, default=OnError.ROLLBACK)
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.PENDING, db_index=True)
    # The uploaded file as received, kept in Django's default storage.
    file_name = models.CharField(max_length=300, blank=True, help_text="Name within the storage.")
    original_name = models.CharField(max_length=255, blank=True)
    file_format = models.CharField(max_length=4, choices=FileFormat.choices, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    file_hash = models.CharField(max_length=64, blank=True, db_index=True, help_text="SHA-256 of the file.")
    row_count = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # {"create": n, "update": n, "unchanged": n, "error": n, "skipped": n}
    counts = models.JSONField(default=dict, blank=True)
    # The first rows as they will be stored: [{"row": n, "action": "create", "values": {...}}].
    preview = models.JSONField(default=list, blank=True)
    # Plain messages about the whole file (unknown columns, the same file imported before).
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why the job failed as a whole.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="import_jobs")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("import_data", "Can import data"),
            ("undo_import", "Can undo a completed import"),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.type})"


class ImportRowError(models.Model):
    """One problem in an import file: its row as the user sees it in the spreadsheet
    (the header is row 1), the column, and a plain message."""

    class Level(models.TextChoices):
        ERROR = "error", "Error"
        WARNING = "warning", "Warning"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField()
    column = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=500)
    level = models.CharField(max_length=7, choices=Level.choices, default=Level.ERROR)

    class Meta:
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["job", "row"], name="importrowerror_job_row")]

    def __str__(self) -> str:
        return f"row {self.row} {self.column}: {self.message}"


class ImportChange(models.Model):
    """What an applied import did to one record, so it can be undone.

    `model` is the app label and model name (e.g. "inventory.variant"); `before` holds the
    changed fields' previous values (empty for a created record), `after` the values the
    import wrote. Stock changes point at their movement instead.
    """

    class Action(models.TextChoices):
        CREATE = "CREATE", "Created"
        UPDATE = "UPDATE", "Updated"
        STOCK = "STOCK", "Stock moved"

    # Written only by the import that owns them, in its transaction; the (job, id) index
    # below serves every lookup, and a database-level check per record would cost a
    # large import about a second at commit.
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="changes", db_index=False,
                            db_constraint=False)
    row = models.PositiveIntegerField()
    model = models.CharField(max_length=60)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=6, choices=Action.choices)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    movement = models.ForeignKey("inventory.StockMovement", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["job", "id"], name="importchange_job_id")]
        constraints = [
            models.CheckConstraint(condition=~Q(action="STOCK") | Q(movement__isnull=False),
                                   name="importchange_stock_has_movement"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.model} {self.object_id}"

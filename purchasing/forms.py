"""Forms for the purchase order pages. They parse and check input; the purchasing services
change data."""
from decimal import Decimal

from django import forms

from core.exceptions import ApplicationError, NotFound
from inventory.forms import LocationChoiceField
from inventory.selectors import location_default, location_list, variant_get
from purchasing.models import PurchaseOrderLine, PurchaseOrderStatus
from purchasing.selectors import purchase_order_supplier_choices
from suppliers.models import Supplier

MAX_QUANTITY = 10_000_000
MAX_LINES = 500
MAX_MONEY = Decimal("999999999999.99")


def _money_field(label: str, *, required: bool = False, max_digits: int = 14, placeholder: str = "0.00"):
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_value=MAX_MONEY,
        max_digits=max_digits,
        decimal_places=2,
        error_messages={"min_value": "The amount must be zero or more.", "invalid": "Enter an amount such as 12.50."},
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal", "autocomplete": "off",
                                        "placeholder": placeholder}),
    )


class SupplierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name if obj.active else f"{obj.name} (inactive)"


class PurchaseOrderFilterForm(forms.Form):
    """Query parameters of the purchase order list. Invalid values are ignored, valid ones applied."""

    q = forms.CharField(label="Search", required=False, max_length=100)
    status = forms.ChoiceField(choices=[("", "Any status"), *PurchaseOrderStatus.choices], required=False)
    supplier = forms.ModelChoiceField(queryset=None, required=False, empty_label="All suppliers")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.order_by("name")


class PurchaseOrderForm(forms.Form):
    """The order's header: supplier, dates and charges. Its lines are PurchaseLineForms."""

    supplier = SupplierChoiceField(queryset=None, empty_label="Choose a supplier",
                                   error_messages={"required": "Choose a supplier.",
                                                   "invalid_choice": "Choose one of the active suppliers."})
    expected_date = forms.DateField(label="Expected delivery", required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}),
                                    error_messages={"invalid": "Enter a date (YYYY-MM-DD)."})
    tax = _money_field("Tax")
    shipping = _money_field("Shipping")
    notes = forms.CharField(label="Notes", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, include_supplier_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = purchase_order_supplier_choices(include_id=include_supplier_id)

    def clean_tax(self):
        return self.cleaned_data.get("tax") or Decimal("0.00")

    def clean_shipping(self):
        return self.cleaned_data.get("shipping") or Decimal("0.00")


class PurchaseLineForm(forms.Form):
    """One row of the order form: SKU, quantity and unit cost. A row with none of them is blank
    and skipped; a row without a cost takes the supplier's cost for the SKU."""

    sku = forms.CharField(label="SKU", max_length=64, required=False)
    quantity = forms.IntegerField(
        label="Quantity",
        required=False,
        min_value=1,
        max_value=MAX_QUANTITY,
        error_messages={"min_value": "Enter a quantity of at least 1.", "invalid": "Enter a whole number."},
    )
    unit_cost = _money_field("Unit cost", max_digits=12)

    def __init__(self, *args, number: int = 1, info: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.number = number
        self.info = info

    def clean(self):
        cleaned = super().clean()
        if self.is_blank:
            return cleaned
        sku, quantity = (cleaned.get("sku") or "").strip(), cleaned.get("quantity")
        if sku:
            try:
                cleaned["variant"] = variant_get(sku=sku)
            except NotFound:
                self.add_error("sku", f"Unknown SKU {sku}.")
            else:
                self.info = cleaned["variant"].display_name
        elif "sku" not in self.errors:
            self.add_error("sku", "Enter a SKU.")
        if quantity is None and "quantity" not in self.errors:
            self.add_error("quantity", "Enter a quantity.")
        return cleaned

    @property
    def is_blank(self) -> bool:
        if not self.is_bound:
            return True
        return not any((self.data.get(name) or "").strip() for name in ("sku", "quantity", "unit_cost"))

    def row_errors(self) -> list[str]:
        """This row's errors, each naming the row: "Line 2: Unknown SKU NOPE."."""
        return [f"Line {self.number}: {error}" for errors in self.errors.values() for error in errors]


def purchase_line_forms(data) -> list[PurchaseLineForm]:
    """One line form per row posted: the rows' inputs share the names `sku`, `quantity` and `unit_cost`."""
    columns = [list(data.getlist(name)) for name in ("sku", "quantity", "unit_cost")]
    rows = min(max(len(column) for column in columns), MAX_LINES + 1)
    for column in columns:
        column += [""] * (rows - len(column))
    return [
        PurchaseLineForm({"sku": sku, "quantity": quantity, "unit_cost": cost}, number=number)
        for number, (sku, quantity, cost) in enumerate(zip(*columns), start=1)
    ]


def purchase_line_forms_initial(lines: list[PurchaseOrderLine]) -> list[PurchaseLineForm]:
    """Rows for editing a draft's lines."""
    return [
        PurchaseLineForm(
            initial={"sku": line.variant.sku, "quantity": line.quantity_ordered, "unit_cost": line.unit_cost},
            number=number,
            info=" · ".join(part for part in (line.variant.display_name, line.supplier_sku) if part),
        )
        for number, line in enumerate(lines, start=1)
    ]


class VariantSearchForm(forms.Form):
    """The SKU autocomplete: the term (`q`, or `sku` from a line's input) and the chosen supplier."""

    q = forms.CharField(max_length=64, required=False)
    sku = forms.CharField(max_length=64, required=False)
    supplier = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    def parsed(self) -> tuple[str, int | None]:
        """(term, supplier id); an invalid value is dropped, the valid ones still count."""
        self.is_valid()
        data = self.cleaned_data
        return (data.get("q") or data.get("sku") or "").strip(), data.get("supplier")


class PurchaseOrderTransitionForm(forms.Form):
    to = forms.ChoiceField(choices=PurchaseOrderStatus.choices)
    note = forms.CharField(max_length=300, required=False)


class ReceiveForm(forms.Form):
    """Goods received: per line a quantity and the location they go to, all in one receipt."""

    accept_over_receipt = forms.BooleanField(label="Accept over-receipt", required=False)
    over_receipt_reason = forms.CharField(
        label="Reason for accepting more than ordered",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. supplier sent a full case"}),
    )
    notes = forms.CharField(label="Notes", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 1}))
    idempotency_key = forms.CharField(max_length=200, widget=forms.HiddenInput,
                                      error_messages={"required": "The form is incomplete: open the dialog again."})

    def __init__(self, *args, lines: list[PurchaseOrderLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        try:
            default = location_default()
        except ApplicationError:
            default = location_list().first()
        for line in lines:
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=f"Received quantity of {line.variant.sku}",
                required=False,
                min_value=0,
                max_value=MAX_QUANTITY,
                initial=line.quantity_outstanding,
                error_messages={"min_value": "Enter zero or more.", "invalid": "Enter a whole number."},
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off", "min": "0",
                                                "class": "qty-input"}),
            )
            self.fields[f"loc_{line.pk}"] = LocationChoiceField(
                queryset=location_list(),
                to_field_name="code",
                label=f"Location for {line.variant.sku}",
                empty_label=None,
                initial=default.code if default else None,
                error_messages={"invalid_choice": "Choose an active location."},
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("accept_over_receipt") and not (cleaned.get("over_receipt_reason") or "").strip():
            self.add_error("over_receipt_reason", "Give a reason for accepting more than was ordered.")
        if not self.errors and not any(cleaned.get(f"qty_{line.pk}") for line in self.lines):
            self.add_error(None, "Enter a received quantity for at least one line.")
        return cleaned

    def rows(self) -> list[tuple[PurchaseOrderLine, forms.BoundField, forms.BoundField]]:
        return [(line, self[f"qty_{line.pk}"], self[f"loc_{line.pk}"]) for line in self.lines]

    def receipt_lines(self) -> list[tuple[int, int, object]]:
        """(line id, quantity, location) for each line with a quantity above zero."""
        return [
            (line.pk, self.cleaned_data[f"qty_{line.pk}"], self.cleaned_data[f"loc_{line.pk}"])
            for line in self.lines
            if self.cleaned_data.get(f"qty_{line.pk}")
        ]

"""Forms for the order pages. They parse and check input; the order services change data."""
from decimal import Decimal

from django import forms

from core.exceptions import NotFound
from inventory.selectors import variant_get
from orders.models import OrderStatus, PaymentMethod, SalesOrderLine
from orders.selectors import ship_from_choices

MAX_QUANTITY = 1_000_000
MAX_LINES = 200


class OrderFilterForm(forms.Form):
    """Query parameters of the order list. Invalid values are ignored, valid ones applied."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Search number, customer or SKU", "autocomplete": "off"}
        ),
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *OrderStatus.choices], required=False)


class LocationChoiceField(forms.ModelChoiceField):
    """An active location, shown as "CODE — name"."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.code} — {obj.name}" + (" (default)" if obj.is_default else "")


def _ship_from_field(**kwargs) -> LocationChoiceField:
    return LocationChoiceField(
        queryset=ship_from_choices(),
        required=False,
        empty_label="Default location",
        error_messages={"invalid_choice": "Choose one of the active locations."},
        **kwargs,
    )


class OrderCreateForm(forms.Form):
    customer_name = forms.CharField(label="Customer", max_length=200, required=False,
                                    widget=forms.TextInput(attrs={"autocomplete": "off"}))
    customer_email = forms.EmailField(label="Customer email", required=False)
    ship_from = _ship_from_field(label="Ship from", help_text="Where the stock is taken from when the order is confirmed.")
    notes = forms.CharField(label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    # Sent by the "Create anyway" button after the form warned about lines without stock.
    create_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)


class OrderLinesEditForm(forms.Form):
    """The edit form of a pending order: its rows are OrderLineForms; this holds the form-wide errors."""


class ShipFromForm(forms.Form):
    ship_from = _ship_from_field(label="Ship from")


class PaymentRecordForm(forms.Form):
    prefix = "payment"

    method = forms.ChoiceField(label="Method", choices=PaymentMethod.choices)
    amount = forms.DecimalField(
        label="Amount",
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"min_value": "The amount must be more than zero."},
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal", "autocomplete": "off"}),
    )
    reference = forms.CharField(label="Reference", max_length=100, required=False,
                                help_text="E.g. the card slip or bank transfer reference.",
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))


class OrderLineForm(forms.Form):
    """One line of the order form: a SKU and a quantity. A line with neither is blank and skipped."""

    sku = forms.CharField(label="SKU", max_length=64, required=False)
    quantity = forms.IntegerField(
        label="Quantity",
        required=False,
        min_value=1,
        max_value=MAX_QUANTITY,
        error_messages={"min_value": "Enter a quantity of at least 1."},
    )
    # Only the edit form sends it; blank is the order's ship-from location.
    location = LocationChoiceField(
        label="Location",
        queryset=ship_from_choices(),
        required=False,
        empty_label="Order's ship-from",
        error_messages={"invalid_choice": "Choose one of the active locations."},
    )

    def clean(self):
        cleaned = super().clean()
        if self.is_blank:
            return cleaned
        sku, quantity = cleaned.get("sku", ""), cleaned.get("quantity")
        if sku:
            try:
                cleaned["variant"] = variant_get(sku=sku)
            except NotFound:
                self.add_error("sku", f"Unknown SKU {sku}.")
        elif "sku" not in self.errors:
            self.add_error("sku", "Enter a SKU.")
        if quantity is None and "quantity" not in self.errors:
            self.add_error("quantity", "Enter a quantity.")
        return cleaned

    @property
    def is_blank(self) -> bool:
        return not (self.data.get("sku") or "").strip() and not (self.data.get("quantity") or "").strip()


def order_line_forms(data) -> list[OrderLineForm]:
    """One line form per row posted: the rows' inputs share the names `sku`, `quantity` and
    (on the edit form) `location`."""
    skus, quantities, locations = list(data.getlist("sku")), list(data.getlist("quantity")), list(data.getlist("location"))
    rows = max(len(skus), len(quantities))
    skus += [""] * (rows - len(skus))
    quantities += [""] * (rows - len(quantities))
    locations += [""] * (rows - len(locations))
    return [
        OrderLineForm({"sku": sku, "quantity": quantity, "location": location})
        for sku, quantity, location in zip(skus, quantities, locations)
    ]


def order_line_forms_initial(lines: list[SalesOrderLine]) -> list[OrderLineForm]:
    """Unbound rows showing an order's lines, for its edit form."""
    return [
        OrderLineForm(initial={"sku": line.variant.sku, "quantity": line.quantity, "location": line.location_id})
        for line in lines
    ]


class LineAvailabilityForm(forms.Form):
    """What the order form's availability cell sends: the row's SKU, quantity and location
    (edit form), and the order's ship-from location."""

    sku = forms.CharField(max_length=64, required=False)
    quantity = forms.IntegerField(required=False, min_value=0, max_value=MAX_QUANTITY)
    location = forms.ModelChoiceField(queryset=ship_from_choices(), required=False)
    ship_from = forms.ModelChoiceField(queryset=ship_from_choices(), required=False)


class VariantSearchForm(forms.Form):
    """The autocomplete's search term: `q`, or `sku` when it comes from an order line's input."""

    q = forms.CharField(max_length=64, required=False)
    sku = forms.CharField(max_length=64, required=False)

    @property
    def term(self) -> str:
        if not self.is_valid():
            return ""
        return (self.cleaned_data["q"] or self.cleaned_data["sku"]).strip()


class OrderTransitionForm(forms.Form):
    to = forms.ChoiceField(choices=OrderStatus.choices)
    note = forms.CharField(max_length=300, required=False)


def _line_quantity_fields(form: forms.Form, lines: list[SalesOrderLine]) -> None:
    for line in lines:
        form.fields[f"line_{line.pk}"] = forms.IntegerField(
            label=line.variant.sku,
            required=False,
            min_value=0,
            max_value=MAX_QUANTITY,
            initial=0,
            widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off", "class": "qty-input"}),
        )


def _line_rows(form: forms.Form) -> list[tuple[SalesOrderLine, forms.BoundField]]:
    return [(line, form[f"line_{line.pk}"]) for line in form.lines]


def _line_quantities(form: forms.Form) -> dict[int, int]:
    return {
        int(name.removeprefix("line_")): value or 0
        for name, value in form.cleaned_data.items()
        if name.startswith("line_")
    }


class ReturnReceiveForm(forms.Form):
    """Units the customer sent back, per line (only lines with sold units not yet back)."""

    prefix = "return"

    note = forms.CharField(label="Note", max_length=300, required=False)

    def __init__(self, *args, lines: list[SalesOrderLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        _line_quantity_fields(self, lines)

    def line_rows(self) -> list[tuple[SalesOrderLine, forms.BoundField]]:
        return _line_rows(self)

    def quantities(self) -> dict[int, int]:
        return _line_quantities(self)


class RefundLinesForm(forms.Form):
    """After a partial refund: the unshipped units to put back, per line."""

    prefix = "refund"

    note = forms.CharField(label="Note", max_length=300, required=False)

    def __init__(self, *args, lines: list[SalesOrderLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        _line_quantity_fields(self, lines)

    def line_rows(self) -> list[tuple[SalesOrderLine, forms.BoundField]]:
        return _line_rows(self)

    def quantities(self) -> dict[int, int]:
        return _line_quantities(self)

"""Forms for the export page. They parse input; `export_job_create` checks the filters
again and records the job."""
from django import forms

from dataio.models import ExportType, FileFormat
from dataio.exports import FILTERS, category_paths, export_types_for
from inventory.models import MovementType
from inventory.selectors import STATUS_CHOICES, location_list
from orders.models import OrderStatus
from purchasing.models import PurchaseOrderStatus
from suppliers.models import Supplier

FILTER_PREFIX = "filter"


class ExportForm(forms.Form):
    type = forms.ChoiceField(label="What to export", choices=ExportType.choices)
    format = forms.ChoiceField(label="Format", choices=FileFormat.choices, initial=FileFormat.CSV)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = export_types_for(user=user)


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}),
                           error_messages={"invalid": "Enter a date as YYYY-MM-DD."})


def _any(label: str, choices) -> list[tuple[str, str]]:
    return [("", label), *[(str(value), text) for value, text in choices]]


def _filter_field(type: str, name: str) -> forms.Field:
    if name == "q":
        return forms.CharField(label="Search", required=False, max_length=200,
                               widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    if name == "sku":
        return forms.CharField(label="SKU", required=False, max_length=64)
    if name == "category":
        paths = category_paths()
        return forms.ChoiceField(label="Category", required=False,
                                 choices=_any("Any category", sorted(paths.items(), key=lambda item: item[1])))
    if name == "active":
        return forms.ChoiceField(label="Active", required=False,
                                 choices=[("", "Active or not"), ("true", "Active only"), ("false", "Inactive only")])
    if name == "location":
        codes = location_list(active_only=False).values_list("code", "name")
        return forms.ChoiceField(label="Location", required=False,
                                 choices=_any("Any location", [(code, f"{code} · {label}") for code, label in codes]))
    if name == "supplier":
        suppliers = Supplier.objects.order_by("name").values_list("pk", "name")
        return forms.ChoiceField(label="Supplier", required=False, choices=_any("Any supplier", suppliers))
    if name == "status":
        choices = {
            ExportType.STOCK: STATUS_CHOICES,
            ExportType.PURCHASE_ORDERS: PurchaseOrderStatus.choices,
            ExportType.SALES_ORDERS: OrderStatus.choices,
        }[type]
        return forms.ChoiceField(label="Status", required=False, choices=_any("Any status", choices))
    if name == "type":
        return forms.ChoiceField(label="Movement type", required=False, choices=_any("Any type", MovementType.choices))
    if name == "date_from":
        return _date_field("From date" if type != ExportType.PURCHASE_ORDERS else "Ordered from")
    if name == "date_to":
        return _date_field("To date" if type != ExportType.PURCHASE_ORDERS else "Ordered until")
    raise KeyError(name)  # pragma: no cover - every filter of FILTERS has a field above


class ExportFilterForm(forms.Form):
    """The filters of one export type, as on its list page. Field names carry the prefix
    "filter-" so that the movement type does not clash with the export type."""

    def __init__(self, *args, type: str, **kwargs):
        kwargs.setdefault("prefix", FILTER_PREFIX)
        super().__init__(*args, **kwargs)
        self.export_type = type
        for name in FILTERS.get(type, {}):
            self.fields[name] = _filter_field(type, name)

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> dict:
        """The filled-in filters, as the service takes them."""
        values = {}
        for name, value in self.cleaned_data.items():
            if value in (None, ""):
                continue
            values[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return values

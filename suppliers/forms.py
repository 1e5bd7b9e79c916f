"""Forms for the supplier pages. They parse and check input; the supplier services change data."""
from decimal import Decimal

from django import forms

from core.exceptions import NotFound
from inventory.selectors import variant_get
from suppliers.services import MAX_COST, MAX_LEAD_TIME_DAYS, MAX_ORDER_QUANTITY

ACTIVE_CHOICES = [("", "All suppliers"), ("true", "Active"), ("false", "Inactive")]


class SupplierFilterForm(forms.Form):
    """Query parameters of the supplier list. Invalid values are ignored, valid ones applied."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Search name, contact or email", "autocomplete": "off"}
        ),
    )
    active = forms.ChoiceField(choices=ACTIVE_CHOICES, required=False)

    def active_value(self) -> bool | None:
        value = self.cleaned_data.get("active") if hasattr(self, "cleaned_data") else ""
        return {"true": True, "false": False}.get(value or "")


class SupplierItemFilterForm(forms.Form):
    """Query parameters of the supplier page's item list. An invalid search is ignored."""

    q = forms.CharField(label="Search items", required=False, max_length=100)


class SupplierForm(forms.Form):
    """Create or edit a supplier; the service checks the name is free and the addresses valid."""

    name = forms.CharField(label="Name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    contact_name = forms.CharField(label="Contact name", max_length=200, required=False)
    email = forms.EmailField(label="Email", max_length=254, required=False)
    phone = forms.CharField(label="Phone", max_length=50, required=False,
                            widget=forms.TextInput(attrs={"type": "tel"}))
    website = forms.CharField(label="Website", max_length=200, required=False,
                              widget=forms.TextInput(attrs={"type": "url", "placeholder": "https://"}))
    address = forms.CharField(label="Address", max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    notes = forms.CharField(label="Notes", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    active = forms.BooleanField(label="Active: purchase orders may go to this supplier", required=False,
                                initial=True)


def _cost_field() -> forms.DecimalField:
    return forms.DecimalField(
        label="Unit cost",
        min_value=Decimal("0"),
        max_value=MAX_COST - Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        initial=Decimal("0.00"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )


def _lead_time_field() -> forms.IntegerField:
    return forms.IntegerField(label="Lead time (days)", min_value=0, max_value=MAX_LEAD_TIME_DAYS, initial=7,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


def _moq_field() -> forms.IntegerField:
    return forms.IntegerField(label="Minimum order quantity", min_value=1, max_value=MAX_ORDER_QUANTITY, initial=1,
                              error_messages={"min_value": "The minimum order quantity must be at least 1."},
                              widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


class SupplierItemCreateForm(forms.Form):
    """A variant the supplier sells us. Without `show_cost` the cost is neither shown nor set."""

    prefix = "item"

    sku = forms.CharField(
        label="SKU",
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "placeholder": "SKU or product name"}),
    )
    supplier_sku = forms.CharField(label="Supplier SKU", max_length=64, required=False)
    unit_cost = _cost_field()
    lead_time_days = _lead_time_field()
    minimum_order_quantity = _moq_field()
    preferred = forms.BooleanField(label="Preferred supplier for this SKU", required=False)

    def __init__(self, *args, show_cost: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_cost:
            del self.fields["unit_cost"]

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        try:
            self.cleaned_data["variant"] = variant_get(sku=sku)
        except NotFound:
            raise forms.ValidationError(f"Unknown SKU {sku}.") from None
        return sku


class SupplierItemEditForm(forms.Form):
    """The inline edit row of an item. Without `show_cost` the cost is neither shown nor set."""

    supplier_sku = forms.CharField(label="Supplier SKU", max_length=64, required=False)
    unit_cost = _cost_field()
    lead_time_days = _lead_time_field()
    minimum_order_quantity = _moq_field()
    preferred = forms.BooleanField(label="Preferred", required=False)

    def __init__(self, *args, show_cost: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_cost:
            del self.fields["unit_cost"]


class VariantSearchForm(forms.Form):
    """The autocomplete's term: `q`, or the add-item form's `item-sku`."""

    q = forms.CharField(max_length=64, required=False)
    item_sku = forms.CharField(max_length=64, required=False)

    def __init__(self, data=None, **kwargs):
        if data is not None:
            data = {"q": data.get("q", ""), "item_sku": data.get("item-sku", "")}
        super().__init__(data, **kwargs)

    @property
    def term(self) -> str:
        if not self.is_valid():
            return ""
        return (self.cleaned_data["q"] or self.cleaned_data["item_sku"]).strip()

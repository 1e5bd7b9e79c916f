"""Forms for the inventory pages. They parse and check input; the services change stock."""
from django import forms
from django.contrib.auth import get_user_model

from inventory.models import Location, MovementType
from inventory.selectors import SORTS, STATUS_CHOICES, category_list, location_list

MAX_QUANTITY = 1_000_000

# Types whose sign is implied: a sale or damage always removes units, the others add them.
REMOVING_TYPES = {MovementType.SALE, MovementType.DAMAGE}
ADDING_TYPES = {MovementType.RESTOCK, MovementType.REFUND, MovementType.RETURN}
# Transfers have their own dialog, and so has counting: a count sets on_hand, it is not a change.
ADJUST_TYPE_CHOICES = [
    (value, label)
    for value, label in MovementType.choices
    if value not in (MovementType.TRANSFER_OUT, MovementType.TRANSFER_IN, MovementType.COUNT)
]


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Location) -> str:
        return f"{obj.name} ({obj.code})"


def _location_field(label: str = "Location") -> LocationChoiceField:
    return LocationChoiceField(
        queryset=location_list(),
        to_field_name="code",
        label=label,
        empty_label=None,
    )


def _quantity_field(label: str, help_text: str = "", min_value: int | None = None) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=-MAX_QUANTITY if min_value is None else min_value,
        max_value=MAX_QUANTITY,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": True}),
    )


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label="Reason",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "Why is stock changing?", "autocomplete": "off"}),
    )


def _notes_field() -> forms.CharField:
    return forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _key_field() -> forms.CharField:
    return forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)


class StockFilterForm(forms.Form):
    """Query parameters of the inventory list. Invalid values are ignored, valid ones applied."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Search name, SKU or barcode", "autocomplete": "off"}
        ),
    )
    category = forms.ModelChoiceField(queryset=category_list(), required=False, empty_label="All categories")
    location = forms.ModelChoiceField(
        queryset=location_list(active_only=False), to_field_name="code", required=False, empty_label="All locations"
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *STATUS_CHOICES], required=False)
    sort = forms.ChoiceField(choices=[(key, key) for key in SORTS], required=False)


class MovementFilterForm(forms.Form):
    sku = forms.CharField(label="SKU", required=False, max_length=64)
    type = forms.ChoiceField(label="Type", choices=[("", "Any type"), *MovementType.choices], required=False)
    location = forms.ModelChoiceField(
        queryset=location_list(active_only=False), to_field_name="code", required=False, empty_label="All locations"
    )
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"), required=False, empty_label="Anyone"
    )
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


class StockAdjustForm(forms.Form):
    location = _location_field()
    type = forms.ChoiceField(label="Type", choices=ADJUST_TYPE_CHOICES, initial=MovementType.RESTOCK)
    quantity = _quantity_field(
        "Quantity",
        help_text=(
            "Restock, refund, return: units in. Sale, damage: units out. "
            "Adjustment: a signed change, e.g. -3 or +2."
        ),
    )
    reason = _reason_field()
    notes = _notes_field()
    idempotency_key = _key_field()

    def clean(self):
        cleaned = super().clean()
        type_, quantity = cleaned.get("type"), cleaned.get("quantity")
        if type_ is None or quantity is None:
            return cleaned
        if quantity == 0:
            self.add_error("quantity", "Enter a quantity other than zero.")
        elif type_ in REMOVING_TYPES:
            cleaned["quantity"] = -abs(quantity)
        elif type_ in ADDING_TYPES and quantity < 0:
            label = MovementType(type_).label.lower()
            self.add_error("quantity", f"A {label} adds units: enter a positive quantity.")
        return cleaned


class StockCountForm(forms.Form):
    location = _location_field()
    counted = _quantity_field("Counted quantity", help_text="How many units are on the shelf.", min_value=0)
    reason = _reason_field()
    notes = _notes_field()
    expected_on_hand = forms.IntegerField(required=False, widget=forms.HiddenInput)
    idempotency_key = _key_field()


class StockTransferForm(forms.Form):
    from_location = _location_field("From")
    to_location = _location_field("To")
    quantity = _quantity_field("Quantity", min_value=1)
    reason = _reason_field()
    notes = _notes_field()
    idempotency_key = _key_field()

    def clean(self):
        cleaned = super().clean()
        source, target = cleaned.get("from_location"), cleaned.get("to_location")
        if source is not None and source == target:
            self.add_error("to_location", "Choose a different location than the source.")
        return cleaned

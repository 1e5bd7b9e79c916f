"""Forms for the catalogue pages (products, variants, categories, locations). They parse
input; the services in inventory.services.products, .categories and .locations check the
rules and change data."""
import json
from decimal import Decimal

from django import forms

from inventory.selectors_catalogue import PRODUCT_SORTS, category_choices
from inventory.services.products import MAX_MONEY, MAX_OPTIONS

ACTIVE_CHOICES = [("", "Active and archived"), ("true", "Active"), ("false", "Archived")]
PAGE_SIZES = [25, 50, 100]
SORT_LABELS = {"name": "Name A–Z", "-name": "Name Z–A", "price": "Price, lowest first", "-price": "Price, highest first",
               "updated": "Least recently changed", "-updated": "Recently changed", "variants": "Fewest variants",
               "-variants": "Most variants"}


def _money_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, min_value=Decimal("0"), max_value=MAX_MONEY - Decimal("0.01"),
        max_digits=12, decimal_places=2, help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )


class CategorySelectField(forms.TypedChoiceField):
    """A category by id, offered in tree order; the cleaned value is the Category (or None)."""

    def __init__(self, *, pairs, empty_label: str, **kwargs):
        self.by_pk = {str(c.pk): c for c, _ in pairs}
        choices = [("", empty_label)] + [(str(c.pk), label) for c, label in pairs]
        super().__init__(choices=choices, coerce=lambda pk: self.by_pk[pk], empty_value=None, **kwargs)


class ProductFilterForm(forms.Form):
    """Query parameters of the product list. Invalid values are ignored, valid ones applied."""

    q = forms.CharField(label="Search", required=False, max_length=100)
    category = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=[])
    active = forms.ChoiceField(choices=ACTIVE_CHOICES, required=False)
    sort = forms.ChoiceField(required=False, choices=[])
    page_size = forms.TypedChoiceField(required=False, coerce=int, empty_value=PAGE_SIZES[0],
                                       choices=[(n, f"{n} per page") for n in PAGE_SIZES])

    def __init__(self, *args, show_prices: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "All categories")] + [
            (c.pk, label) for c, label in category_choices()]
        sorts = [key for key in PRODUCT_SORTS if show_prices or "price" not in key]
        self.fields["sort"].choices = [(key, SORT_LABELS[key]) for key in sorts]

    def value(self, name: str, default=None):
        return (getattr(self, "cleaned_data", None) or {}).get(name) or default

    def active_value(self) -> bool | None:
        return {"true": True, "false": False}.get(self.value("active", ""))


class ProductForm(forms.Form):
    """A product's own fields; without `show_prices` the price and cost are neither shown nor set."""

    name = forms.CharField(label="Name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    description = forms.CharField(label="Description", max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    price = _money_field("Price", help_text="What a customer pays; a variant may have its own.")
    cost = _money_field("Cost", help_text="What a unit costs you; a variant may have its own.")
    track_inventory = forms.BooleanField(label="Track inventory", required=False, initial=True)
    active = forms.BooleanField(label="Active", required=False, initial=True)
    image = forms.FileField(label="Image", required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}))
    image_remove = forms.BooleanField(label="Remove the image", required=False)

    def __init__(self, *args, show_prices: bool = True, product=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = product.category if product is not None else None
        self.fields["category"] = CategorySelectField(pairs=category_choices(include=current),
                                                      empty_label="No category", label="Category", required=False)
        # Keep the order of the page: category after the description.
        self.order_fields(["name", "description", "category", "price", "cost", "track_inventory", "active", "image",
                           "image_remove"])
        self.fields["image"].widget = forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"})
        if not show_prices:
            del self.fields["price"]
            del self.fields["cost"]
        if product is None or not product.image:
            del self.fields["image_remove"]


class OptionsForm(forms.Form):
    """Up to three options, each a name and its values separated by commas."""

    prefix = "opt"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, MAX_OPTIONS + 1):
            self.fields[f"name_{i}"] = forms.CharField(
                label=f"Option {i}", required=False, max_length=40,
                widget=forms.TextInput(attrs={"placeholder": ["e.g. Size", "e.g. Colour", "e.g. Material"][i - 1],
                                              "autocomplete": "off"}))
            self.fields[f"values_{i}"] = forms.CharField(
                label=f"Option {i} values", required=False, max_length=1000,
                widget=forms.TextInput(attrs={"placeholder": ["S, M, L", "Black, Blue", "Cotton, Linen"][i - 1],
                                              "autocomplete": "off"}))

    def rows(self):
        return [(self[f"name_{i}"], self[f"values_{i}"]) for i in range(1, MAX_OPTIONS + 1)]

    def pairs(self) -> list[tuple[str, str]]:
        data = self.cleaned_data if self.is_valid() else {}
        return [(data.get(f"name_{i}", ""), data.get(f"values_{i}", "")) for i in range(1, MAX_OPTIONS + 1)]

    @staticmethod
    def initial_from(options: list[tuple[str, list[str]]]) -> dict:
        initial = {}
        for i, (name, values) in enumerate(options[:MAX_OPTIONS], start=1):
            initial[f"name_{i}"] = name
            initial[f"values_{i}"] = ", ".join(values)
        return initial


class VariantRowForm(forms.Form):
    """One proposed variant of the matrix."""

    include = forms.BooleanField(label="Create", required=False, initial=True)
    attributes = forms.CharField(required=False, widget=forms.HiddenInput)
    sku_suggested = forms.CharField(required=False, widget=forms.HiddenInput)
    sku = forms.CharField(label="SKU", max_length=64, required=False,
                          widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    barcode = forms.CharField(label="Barcode", max_length=64, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    price = _money_field("Price", required=False)
    image = forms.FileField(label="Image", required=False,
                            widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}))

    def __init__(self, *args, show_prices: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_prices:
            del self.fields["price"]

    def clean_attributes(self):
        raw = self.cleaned_data.get("attributes") or "{}"
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError("The options of this row are unreadable: generate the variants again.") from None
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise forms.ValidationError("The options of this row are unreadable: generate the variants again.")
        return value

    @property
    def options_label(self) -> str:
        try:
            value = json.loads(self["attributes"].value() or "{}")
        except ValueError:
            return ""
        return " / ".join(str(v) for v in value.values()) if isinstance(value, dict) else ""


class BaseVariantRowFormSet(forms.BaseFormSet):
    def __init__(self, *args, show_prices: bool = True, **kwargs):
        self.show_prices = show_prices
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"show_prices": self.show_prices}

    @property
    def empty_form(self):
        return self.form(auto_id=self.auto_id, prefix=self.add_prefix("__prefix__"), empty_permitted=True,
                         use_required_attribute=False, show_prices=self.show_prices, renderer=self.renderer)


VariantRowFormSet = forms.formset_factory(VariantRowForm, formset=BaseVariantRowFormSet, extra=0,
                                          max_num=100, absolute_max=100, validate_max=True)


class VariantEditForm(forms.Form):
    """An existing variant: SKU, options, barcode, own price and cost, image, active."""

    sku = forms.CharField(label="SKU", max_length=64,
                          widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    barcode = forms.CharField(label="Barcode", max_length=64, required=False)
    price = _money_field("Own price", required=False, help_text="Blank: the product's price.")
    cost = _money_field("Own cost", required=False, help_text="Blank: the product's cost.")
    active = forms.BooleanField(label="Active", required=False)
    image = forms.FileField(label="Image", required=False,
                            widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}))
    image_remove = forms.BooleanField(label="Remove the image", required=False)

    def __init__(self, *args, option_names: list[str], show_prices: bool = True, variant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.option_names = option_names
        for i, name in enumerate(option_names):
            self.fields[f"option_{i}"] = forms.CharField(label=name, max_length=60, required=True)
        if not show_prices:
            del self.fields["price"]
            del self.fields["cost"]
        if variant is None or not variant.image:
            del self.fields["image_remove"]

    def option_fields(self):
        return [self[f"option_{i}"] for i in range(len(self.option_names))]

    def attributes(self) -> dict:
        return {name: self.cleaned_data[f"option_{i}"].strip() for i, name in enumerate(self.option_names)}


# --- categories ------------------------------------------------------------------

class CategoryForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120, widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, category=None, **kwargs):
        super().__init__(*args, **kwargs)
        current_parent = category.parent if category is not None else None
        pairs = category_choices(include=current_parent, exclude_subtree_of=category)
        self.fields["parent"] = CategorySelectField(pairs=pairs, empty_label="None (top level)", label="Parent",
                                                    required=False)


# --- locations -------------------------------------------------------------------

class LocationForm(forms.Form):
    code = forms.CharField(label="Code", max_length=32, help_text="Short and unique, e.g. main or store-2: the API "
                                                                  "and imports name the location by it.",
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    name = forms.CharField(label="Name", max_length=120)
    address = forms.CharField(label="Address", max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    is_default = forms.BooleanField(label="Default location (used when none is named)", required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["is_default"]

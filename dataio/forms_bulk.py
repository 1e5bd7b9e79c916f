"""Forms for the bulk stock update page. They parse and check input; the stock service changes stock."""
from django import forms
from django.conf import settings

from core.exceptions import NotFound
from inventory.models import MovementType
from inventory.selectors import location_list, variant_get
from inventory.services.bulk import MAX_BULK_LINES, MAX_BULK_QUANTITY

BULK_TYPE_CHOICES = [
    (MovementType.ADJUSTMENT.value, MovementType.ADJUSTMENT.label),
    (MovementType.RESTOCK.value, MovementType.RESTOCK.label),
    (MovementType.DAMAGE.value, MovementType.DAMAGE.label),
    (MovementType.RETURN.value, MovementType.RETURN.label),
]
ROW_FIELDS = ("sku", "location", "type", "quantity", "reason")
# The columns of an uploaded file: required, then optional.
CSV_REQUIRED = ("sku", "quantity_change", "reason")
CSV_OPTIONAL = ("location", "type")


class BulkRowForm(forms.Form):
    """One line: SKU, location (the default when empty), type, signed change and reason.
    A row with no SKU, change or reason is blank and skipped."""

    sku = forms.CharField(label="SKU", max_length=64, required=False,
                          widget=forms.TextInput(attrs={"aria-label": "SKU", "placeholder": "SKU or product name",
                                                        "autocomplete": "off", "spellcheck": "false"}))
    location = forms.ModelChoiceField(
        queryset=location_list(), to_field_name="code", required=False, empty_label="Default location",
        error_messages={"invalid_choice": "Unknown or inactive location."},
        widget=forms.Select(attrs={"aria-label": "Location"}),
    )
    type = forms.ChoiceField(label="Type", choices=BULK_TYPE_CHOICES, required=False,
                             initial=MovementType.ADJUSTMENT,
                             error_messages={"invalid_choice": "Choose adjustment, restock, damage or return."},
                             widget=forms.Select(attrs={"aria-label": "Type"}))
    quantity = forms.IntegerField(
        label="Change", required=False, min_value=-MAX_BULK_QUANTITY, max_value=MAX_BULK_QUANTITY,
        error_messages={"invalid": "Enter a whole number, e.g. -3 or 12."},
        widget=forms.NumberInput(attrs={"aria-label": "Change", "inputmode": "numeric", "autocomplete": "off"}),
    )
    reason = forms.CharField(label="Reason", max_length=200, required=False,
                             widget=forms.TextInput(attrs={"aria-label": "Reason", "autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", False)
        super().__init__(*args, **kwargs)
        self.result = None  # a BulkResult after a preview
        self.problem = ""  # the stock service's message for this line

    def clean(self):
        cleaned = super().clean()
        if self.is_blank:
            return cleaned
        cleaned["type"] = cleaned.get("type") or MovementType.ADJUSTMENT
        sku = (cleaned.get("sku") or "").strip()
        if sku:
            try:
                cleaned["variant"] = variant_get(sku=sku)
            except NotFound:
                self.add_error("sku", f"Unknown SKU {sku}.")
        elif "sku" not in self.errors:
            self.add_error("sku", "Enter a SKU.")
        if cleaned.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", "Enter the change, e.g. -3 or 12.")
        elif cleaned.get("quantity") == 0:
            self.add_error("quantity", "Enter a change other than zero.")
        if not (cleaned.get("reason") or "").strip() and "reason" not in self.errors:
            self.add_error("reason", "Enter a reason.")
        return cleaned

    @property
    def is_blank(self) -> bool:
        if not self.is_bound:
            return True
        return not any((self.data.get(name) or "").strip() for name in ("sku", "quantity", "reason"))


def bulk_row_forms(data) -> list[BulkRowForm]:
    """One row form per posted row: the rows' inputs share the field names."""
    columns = {name: list(data.getlist(name)) for name in ROW_FIELDS}
    count = max(len(values) for values in columns.values())
    for values in columns.values():
        values += [""] * (count - len(values))
    return [BulkRowForm({name: columns[name][index] for name in ROW_FIELDS}) for index in range(count)]


class BulkUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"Columns sku, quantity_change, reason; optional location (code) and type. At most {MAX_BULK_LINES} rows.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.json,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.BULK_UPDATE_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(f"The file is too large: at most {settings.BULK_UPDATE_MAX_MB} MB.")
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload

    def rows(self) -> list[dict[str, str]]:
        """The file's data rows as row-form data, each with its row number in the file.

        Raises forms.ValidationError naming what is wrong with the file as a whole.
        """
        from dataio.readers import FileRefused, table_read

        upload = self.cleaned_data["file"]
        data = upload.read()
        try:
            table = table_read(data=data, file_name=upload.name or "upload.csv", max_rows=MAX_BULK_LINES + 1)
            missing = [name for name in CSV_REQUIRED if name not in table.header]
            if missing:
                raise forms.ValidationError(
                    f"The file has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}: "
                    f"the header must name {', '.join(CSV_REQUIRED)} (and optionally {', '.join(CSV_OPTIONAL)})."
                )
            index = {name: table.header.index(name) for name in (*CSV_REQUIRED, *CSV_OPTIONAL) if name in table.header}
            rows = []
            for number, values in table.rows:
                if len(rows) >= MAX_BULK_LINES:
                    raise forms.ValidationError(
                        f"The file has more than {MAX_BULK_LINES} rows: split it, or use an import of stock counts."
                    )
                row = {field: values[index[column]] if column in index else ""
                       for field, column in (("sku", "sku"), ("quantity", "quantity_change"), ("reason", "reason"),
                                             ("location", "location"), ("type", "type"))}
                row["type"] = row["type"].upper()
                if any(row[name] for name in ("sku", "quantity", "reason")):
                    rows.append({**row, "row": number})
        except FileRefused as exc:
            raise forms.ValidationError(exc.message) from None
        if not rows:
            raise forms.ValidationError("The file has no data rows under its header.")
        return rows

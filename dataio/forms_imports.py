"""Forms for the import pages. They parse input; the import services check files and write data."""
from django import forms
from django.conf import settings

from dataio.models import ImportMode, ImportType, OnError

# What a role needs, on top of dataio.import_data, to import each type.
IMPORT_TYPE_PERMISSIONS = {
    ImportType.CATEGORIES: "inventory.change_product",
    ImportType.PRODUCTS: "inventory.change_product",
    ImportType.SUPPLIERS: "suppliers.change_supplier",
    ImportType.SUPPLIER_ITEMS: "suppliers.change_supplier",
    ImportType.STOCK_COUNTS: "inventory.adjust_stock",
}


def import_type_permission(type: str) -> str:
    return IMPORT_TYPE_PERMISSIONS[ImportType(type)]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text=f"CSV (UTF-8, Windows-1252 or UTF-16), XLSX or JSON; at most {settings.IMPORT_MAX_MB} MB.",
        error_messages={"required": "Choose a file to upload.", "empty": "The file is empty."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.json,text/csv,application/json"}),
    )
    type = forms.ChoiceField(label="What the file holds", choices=ImportType.choices, initial=ImportType.PRODUCTS)
    mode = forms.ChoiceField(label="Mode", choices=ImportMode.choices, initial=ImportMode.UPSERT)
    dry_run = forms.BooleanField(label="Dry run: check and report, write nothing", required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_MB * 1024 * 1024
        if upload.size > limit:
            raise forms.ValidationError(f"The file is larger than {settings.IMPORT_MAX_MB} MB.")
        return upload


class ImportProcessForm(forms.Form):
    on_error = forms.ChoiceField(label="Bad rows", choices=OnError.choices, initial=OnError.ROLLBACK,
                                 widget=forms.RadioSelect)

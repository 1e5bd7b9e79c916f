"""Forms of the low-stock alerts page, the level settings and the reorder rule (purchasing.views_alerts)."""
from django import forms

from inventory.forms import LocationChoiceField
from inventory.selectors import location_list
from inventory.services.levels import MAX_LEVEL_SETTING
from purchasing.services.rules import MAX_RULE_QUANTITY


def _number_field(label: str, maximum: int, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=maximum,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off", "min": 0}),
        **kwargs,
    )


class AlertFilterForm(forms.Form):
    """Query parameters of the alerts page. Invalid values are ignored, valid ones applied."""

    q = forms.CharField(label="Search", required=False, max_length=100)
    location = forms.ModelChoiceField(
        queryset=location_list(), to_field_name="code", required=False, empty_label="All locations"
    )
    critical = forms.BooleanField(label="Critical only", required=False)


class LevelSettingsForm(forms.Form):
    low_stock_threshold = _number_field("Low-stock threshold", MAX_LEVEL_SETTING)
    reorder_quantity = _number_field(
        "Reorder quantity", MAX_LEVEL_SETTING, help_text="0: reorder twice the threshold."
    )


class ReorderRuleForm(forms.Form):
    min_quantity = _number_field("Min", MAX_RULE_QUANTITY, help_text="Reorder at or below this.")
    max_quantity = _number_field("Max", MAX_RULE_QUANTITY, help_text="Order up to this.")
    location = LocationChoiceField(
        queryset=location_list(), to_field_name="code", required=False, empty_label="Default location",
        label="Location",
    )
    active = forms.BooleanField(label="Active", required=False, initial=True)

    def clean(self):
        data = super().clean()
        minimum, maximum = data.get("min_quantity"), data.get("max_quantity")
        if minimum is not None and maximum is not None and maximum <= minimum:
            self.add_error("max_quantity", f"The maximum must be more than the minimum ({minimum}).")
        return data

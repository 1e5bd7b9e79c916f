"""Checks of plain input values shared by the services: text fields."""
from core.exceptions import ValidationFailed


def text_clean(value, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    """`value` as stripped text without NUL characters ("" for None); refused, naming `field`,
    when it is not text, longer than `max_length`, or empty while `required`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"The {label} must be text.", field=field)
    value = value.replace("\x00", "").strip()
    if required and not value:
        raise ValidationFailed(f"Enter the {label}.", field=field)
    if len(value) > max_length:
        raise ValidationFailed(f"The {label} must be at most {max_length} characters.", field=field)
    return value

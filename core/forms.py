"""Helpers for forms."""
from django import forms

from core.exceptions import ApplicationError


def form_error_add(form: forms.Form, exc: ApplicationError, *, field_map: dict[str, str] | None = None) -> None:
    """Put a service error on the form field it names, or on the form as a whole.

    `field_map` renames the service's field to the form's (e.g. "location" to
    "from_location"). A field the form does not have, or one it keeps hidden (where the
    page would not show the message beside anything), gets the error on the form instead.
    """
    field = (field_map or {}).get(exc.field, exc.field)
    if field not in form.fields or form.fields[field].widget.is_hidden:
        field = None
    form.add_error(field, exc.message)

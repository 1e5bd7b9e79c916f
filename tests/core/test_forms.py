from django import forms

from core.exceptions import Conflict, ValidationFailed
from core.forms import form_error_add


class _Form(forms.Form):
    quantity = forms.IntegerField(required=False)
    from_location = forms.CharField(required=False)
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)


def _bound() -> _Form:
    form = _Form({})
    form.is_valid()
    return form


def test_form_error_add_puts_the_error_on_the_field_it_names():
    form = _bound()

    form_error_add(form, ValidationFailed("Enter a whole number.", field="quantity"))

    assert form.errors == {"quantity": ["Enter a whole number."]}


def test_form_error_add_without_a_known_field_puts_it_on_the_form():
    form = _bound()

    form_error_add(form, Conflict("Not enough stock.", field="nope"))
    form_error_add(form, Conflict("Try again."))

    assert form.non_field_errors() == ["Not enough stock.", "Try again."]


def test_form_error_add_a_hidden_field_gets_it_on_the_form_where_it_shows():
    form = _bound()

    form_error_add(form, Conflict("This key was already used.", field="idempotency_key"))

    assert form.non_field_errors() == ["This key was already used."]
    assert "idempotency_key" not in form.errors


def test_form_error_add_field_map_renames_the_services_field():
    form = _bound()

    form_error_add(form, ValidationFailed("Unknown location.", field="location"),
                   field_map={"location": "from_location"})

    assert form.errors == {"from_location": ["Unknown location."]}

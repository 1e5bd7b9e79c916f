"""The location pages: list (the default marked), create, edit, make default, deactivate and
activate. Staff may look; Managers and Admins change."""
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError
from core.forms import form_error_add
from core.shortcuts import get_or_404
from inventory.forms_catalogue import LocationForm
from inventory.selectors_catalogue import location_get_by_pk, location_list_all
from inventory.services.locations import (
    location_activate,
    location_create,
    location_deactivate,
    location_default_set,
    location_update,
)


@permission_required("inventory.view_location", raise_exception=True)
@require_GET
def location_list_view(request):
    return render(request, "inventory/locations/location_list.html", {"locations": location_list_all()})


@permission_required("inventory.add_location", raise_exception=True)
@require_http_methods(["GET", "POST"])
def location_create_view(request):
    status = 200
    if request.method == "POST":
        form = LocationForm(request.POST)
        if form.is_valid():
            try:
                location = location_create(**form.cleaned_data, user=request.user)
            except ApplicationError as exc:
                form_error_add(form, exc)
            else:
                messages.success(request, f"Location {location.name} ({location.code}) created.")
                return redirect("locations:location_list")
        status = 400
    else:
        form = LocationForm()
    return render(request, "inventory/locations/location_form.html", {"form": form, "location": None}, status=status)


@permission_required("inventory.change_location", raise_exception=True)
@require_http_methods(["GET", "POST"])
def location_edit_view(request, location_id: int):
    location = get_or_404(location_get_by_pk, pk=location_id)
    status = 200
    if request.method == "POST":
        form = LocationForm(request.POST, editing=True)
        if form.is_valid():
            try:
                location = location_update(location=location, **form.cleaned_data, user=request.user)
            except ApplicationError as exc:
                form_error_add(form, exc)
            else:
                messages.success(request, f"Location {location.name} ({location.code}) saved.")
                return redirect("locations:location_list")
        status = 400
    else:
        form = LocationForm(initial={"code": location.code, "name": location.name, "address": location.address},
                            editing=True)
    return render(request, "inventory/locations/location_form.html", {"form": form, "location": location},
                  status=status)


def _act(request, location_id: int, service, done: str):
    location = get_or_404(location_get_by_pk, pk=location_id)
    try:
        location = service(location=location, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(name=location.name))
    return redirect("locations:location_list")


@permission_required("inventory.change_location", raise_exception=True)
@require_POST
def location_default_view(request, location_id: int):
    return _act(request, location_id, location_default_set,
                "{name} is now the default location: stock pages and the API use it when none is named.")


@permission_required("inventory.change_location", raise_exception=True)
@require_POST
def location_deactivate_view(request, location_id: int):
    return _act(request, location_id, location_deactivate,
                "{name} is deactivated: no stock goes to or from it; its history stays.")


@permission_required("inventory.change_location", raise_exception=True)
@require_POST
def location_activate_view(request, location_id: int):
    return _act(request, location_id, location_activate, "{name} is active again.")

"""Locations: create, edit (code, name, address), deactivate and activate, and choose the
default — exactly one location is the default once any exists; the API and the stock pages
use it when no location is named.

The default location cannot be deactivated (make another the default first), and neither
can a location that still holds stock (transfer it away first).
"""
import re

from django.db import IntegrityError, transaction
from django.db.models import Sum

from core.audit import audit_record
from core.exceptions import Conflict, ValidationFailed
from core.validation import text_clean
from inventory.models import Location, StockLevel

UNSET = object()
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _clean_code(value) -> str:
    if not isinstance(value, str):
        raise ValidationFailed("The code must be text.", field="code")
    code = value.replace("\x00", "").strip().lower()
    if not code:
        raise ValidationFailed("Enter a short code, e.g. main or store-2.", field="code")
    if len(code) > 32:
        raise ValidationFailed("The code must be at most 32 characters.", field="code")
    if not CODE_PATTERN.match(code):
        raise ValidationFailed(f"The code {code!r} may hold only lower-case letters, digits, - and _.", field="code")
    return code


def _check_code_free(code: str, *, exclude_pk: int | None = None) -> None:
    taken = Location.objects.filter(code=code)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise Conflict(f"A location with the code {code!r} already exists: choose another code.", field="code")


def _lock_all() -> list[Location]:
    """Lock every location in pk order: the default flag moves between rows under these locks."""
    return list(Location.objects.select_for_update().order_by("pk"))


def _state(location: Location) -> dict:
    return {"code": location.code, "name": location.name, "address": location.address,
            "active": location.active, "is_default": location.is_default}


def location_create(*, code: str, name: str, address: str = "", is_default: bool = False, user=None) -> Location:
    """Create a location. The first location becomes the default whatever `is_default` says."""
    values = {
        "code": _clean_code(code),
        "name": text_clean(name, field="name", label="name", max_length=120, required=True),
        "address": text_clean(address, field="address", label="address", max_length=2000),
    }
    if not isinstance(is_default, bool):
        raise ValidationFailed("Default must be true or false.", field="is_default")
    try:
        with transaction.atomic():
            locations = _lock_all()
            _check_code_free(values["code"])
            make_default = is_default or not any(loc.is_default for loc in locations)
            if make_default:
                Location.objects.filter(is_default=True).update(is_default=False)
            location = Location.objects.create(**values, is_default=make_default)
            audit_record(user=user, action="location.create", obj=location,
                         changes={k: [None, v] for k, v in _state(location).items() if v not in ("", None)})
    except IntegrityError:
        raise Conflict(f"A location with the code {values['code']!r} already exists: choose another code.",
                       field="code") from None
    return location


def location_update(*, location: Location, code=UNSET, name=UNSET, address=UNSET, user=None) -> Location:
    cleaners = {
        "code": _clean_code,
        "name": lambda v: text_clean(v, field="name", label="name", max_length=120, required=True),
        "address": lambda v: text_clean(v, field="address", label="address", max_length=2000),
    }
    given = {"code": code, "name": name, "address": address}
    values = {f: cleaners[f](v) for f, v in given.items() if v is not UNSET}
    try:
        with transaction.atomic():
            location = Location.objects.select_for_update().get(pk=location.pk)
            if "code" in values and values["code"] != location.code:
                _check_code_free(values["code"], exclude_pk=location.pk)
            changes = {f: [getattr(location, f), v] for f, v in values.items() if getattr(location, f) != v}
            for f in changes:
                setattr(location, f, values[f])
            if changes:
                location.save(update_fields=[*changes, "updated_at"])
                audit_record(user=user, action="location.update", obj=location, changes=changes)
    except IntegrityError:
        raise Conflict(f"A location with the code {values.get('code')!r} already exists: choose another code.",
                       field="code") from None
    return location


def location_default_set(*, location: Location, user=None) -> Location:
    """Make `location` the default (the previous default stops being it)."""
    with transaction.atomic():
        locations = {loc.pk: loc for loc in _lock_all()}
        location = locations[location.pk]
        if not location.active:
            raise Conflict(f"{location.name} is inactive: activate it before making it the default.",
                           field="is_default")
        if not location.is_default:
            previous = next((loc for loc in locations.values() if loc.is_default), None)
            Location.objects.filter(is_default=True).update(is_default=False)
            Location.objects.filter(pk=location.pk).update(is_default=True)
            location.is_default = True
            audit_record(user=user, action="location.default", obj=location,
                         changes={"default": [previous.code if previous else None, location.code]})
    return location


def location_stock_units(*, location: Location) -> int:
    return StockLevel.objects.filter(location=location).aggregate(units=Sum("on_hand"))["units"] or 0


def location_deactivate(*, location: Location, user=None) -> Location:
    """No stock goes to or from an inactive location; its history stays."""
    with transaction.atomic():
        location = Location.objects.select_for_update().get(pk=location.pk)
        if location.is_default:
            raise Conflict(f"{location.name} is the default location: make another location the default first.",
                           field="active")
        units = location_stock_units(location=location)
        if units:
            raise Conflict(f"{location.name} still holds {units:,} unit{'s' if units != 1 else ''}: transfer them to "
                           f"another location first.", field="active", details={"on_hand": units})
        if location.active:
            location.active = False
            location.save(update_fields=["active", "updated_at"])
            audit_record(user=user, action="location.deactivate", obj=location, changes={"active": [True, False]})
    return location


def location_activate(*, location: Location, user=None) -> Location:
    with transaction.atomic():
        location = Location.objects.select_for_update().get(pk=location.pk)
        if not location.active:
            location.active = True
            location.save(update_fields=["active", "updated_at"])
            audit_record(user=user, action="location.activate", obj=location, changes={"active": [False, True]})
    return location

"""Suppliers and what they sell us: create, edit, (de)activate and delete suppliers and
their items (supplier SKU, unit cost, lead time, minimum order quantity, preferred flag).

A supplier that purchase orders or stock movements refer to is never deleted: the
ledger and the order history keep pointing at it, so it is deactivated instead.
One supplier per variant is preferred: marking an item preferred takes the flag away
from the variant's other items in the same transaction.
"""
import zlib
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models.deletion import ProtectedError

from core.audit import audit_record
from core.exceptions import Conflict, NotFound, ValidationFailed
from core.validation import text_clean
from inventory.models import StockMovement, Variant
from suppliers.models import Supplier, SupplierItem

UNSET = object()
SUPPLIER_FIELDS = ["name", "contact_name", "email", "phone", "address", "website", "notes", "active"]

MAX_TEXT = 5000
MAX_LEAD_TIME_DAYS = 3650
MAX_ORDER_QUANTITY = 10_000_000
MAX_COST = Decimal("10000000000")  # unit_cost has 12 digits, 2 after the point

_url_validator = URLValidator(schemes=["http", "https"])


# --- validation -----------------------------------------------------------

def _clean_name(name) -> str:
    name = text_clean(name, field="name", label="name", max_length=200)
    if not name:
        raise ValidationFailed("Enter the supplier's name.", field="name")
    return name


def _clean_email(email) -> str:
    email = text_clean(email, field="email", label="email address", max_length=254)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationFailed(f"{email!r} is not a valid email address.", field="email") from None
    return email


def _clean_website(website) -> str:
    """An http(s) address; "example.com" is taken as https://example.com."""
    website = text_clean(website, field="website", label="website", max_length=200)
    if not website:
        return ""
    if "://" not in website:
        website = f"https://{website}"
    if len(website) > 200:
        raise ValidationFailed("The website must be at most 200 characters.", field="website")
    try:
        _url_validator(website)
    except ValidationError:
        raise ValidationFailed(f"{website!r} is not a valid web address: use e.g. https://example.com.",
                               field="website") from None
    return website


def _clean_active(active) -> bool:
    if not isinstance(active, bool):
        raise ValidationFailed("Active must be true or false.", field="active")
    return active


def _clean_cost(value) -> Decimal:
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, bool | float):
        raise ValidationFailed("Enter the unit cost as an amount such as 12.50.", field="unit_cost")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed("Enter the unit cost as an amount such as 12.50.", field="unit_cost") from None
    if not amount.is_finite():
        raise ValidationFailed("Enter the unit cost as an amount such as 12.50.", field="unit_cost")
    if amount < 0:
        raise ValidationFailed("The unit cost must be zero or more.", field="unit_cost")
    if amount >= MAX_COST:
        raise ValidationFailed("The unit cost is too large.", field="unit_cost")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed("The unit cost has at most two decimal places.", field="unit_cost")
    return amount.quantize(Decimal("0.01"))


def _whole_number(value, *, field: str, label: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"The {label} must be a whole number.", field=field)
    if value < minimum:
        raise ValidationFailed(f"The {label} must be at least {minimum}.", field=field)
    if value > maximum:
        raise ValidationFailed(f"The {label} must be at most {maximum}.", field=field)
    return value


def _clean_lead_time(value) -> int:
    return _whole_number(value, field="lead_time_days", label="lead time in days", minimum=0,
                         maximum=MAX_LEAD_TIME_DAYS)


def _clean_moq(value) -> int:
    return _whole_number(value, field="minimum_order_quantity", label="minimum order quantity", minimum=1,
                         maximum=MAX_ORDER_QUANTITY)


def _clean_preferred(value) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed("Preferred must be true or false.", field="preferred")
    return value


# --- suppliers --------------------------------------------------------------

def _name_lock(name: str) -> None:
    """Serialise writers of the same name (in any case) until the transaction ends.

    The column is unique only as typed; "ACME" and "Acme" are told apart here.
    """
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"supplier-name:{name.casefold()}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _check_name_free(name: str, *, exclude_pk: int | None = None) -> None:
    taken = Supplier.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    other = taken.first()
    if other is not None:
        raise Conflict(f"A supplier named {other.name!r} already exists: choose another name.", field="name")


def _lock_supplier(supplier: Supplier) -> Supplier:
    return Supplier.objects.select_for_update(of=("self",)).get(pk=supplier.pk)


def _filled_fields(supplier: Supplier) -> dict:
    """The supplier's fields that hold something other than the default (blank, active)."""
    values = {field: getattr(supplier, field) for field in SUPPLIER_FIELDS}
    return {field: value for field, value in values.items() if value != "" and not (field == "active" and value)}


def supplier_create(
    *,
    name: str,
    contact_name: str = "",
    email: str = "",
    phone: str = "",
    address: str = "",
    website: str = "",
    notes: str = "",
    active: bool = True,
    user=None,
) -> Supplier:
    """Create a supplier. The name is required and unique whatever its case.
    The audit trail records who created it with the fields they filled in."""
    values = {
        "name": _clean_name(name),
        "contact_name": text_clean(contact_name, field="contact_name", label="contact name", max_length=200),
        "email": _clean_email(email),
        "phone": text_clean(phone, field="phone", label="phone number", max_length=50),
        "address": text_clean(address, field="address", label="address", max_length=MAX_TEXT),
        "website": _clean_website(website),
        "notes": text_clean(notes, field="notes", label="notes", max_length=MAX_TEXT),
        "active": _clean_active(active),
    }
    try:
        with transaction.atomic():
            _name_lock(values["name"])
            _check_name_free(values["name"])
            supplier = Supplier.objects.create(**values)
            audit_record(user=user, action="supplier.create", obj=supplier,
                         changes={field: [None, value] for field, value in _filled_fields(supplier).items()})
            return supplier
    except IntegrityError:
        # Another writer took the exact name between our check and our insert.
        raise Conflict(f"A supplier named {values['name']!r} already exists: choose another name.",
                               field="name") from None


def supplier_update(
    *,
    supplier: Supplier,
    name=UNSET,
    contact_name=UNSET,
    email=UNSET,
    phone=UNSET,
    address=UNSET,
    website=UNSET,
    notes=UNSET,
    active=UNSET,
    user=None,
) -> Supplier:
    """Change the fields given; the others keep their values. The audit trail records
    who changed which fields, from what to what (nothing when nothing changed)."""
    cleaners = {
        "name": _clean_name,
        "contact_name": lambda v: text_clean(v, field="contact_name", label="contact name", max_length=200),
        "email": _clean_email,
        "phone": lambda v: text_clean(v, field="phone", label="phone number", max_length=50),
        "address": lambda v: text_clean(v, field="address", label="address", max_length=MAX_TEXT),
        "website": _clean_website,
        "notes": lambda v: text_clean(v, field="notes", label="notes", max_length=MAX_TEXT),
        "active": _clean_active,
    }
    given = {"name": name, "contact_name": contact_name, "email": email, "phone": phone, "address": address,
             "website": website, "notes": notes, "active": active}
    values = {field: cleaners[field](value) for field, value in given.items() if value is not UNSET}
    return _supplier_save(supplier=supplier, values=values, user=user, action="supplier.update")


def _supplier_save(*, supplier: Supplier, values: dict, user, action: str) -> Supplier:
    """Write the cleaned `values` that differ, with their audit row, in one transaction."""
    try:
        with transaction.atomic():
            if "name" in values:
                _name_lock(values["name"])
            supplier = _lock_supplier(supplier)
            if "name" in values and values["name"] != supplier.name:
                _check_name_free(values["name"], exclude_pk=supplier.pk)
            changes = {field: [getattr(supplier, field), value] for field, value in values.items()
                       if getattr(supplier, field) != value}
            for field in changes:
                setattr(supplier, field, values[field])
            if changes:
                supplier.save(update_fields=[*changes, "updated_at"])
                audit_record(user=user, action=action, obj=supplier, changes=changes)
    except IntegrityError:
        raise Conflict(f"A supplier named {values.get('name')!r} already exists: choose another name.",
                               field="name") from None
    return supplier


def supplier_deactivate(*, supplier: Supplier, user=None) -> Supplier:
    """No new purchase orders go to an inactive supplier; its history stays."""
    return _supplier_save(supplier=supplier, values={"active": False}, user=user, action="supplier.deactivate")


def supplier_activate(*, supplier: Supplier, user=None) -> Supplier:
    return _supplier_save(supplier=supplier, values={"active": True}, user=user, action="supplier.activate")


def _refuse_delete(supplier: Supplier, orders: int, movements: int) -> Conflict:
    parts = []
    if orders:
        parts.append(f"{orders} purchase order{'s' if orders != 1 else ''}")
    if movements:
        parts.append(f"{movements} stock movement{'s' if movements != 1 else ''}")
    return Conflict(
        f"Supplier {supplier.name} has {' and '.join(parts)}, so it cannot be deleted: deactivate it instead.",
        details={"purchase_orders": orders, "stock_movements": movements},
    )


def supplier_delete(*, supplier: Supplier, user=None) -> None:
    """Delete a supplier and its items, unless purchase orders or stock movements refer to it.
    The audit trail keeps who deleted it and the fields it had."""
    try:
        with transaction.atomic():
            supplier = _lock_supplier(supplier)
            orders = supplier.purchase_orders.count()
            movements = StockMovement.objects.filter(supplier=supplier).count()
            if orders or movements:
                raise _refuse_delete(supplier, orders, movements)
            audit_record(user=user, action="supplier.delete", obj=supplier,
                         changes={field: [value, None] for field, value in _filled_fields(supplier).items()})
            supplier.delete()
    except (IntegrityError, ProtectedError):
        # An order or a movement arrived while we were deleting.
        supplier = Supplier.objects.get(pk=supplier.pk)
        raise _refuse_delete(supplier, supplier.purchase_orders.count(),
                             StockMovement.objects.filter(supplier=supplier).count()) from None


# --- supplier items -----------------------------------------------------------

def _lock_variant_items(variant_id: int) -> None:
    """Take the variant's row (FOR NO KEY UPDATE, so stock writes referring to it go on)
    and its items' rows in primary-key order: writers of one variant's items queue here."""
    list(Variant.objects.select_for_update(no_key=True, of=("self",)).filter(pk=variant_id).values_list("pk"))
    list(SupplierItem.objects.select_for_update(of=("self",)).filter(variant_id=variant_id).order_by("pk")
         .values_list("pk"))


def _preferred_take(item: SupplierItem) -> None:
    """The variant's other items stop being preferred (the caller holds their locks)."""
    SupplierItem.objects.filter(variant_id=item.variant_id, preferred=True).exclude(pk=item.pk).update(preferred=False)


def supplier_item_create(
    *,
    supplier: Supplier,
    variant: Variant | None,
    supplier_sku: str = "",
    unit_cost=Decimal("0"),
    lead_time_days: int = 7,
    minimum_order_quantity: int = 1,
    preferred: bool = False,
) -> SupplierItem:
    """Record that `supplier` sells us `variant`. One item per supplier and variant."""
    if not isinstance(variant, Variant) or variant.pk is None:
        raise ValidationFailed("Choose a known SKU.", field="sku")
    values = {
        "supplier_sku": text_clean(supplier_sku, field="supplier_sku", label="supplier SKU", max_length=64),
        "unit_cost": _clean_cost(unit_cost),
        "lead_time_days": _clean_lead_time(lead_time_days),
        "minimum_order_quantity": _clean_moq(minimum_order_quantity),
        "preferred": _clean_preferred(preferred),
    }
    duplicate = Conflict(f"{supplier.name} already has an item for {variant.sku}: edit that one instead.",
                         field="sku")
    try:
        with transaction.atomic():
            _lock_variant_items(variant.pk)
            if SupplierItem.objects.filter(supplier_id=supplier.pk, variant_id=variant.pk).exists():
                raise duplicate
            item = SupplierItem(supplier=supplier, variant=variant, **values)
            if item.preferred:
                _preferred_take(item)
            item.save()
    except IntegrityError:
        raise duplicate from None
    return item


def supplier_item_update(
    *,
    item: SupplierItem,
    supplier_sku=UNSET,
    unit_cost=UNSET,
    lead_time_days=UNSET,
    minimum_order_quantity=UNSET,
    preferred=UNSET,
) -> SupplierItem:
    """Change the fields given. Marking the item preferred unmarks the variant's other items."""
    cleaners = {
        "supplier_sku": lambda v: text_clean(v, field="supplier_sku", label="supplier SKU", max_length=64),
        "unit_cost": _clean_cost,
        "lead_time_days": _clean_lead_time,
        "minimum_order_quantity": _clean_moq,
        "preferred": _clean_preferred,
    }
    given = {"supplier_sku": supplier_sku, "unit_cost": unit_cost, "lead_time_days": lead_time_days,
             "minimum_order_quantity": minimum_order_quantity, "preferred": preferred}
    values = {field: cleaners[field](value) for field, value in given.items() if value is not UNSET}
    with transaction.atomic():
        _lock_variant_items(item.variant_id)
        item = SupplierItem.objects.select_related("supplier", "variant", "variant__product").filter(pk=item.pk).first()
        if item is None:
            raise NotFound("This supplier item no longer exists.")
        changed = [field for field, value in values.items() if getattr(item, field) != value]
        for field in changed:
            setattr(item, field, values[field])
        if values.get("preferred"):
            _preferred_take(item)
        if changed:
            item.save(update_fields=[*changed, "updated_at"])
    return item


def supplier_item_delete(*, item: SupplierItem) -> None:
    with transaction.atomic():
        _lock_variant_items(item.variant_id)
        SupplierItem.objects.filter(pk=item.pk).delete()

"""Products and their variants: create with a variant matrix, edit, archive, delete.

A product's variants are the combinations of its options (size S/M/L × colour Black/Blue);
`variant_matrix` proposes every combination and `sku_suggest` a SKU for each, which the
user may edit. SKUs are unique; an error about a row names the row.

A product or variant that anything refers to — stock levels, movements, reservations, order
or purchase lines, supplier items — is archived (active=False), never deleted: the ledger and
the order history keep pointing at it. Deleting is only for records nothing refers to.
"""
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import PROTECT
from django.db.models.deletion import ProtectedError
from django.db.models.functions import Upper

from core.audit import audit_changes, audit_record
from core.exceptions import Conflict, ValidationFailed
from core.validation import text_clean
from inventory.models import Category, Product, Variant
from inventory.services.images import CheckedImage, NewFiles, files_delete_on_commit, image_clear, image_store

UNSET = object()
MAX_TEXT = 5000
MAX_MONEY = Decimal("10000000000")  # 12 digits, 2 after the point
MAX_OPTIONS = 3
MAX_VALUES = 20
MAX_VARIANTS = 100
SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
PRODUCT_FIELDS = ["name", "description", "category", "price", "cost", "track_inventory", "active"]


# --- validation ----------------------------------------------------------------

def _clean_name(value) -> str:
    name = text_clean(value, field="name", label="name", max_length=200)
    if not name:
        raise ValidationFailed("Enter the product's name.", field="name")
    return name


def money_clean(value, *, field: str, label: str, optional: bool = False) -> Decimal | None:
    """An amount of at most two decimal places, from 0 up to 9,999,999,999.99."""
    if value is None or value == "":
        if optional:
            return None
        return Decimal("0.00")
    message = f"Enter the {label} as an amount such as 12.50."
    if isinstance(value, bool | float):
        raise ValidationFailed(message, field=field)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(message, field=field) from None
    if not amount.is_finite():
        raise ValidationFailed(message, field=field)
    if amount < 0:
        raise ValidationFailed(f"The {label} must be zero or more.", field=field)
    if amount >= MAX_MONEY:
        raise ValidationFailed(f"The {label} is too large.", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(f"The {label} has at most two decimal places.", field=field)
    return amount.quantize(Decimal("0.01"))


def _clean_bool(value, *, field: str, label: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed(f"{label} must be true or false.", field=field)
    return value


def _clean_category(value, *, current: Category | None = None) -> Category | None:
    if value is None:
        return None
    if not isinstance(value, Category) or value.pk is None:
        raise ValidationFailed("Choose a known category.", field="category")
    if not value.active and (current is None or current.pk != value.pk):
        raise Conflict(f"The category {value.path} is archived: choose another one.", field="category")
    return value


def sku_clean(value, *, label: str = "SKU", field: str = "sku") -> str:
    sku = text_clean(value, field=field, label=label, max_length=64)
    if not sku:
        raise ValidationFailed(f"Enter the {label}.", field=field)
    if not SKU_PATTERN.match(sku):
        raise ValidationFailed(
            f"The {label} {sku!r} may hold only letters, digits and . _ / - (no spaces), starting with a letter "
            f"or digit.", field=field)
    return sku


def attributes_clean(value, *, field: str = "attributes") -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed("The options must be a mapping of option name to value.", field=field)
    cleaned = {}
    for name, option_value in value.items():
        if not isinstance(name, str) or not isinstance(option_value, str):
            raise ValidationFailed("Option names and values must be text.", field=field)
        name, option_value = name.replace("\x00", "").strip(), option_value.replace("\x00", "").strip()
        if not name or not option_value or len(name) > 40 or len(option_value) > 60:
            raise ValidationFailed("Each option needs a name (at most 40 characters) and a value (at most 60).",
                                   field=field)
        cleaned[name] = option_value
    return cleaned


# --- the variant matrix -----------------------------------------------------------

def _sku_part(text: str, limit: int) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", text.upper()).strip("-")[:limit].strip("-")


def sku_suggest(*, product_name: str, values: list[str] | tuple[str, ...]) -> str:
    """The SKU the form proposes: the product name and the option values, upper case, joined
    by dashes ("Linen shirt", ["S", "Black"] → "LINEN-SHIRT-S-BLACK"), at most 64 characters."""
    parts = [_sku_part(product_name or "", 30) or "ITEM"]
    parts += [part for part in (_sku_part(value, 12) for value in values) if part]
    return "-".join(parts)[:64].strip("-")


def options_parse(options: list[tuple[str, str | list[str]]]) -> list[tuple[str, list[str]]]:
    """Option names with their values (a list, or text separated by commas), blanks dropped."""
    parsed, names = [], set()
    for index, (name, values) in enumerate(options, start=1):
        name = (name or "").replace("\x00", "").strip()
        if isinstance(values, str):
            values = values.split(",")
        values = [v.replace("\x00", "").strip() for v in values or [] if isinstance(v, str)]
        unique = list(dict.fromkeys(v for v in values if v))
        if not name and not unique:
            continue
        if not name:
            raise ValidationFailed(f"Option {index}: enter the option's name (e.g. size).", field="options")
        if not unique:
            raise ValidationFailed(f"Option {index} ({name}): enter its values, separated by commas.", field="options")
        if name.casefold() in names:
            raise ValidationFailed(f"Option {name!r} is given twice.", field="options")
        if len(name) > 40 or any(len(v) > 60 for v in unique):
            raise ValidationFailed(f"Option {name!r}: names take at most 40 characters, values 60.", field="options")
        if len(unique) > MAX_VALUES:
            raise ValidationFailed(f"Option {name!r} has more than {MAX_VALUES} values.", field="options")
        names.add(name.casefold())
        parsed.append((name, unique))
    if len(parsed) > MAX_OPTIONS:
        raise ValidationFailed(f"A product takes at most {MAX_OPTIONS} options.", field="options")
    return parsed


def variant_matrix(*, product_name: str, options: list[tuple[str, list[str]]]) -> list[dict]:
    """Every combination of the options' values, each `{attributes, sku}` with a suggested SKU.
    No options: one variant without attributes."""
    names = [name for name, _ in options]
    combos = list(itertools.product(*[values for _, values in options])) if options else [()]
    if len(combos) > MAX_VARIANTS:
        raise ValidationFailed(f"These options make {len(combos)} variants; at most {MAX_VARIANTS} are taken at once.",
                               field="options")
    return [{"attributes": dict(zip(names, combo, strict=True)),
             "sku": sku_suggest(product_name=product_name, values=list(combo))} for combo in combos]


# --- variants --------------------------------------------------------------------

@dataclass
class VariantSpec:
    """One variant to create: its SKU, options, barcode, optional own price and cost, image."""

    sku: str
    attributes: dict = field(default_factory=dict)
    barcode: str = ""
    price: Decimal | None = None
    cost: Decimal | None = None
    active: bool = True
    image: CheckedImage | None = None


def _row_label(row: int, attributes: dict) -> str:
    options = " / ".join(str(v) for v in attributes.values())
    return f"Row {row}" + (f" ({options})" if options else "")


class VariantRowError(ValidationFailed):
    """A variant row is wrong: `row` (from 1) says which, `field` which of its fields.
    `conflict`: the row is well formed but clashes with another row or an existing variant
    (a SKU or the options taken), which the API answers with 409."""

    def __init__(self, message: str, *, row: int, field: str, conflict: bool = False):
        super().__init__(message, field="variants", details={"row": row, "row_field": field})
        self.row = row
        self.row_field = field
        self.conflict = conflict


def _specs_clean(specs: list[VariantSpec], *, product: Product | None) -> list[VariantSpec]:
    if not specs:
        raise ValidationFailed("Add at least one variant.", field="variants")
    if len(specs) > MAX_VARIANTS:
        raise ValidationFailed(f"At most {MAX_VARIANTS} variants are taken at once.", field="variants")
    seen_skus: dict[str, int] = {}
    seen_combos: dict[tuple, int] = {}
    existing_combos = set()
    if product is not None:
        existing_combos = {tuple(sorted(v.attributes.items())) for v in product.variants.all()}
    cleaned = []
    for row, spec in enumerate(specs, start=1):
        label = _row_label(row, spec.attributes if isinstance(spec.attributes, dict) else {})
        try:
            attributes = attributes_clean(spec.attributes)
            sku = sku_clean(spec.sku)
            barcode = text_clean(spec.barcode, field="barcode", label="barcode", max_length=64)
            price = money_clean(spec.price, field="price", label="price", optional=True)
            cost = money_clean(spec.cost, field="cost", label="cost", optional=True)
            active = _clean_bool(spec.active, field="active", label="Active")
        except ValidationFailed as exc:
            raise VariantRowError(f"{label}: {exc.message}", row=row, field=exc.field or "sku") from None
        key = sku.casefold()
        if key in seen_skus:
            raise VariantRowError(f"{label}: SKU {sku} is also on row {seen_skus[key]}: each variant needs its own.",
                                  row=row, field="sku", conflict=True)
        seen_skus[key] = row
        combo = tuple(sorted(attributes.items()))
        if combo in seen_combos or combo in existing_combos:
            where = f"row {seen_combos[combo]}" if combo in seen_combos else "an existing variant"
            raise VariantRowError(f"{label}: the same options as {where}.", row=row, field="attributes", conflict=True)
        seen_combos[combo] = row
        cleaned.append(VariantSpec(sku=sku, attributes=attributes, barcode=barcode, price=price, cost=cost,
                                   active=active, image=spec.image))
    taken = {v.sku.casefold(): v for v in Variant.objects.select_related("product").annotate(sku_upper=Upper("sku"))
             .filter(sku_upper__in=[s.sku.upper() for s in cleaned])}
    for row, spec in enumerate(cleaned, start=1):
        other = taken.get(spec.sku.casefold())
        if other is not None:
            raise VariantRowError(
                f"{_row_label(row, spec.attributes)}: SKU {spec.sku} already belongs to {other.product.name} "
                f"({other.sku}): choose another.", row=row, field="sku", conflict=True)
    return cleaned


def _sku_taken_error(specs: list[VariantSpec], exc: IntegrityError) -> Exception:
    """An insert lost a race for a SKU: name the row whose SKU is now taken."""
    taken = set(Variant.objects.filter(sku__in=[s.sku for s in specs]).values_list("sku", flat=True))
    for row, spec in enumerate(specs, start=1):
        if spec.sku in taken:
            return VariantRowError(f"{_row_label(row, spec.attributes)}: SKU {spec.sku} was just taken by another "
                                   f"product: choose another.", row=row, field="sku", conflict=True)
    return Conflict("The variants could not be saved; try again.")


def _variants_insert(*, product: Product, specs: list[VariantSpec], new_files: NewFiles, user) -> list[Variant]:
    variants = []
    for spec in specs:
        variant = Variant(product=product, sku=spec.sku, attributes=spec.attributes, barcode=spec.barcode,
                          price=spec.price, cost=spec.cost, active=spec.active)
        if spec.image is not None:
            image_store(obj=variant, checked=spec.image, folder="variants", new_files=new_files)
        variant.save()
        audit_record(user=user, action="variant.create", obj=variant,
                     changes={k: [None, v] for k, v in _variant_state(variant).items() if v not in ("", None, {})})
        variants.append(variant)
    return variants


def _variant_state(variant: Variant) -> dict:
    return {"sku": variant.sku, "attributes": variant.attributes, "barcode": variant.barcode,
            "price": variant.price, "cost": variant.cost, "active": variant.active,
            "image": variant.image}


def _product_state(product: Product) -> dict:
    return {"name": product.name, "description": product.description,
            "category": product.category.path if product.category_id else None,
            "price": product.price, "cost": product.cost, "track_inventory": product.track_inventory,
            "active": product.active, "image": product.image}


# --- products --------------------------------------------------------------------

def product_create(
    *,
    name: str,
    description: str = "",
    category: Category | None = None,
    price=Decimal("0"),
    cost=Decimal("0"),
    track_inventory: bool = True,
    active: bool = True,
    variants: list[VariantSpec],
    image: CheckedImage | None = None,
    user=None,
) -> Product:
    """Create a product with its variants (at least one) in one transaction."""
    values = {
        "name": _clean_name(name),
        "description": text_clean(description, field="description", label="description", max_length=MAX_TEXT),
        "category": _clean_category(category),
        "price": money_clean(price, field="price", label="price"),
        "cost": money_clean(cost, field="cost", label="cost"),
        "track_inventory": _clean_bool(track_inventory, field="track_inventory", label="Track inventory"),
        "active": _clean_bool(active, field="active", label="Active"),
    }
    specs = _specs_clean(variants, product=None)
    try:
        with NewFiles() as new_files, transaction.atomic():
            product = Product(**values)
            if image is not None:
                image_store(obj=product, checked=image, folder="products", new_files=new_files)
            product.save()
            audit_record(user=user, action="product.create", obj=product,
                         changes={k: [None, v] for k, v in _product_state(product).items() if v not in ("", None)})
            _variants_insert(product=product, specs=specs, new_files=new_files, user=user)
    except IntegrityError as exc:
        raise _sku_taken_error(specs, exc) from None
    return product


def _lock_product(product: Product) -> Product:
    return Product.objects.select_for_update(of=("self",)).select_related("category").get(pk=product.pk)


def product_update(
    *,
    product: Product,
    name=UNSET,
    description=UNSET,
    category=UNSET,
    price=UNSET,
    cost=UNSET,
    track_inventory=UNSET,
    active=UNSET,
    image: CheckedImage | None = None,
    image_remove: bool = False,
    user=None,
) -> Product:
    """Change the fields given; a new image replaces the old one (`image_remove` drops it)."""
    current_category = product.category
    cleaners = {
        "name": _clean_name,
        "description": lambda v: text_clean(v, field="description", label="description", max_length=MAX_TEXT),
        "category": lambda v: _clean_category(v, current=current_category),
        "price": lambda v: money_clean(v, field="price", label="price"),
        "cost": lambda v: money_clean(v, field="cost", label="cost"),
        "track_inventory": lambda v: _clean_bool(v, field="track_inventory", label="Track inventory"),
        "active": lambda v: _clean_bool(v, field="active", label="Active"),
    }
    given = {"name": name, "description": description, "category": category, "price": price, "cost": cost,
             "track_inventory": track_inventory, "active": active}
    values = {f: cleaners[f](v) for f, v in given.items() if v is not UNSET}
    with NewFiles() as new_files, transaction.atomic():
        product = _lock_product(product)
        before = _product_state(product)
        for f, v in values.items():
            setattr(product, f, v)
        if image is not None:
            image_store(obj=product, checked=image, folder="products", new_files=new_files)
        elif image_remove:
            image_clear(obj=product)
        after = _product_state(product)
        changes = audit_changes(before=before, after=after)
        if changes:
            product.save()
            action = "product.update"
            if set(changes) == {"active"}:
                action = "product.restore" if product.active else "product.archive"
            audit_record(user=user, action=action, obj=product, changes=changes)
    return product


def product_archive(*, product: Product, user=None) -> Product:
    """Hide the product from new orders and lists of active products; its history stays."""
    return product_update(product=product, active=False, user=user)


def product_restore(*, product: Product, user=None) -> Product:
    return product_update(product=product, active=True, user=user)


def references_count(obj) -> dict[str, int]:
    """What refers to `obj` through a protecting foreign key, as `{"stock movements": 3}`.

    Read from the model's relations, so the apps above inventory (orders, purchasing,
    suppliers) are counted without being imported.
    """
    found = {}
    for relation in obj._meta.related_objects:
        if relation.on_delete is not PROTECT:
            continue
        model = relation.related_model
        count = model._base_manager.filter(**{relation.field.name: obj}).count()
        if count:
            label = str(model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural)
            found[label] = found.get(label, 0) + count
    return found


def _references_text(found: dict[str, int]) -> str:
    parts = [f"{count:,} {label}" for label, count in found.items()]
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def product_references(*, product: Product) -> dict[str, int]:
    """What refers to any of the product's variants (its variants themselves not counted)."""
    found: dict[str, int] = {}
    for variant in product.variants.all():
        for label, count in references_count(variant).items():
            found[label] = found.get(label, 0) + count
    return found


def product_delete(*, product: Product, user=None) -> None:
    """Delete a product and its variants, unless anything refers to a variant: then Conflict
    (archive it instead)."""
    try:
        with transaction.atomic():
            product = _lock_product(product)
            variants = list(Variant.objects.select_for_update(of=("self",)).filter(product=product).order_by("pk"))
            found = product_references(product=product)
            if found:
                raise Conflict(f"{product.name} has {_references_text(found)}, so it cannot be deleted: archive it "
                               f"instead.", details={"references": found})
            names = [product.image, product.thumbnail]
            for variant in variants:
                names += [variant.image, variant.thumbnail]
                audit_record(user=user, action="variant.delete", obj=variant, changes={"sku": [variant.sku, None]})
                variant.delete()
            audit_record(user=user, action="product.delete", obj=product, changes={"name": [product.name, None]})
            product.delete()
            files_delete_on_commit(*names)
    except (IntegrityError, ProtectedError):
        raise Conflict(f"{product.name} is in use, so it cannot be deleted: archive it instead.") from None


def product_delete_or_archive(*, product: Product, user=None) -> str:
    """Delete the product when nothing refers to it, else archive it. Returns "deleted" or "archived"."""
    try:
        product_delete(product=product, user=user)
    except Conflict:
        product_archive(product=product, user=user)
        return "archived"
    return "deleted"


# --- variants of an existing product -------------------------------------------------

def variants_add(*, product: Product, variants: list[VariantSpec], user=None) -> list[Variant]:
    """Add variants to a product (new option combinations)."""
    with transaction.atomic():
        product = _lock_product(product)
        specs = _specs_clean(variants, product=product)
        try:
            with NewFiles() as new_files, transaction.atomic():
                return _variants_insert(product=product, specs=specs, new_files=new_files, user=user)
        except IntegrityError as exc:
            raise _sku_taken_error(specs, exc) from None


def variant_update(
    *,
    variant: Variant,
    sku=UNSET,
    attributes=UNSET,
    barcode=UNSET,
    price=UNSET,
    cost=UNSET,
    active=UNSET,
    image: CheckedImage | None = None,
    image_remove: bool = False,
    user=None,
) -> Variant:
    """Change the fields given. A SKU stays unique; an archived variant (active=False) keeps its history."""
    cleaners = {
        "sku": sku_clean,
        "attributes": attributes_clean,
        "barcode": lambda v: text_clean(v, field="barcode", label="barcode", max_length=64),
        "price": lambda v: money_clean(v, field="price", label="price", optional=True),
        "cost": lambda v: money_clean(v, field="cost", label="cost", optional=True),
        "active": lambda v: _clean_bool(v, field="active", label="Active"),
    }
    given = {"sku": sku, "attributes": attributes, "barcode": barcode, "price": price, "cost": cost, "active": active}
    values = {f: cleaners[f](v) for f, v in given.items() if v is not UNSET}
    try:
        with NewFiles() as new_files, transaction.atomic():
            variant = Variant.objects.select_for_update(of=("self",)).select_related("product").get(pk=variant.pk)
            if "sku" in values and values["sku"] != variant.sku:
                other = Variant.objects.filter(sku__iexact=values["sku"]).exclude(pk=variant.pk) \
                    .select_related("product").first()
                if other is not None:
                    raise Conflict(f"SKU {values['sku']} already belongs to {other.product.name}: choose another.",
                                   field="sku")
            if "attributes" in values:
                combo = tuple(sorted(values["attributes"].items()))
                for sibling in variant.product.variants.exclude(pk=variant.pk):
                    if tuple(sorted(sibling.attributes.items())) == combo:
                        raise Conflict(f"{sibling.sku} already has these options.", field="attributes")
            before = _variant_state(variant)
            for f, v in values.items():
                setattr(variant, f, v)
            if image is not None:
                image_store(obj=variant, checked=image, folder="variants", new_files=new_files)
            elif image_remove:
                image_clear(obj=variant)
            after = _variant_state(variant)
            changes = audit_changes(before=before, after=after)
            if changes:
                variant.save()
                action = "variant.update"
                if set(changes) == {"active"}:
                    action = "variant.restore" if variant.active else "variant.archive"
                audit_record(user=user, action=action, obj=variant, changes=changes)
    except IntegrityError:
        raise Conflict(f"SKU {values.get('sku')} was just taken: choose another.", field="sku") from None
    return variant


def variant_archive(*, variant: Variant, user=None) -> Variant:
    return variant_update(variant=variant, active=False, user=user)


def variant_restore(*, variant: Variant, user=None) -> Variant:
    return variant_update(variant=variant, active=True, user=user)


def variant_delete(*, variant: Variant, user=None) -> None:
    """Delete a variant nothing refers to; else Conflict (archive it instead). A product keeps
    at least one variant."""
    try:
        with transaction.atomic():
            variant = Variant.objects.select_for_update(of=("self",)).select_related("product").get(pk=variant.pk)
            found = references_count(variant)
            if found:
                raise Conflict(f"{variant.sku} has {_references_text(found)}, so it cannot be deleted: archive it "
                               f"instead.", details={"references": found})
            if not variant.product.variants.exclude(pk=variant.pk).exists():
                raise Conflict(f"{variant.sku} is the only variant of {variant.product.name}: delete or archive "
                               f"the product instead.")
            audit_record(user=user, action="variant.delete", obj=variant, changes={"sku": [variant.sku, None]})
            files_delete_on_commit(variant.image, variant.thumbnail)
            variant.delete()
    except (IntegrityError, ProtectedError):
        raise Conflict(f"{variant.sku} is in use, so it cannot be deleted: archive it instead.") from None

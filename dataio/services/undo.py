"""Undo of the records an import created or changed, a model at a time and in batches.

The rules are those of `import_job_undo`: fields the import changed get their previous
values back unless they have changed since; records it created are deleted when they are
as the import left them and nothing refers to them. Everything is decided on whole sets
(the records loaded a batch at a time, restored with one set-based update, deleted with
one queryset delete per batch), so undoing a 100,000-row import is a few hundred
statements, not several per record.
"""
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.apps import apps
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.db.models.signals import post_delete, pre_delete

from dataio.importers.sql import json_value, rows_update
from dataio.models import ImportChange

BATCH = 2000

MODEL_LABELS = {
    "inventory.category": "Category",
    "inventory.product": "Product",
    "inventory.variant": "Variant",
    "suppliers.supplier": "Supplier",
    "suppliers.supplieritem": "Supplier item",
}
# What to fetch with each model so its records can be named in the "left alone" list.
_RELATED = {"suppliers.supplieritem": ["supplier", "variant"]}


def describe(label: str, obj) -> str:
    if label == "inventory.variant":
        return f"variant {obj.sku}"
    if label == "suppliers.supplieritem":
        return f"supplier item {obj.supplier.name} / {obj.variant.sku}"
    return f"{MODEL_LABELS.get(label, label).lower()} \"{obj}\""


def _current(obj, field: str):
    return json_value(getattr(obj, field))


def _restored(model: type[models.Model], field: str, value):
    if value is None:
        return None
    django_field = model._meta.get_field(field[:-3] if field.endswith("_id") else field)
    if django_field.get_internal_type() == "DecimalField":
        return Decimal(value)
    return value


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _objects(label: str, ids: list[int]) -> dict[int, models.Model]:
    model = apps.get_model(label)
    found = {}
    for chunk in _chunks(ids):
        for obj in model.objects.filter(pk__in=chunk).select_related(*_RELATED.get(label, [])):
            found[obj.pk] = obj
    return found


class _Notes:
    """The "left alone" lines, kept with the change they are about so they come out in
    the order of the changes (newest first), whatever order the work was done in."""

    def __init__(self):
        self.lines: list[tuple[int, str]] = []

    def add(self, change: ImportChange, text: str) -> None:
        self.lines.append((change.pk, f"Row {change.row}: {text}"))

    def sorted(self) -> list[str]:
        return [text for _pk, text in sorted(self.lines, key=lambda item: -item[0])]


def records_undo(*, changes: list[ImportChange]) -> tuple[int, list[str]]:
    """Undo the CREATE and UPDATE changes given (any order); returns (undone, left alone)."""
    notes = _Notes()
    undone = 0
    by_label: dict[str, list[ImportChange]] = defaultdict(list)
    for change in changes:
        if change.action in (ImportChange.Action.CREATE, ImportChange.Action.UPDATE):
            by_label[change.model].append(change)
    # The most recently written model first, as a record-by-record undo would meet them.
    labels = sorted(by_label, key=lambda label: -max(change.pk for change in by_label[label]))
    objects = {label: _objects(label, sorted({c.object_id for c in by_label[label]})) for label in labels}

    # Changed fields first, so a record created by the import is no longer named by one
    # the import changed when the time comes to delete it.
    for label in labels:
        model = apps.get_model(label)
        found = objects[label]
        groups: dict[tuple[str, ...], list[tuple]] = defaultdict(list)
        for change in by_label[label]:
            if change.action != ImportChange.Action.UPDATE:
                continue
            obj = found.get(change.object_id)
            if obj is None:
                notes.add(change, f"{MODEL_LABELS.get(label, label).lower()} {change.object_id} was deleted since "
                                  f"the import.")
                continue
            restored, kept = [], []
            for field, value in change.after.items():
                (restored if _current(obj, field) == value else kept).append(field)
            if restored:
                groups[tuple(restored)].append(
                    (obj.pk, *[_restored(model, field, change.before.get(field)) for field in restored]))
                undone += 1
            if kept:
                notes.add(change, f"{describe(label, obj)}: {', '.join(kept)} changed since the import; "
                                  f"left as {'it is' if len(kept) == 1 else 'they are'}.")
        for fields, rows in groups.items():
            names = [model._meta.get_field(f[:-3] if f.endswith("_id") else f).name for f in fields]
            rows_update(model, names, rows)

    for label in labels:
        model = apps.get_model(label)
        found = objects[label]
        candidates: list[tuple[ImportChange, models.Model]] = []
        for change in by_label[label]:
            if change.action != ImportChange.Action.CREATE:
                continue
            obj = found.get(change.object_id)
            if obj is None:
                notes.add(change, f"{MODEL_LABELS.get(label, label).lower()} {change.object_id} was deleted since "
                                  f"the import.")
                continue
            changed = [field for field, value in change.after.items() if _current(obj, field) != value]
            if changed:
                notes.add(change, f"{describe(label, obj)} was changed since the import ({', '.join(changed)}); "
                                  f"not deleted.")
                continue
            candidates.append((change, obj))
        if label == "suppliers.supplier" and candidates:
            with_items = set(apps.get_model("suppliers.SupplierItem").objects
                             .filter(supplier_id__in=[obj.pk for _c, obj in candidates])
                             .values_list("supplier_id", flat=True))
            for change, obj in candidates:
                if obj.pk in with_items:
                    notes.add(change, f"{describe(label, obj)} has supplier items now; not deleted.")
            candidates = [(change, obj) for change, obj in candidates if obj.pk not in with_items]
        deleted, in_use = _delete(model, [obj.pk for _c, obj in candidates])
        undone += len(deleted)
        for change, obj in candidates:
            if obj.pk in in_use:
                notes.add(change, f"{describe(label, obj)} is in use (stock, orders or other records refer to it); "
                                  f"not deleted.")
    return undone, notes.sorted()


def _delete(model: type[models.Model], ids: list[int]) -> tuple[set[int], set[int]]:
    """Delete what can be deleted of `ids`: (deleted, in use). A record another refers to
    through a protecting key is in use; records of the same batch that refer to each other
    (a category and its child) go in later rounds once the referring ones are gone."""
    deleted: set[int] = set()
    waiting = list(ids)
    while waiting:
        in_use: set[int] = set()
        for chunk in _chunks(waiting):
            gone, blocked = _delete_chunk(model, set(chunk))
            deleted |= gone
            in_use |= blocked
        if not in_use or len(in_use) == len(waiting):
            return deleted, in_use
        waiting = sorted(in_use)
    return deleted, set()


def _delete_chunk(model: type[models.Model], ids: set[int]) -> tuple[set[int], set[int]]:
    """One batch: which ids are referenced (one query per protecting relation), then the
    cascades and the rows themselves, one statement each."""
    if not _plain(model):
        return _delete_one_by_one(model, ids)
    blocked: set[int] = set()
    cascades = []
    for relation in model._meta.related_objects:
        on_delete = relation.on_delete
        if on_delete is models.DO_NOTHING:
            continue
        field = relation.field
        referring = relation.related_model._base_manager.filter(**{f"{field.name}__in": ids})
        if on_delete in (models.PROTECT, models.RESTRICT):
            blocked.update(referring.values_list(field.attname, flat=True).distinct())
        elif on_delete is models.CASCADE and _plain(relation.related_model) \
                and not relation.related_model._meta.related_objects:
            cascades.append(relation)
        else:
            return _delete_one_by_one(model, ids)
    deletable = ids - blocked
    if deletable:
        with transaction.atomic():
            for relation in cascades:
                related = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": deletable})
                related._raw_delete(related.db)
            rows = model._base_manager.filter(pk__in=deletable)
            rows._raw_delete(rows.db)
    return deletable, blocked & ids


def _plain(model: type[models.Model]) -> bool:
    """Whether rows of `model` can go by a plain DELETE: nothing listens for their deletion,
    no many-to-many rows or generic relations hang off them, nothing points at them."""
    meta = model._meta
    if pre_delete.has_listeners(model) or post_delete.has_listeners(model):
        return False
    if meta.many_to_many or meta.private_fields:
        return False
    return True


def _delete_one_by_one(model: type[models.Model], ids: set[int]) -> tuple[set[int], set[int]]:
    """Django's own delete, a record at a time: for models the fast path does not cover."""
    deleted, in_use = set(), set()
    for pk in sorted(ids):
        try:
            with transaction.atomic():
                model.objects.filter(pk=pk).delete()
        except (ProtectedError, RestrictedError):
            in_use.add(pk)
        else:
            deleted.add(pk)
    return deleted, in_use

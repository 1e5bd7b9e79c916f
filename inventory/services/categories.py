"""Categories: a tree of names. Create, rename, move under another parent (never under
itself or one of its own subcategories), archive and restore, delete when empty.

Names are unique among siblings whatever their case. An archived category keeps its
products and is no longer offered for new ones; a category with active subcategories is
archived only after them.
"""
from django.db import IntegrityError, connection, transaction

from core.audit import audit_changes, audit_record
from core.exceptions import Conflict, ValidationFailed
from inventory.models import Category

UNSET = object()
MAX_DEPTH = 6
TREE_LOCK_KEY = 0x5C47_7EE0  # pg_advisory_xact_lock key of the category tree


def _clean_name(value) -> str:
    if not isinstance(value, str):
        raise ValidationFailed("The name must be text.", field="name")
    name = value.replace("\x00", "").strip()
    if not name:
        raise ValidationFailed("Enter the category's name.", field="name")
    if len(name) > 120:
        raise ValidationFailed("The name must be at most 120 characters.", field="name")
    if "/" in name:
        raise ValidationFailed("The name may not hold a slash (/): it separates a category from its parent.",
                               field="name")
    return name


def _ancestors(category: Category | None) -> list[int]:
    ids, node, seen = [], category, set()
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        ids.append(node.pk)
        node = node.parent
    return ids


def _clean_parent(parent, *, category: Category | None = None) -> Category | None:
    if parent is None:
        return None
    if not isinstance(parent, Category) or parent.pk is None:
        raise ValidationFailed("Choose a known parent category.", field="parent")
    parent = Category.objects.select_related("parent").get(pk=parent.pk)
    chain = _ancestors(parent)
    if category is not None and category.pk in chain:
        if parent.pk == category.pk:
            raise Conflict(f"{category.name} cannot be its own parent.", field="parent")
        raise Conflict(f"{parent.path} is inside {category.name}: a category cannot move under one of its "
                               f"own subcategories.", field="parent")
    if not parent.active and (category is None or category.parent_id != parent.pk):
        raise Conflict(f"{parent.path} is archived: choose another parent.", field="parent")
    if len(chain) >= MAX_DEPTH:
        raise Conflict(f"Categories nest at most {MAX_DEPTH} levels deep.", field="parent")
    return parent


def _check_name_free(name: str, parent: Category | None, *, exclude_pk: int | None = None) -> None:
    siblings = Category.objects.filter(parent=parent, name__iexact=name)
    if exclude_pk is not None:
        siblings = siblings.exclude(pk=exclude_pk)
    other = siblings.first()
    if other is not None:
        where = f"in {parent.path}" if parent else "at the top level"
        raise Conflict(f"A category named {other.name!r} already exists {where}: choose another name.", field="name")


def _tree_lock() -> None:
    """Writers of the tree queue here (moves must see each other to refuse cycles)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_KEY])


def category_create(*, name: str, parent: Category | None = None, user=None) -> Category:
    name = _clean_name(name)
    parent = _clean_parent(parent)
    try:
        with transaction.atomic():
            _tree_lock()
            _check_name_free(name, parent)
            category = Category.objects.create(name=name, parent=parent)
            audit_record(user=user, action="category.create", obj=category,
                         changes={"name": [None, name], "parent": [None, parent.path if parent else None]})
    except IntegrityError:
        raise Conflict(f"A category named {name!r} already exists there: choose another name.", field="name") from None
    return category


def category_update(*, category: Category, name=UNSET, parent=UNSET, user=None) -> Category:
    """Rename and/or move a category."""
    values = {}
    if name is not UNSET:
        values["name"] = _clean_name(name)
    try:
        with transaction.atomic():
            _tree_lock()
            category = Category.objects.select_related("parent").get(pk=category.pk)
            if parent is not UNSET:
                values["parent"] = _clean_parent(parent, category=category)
            new_name = values.get("name", category.name)
            new_parent = values.get("parent", category.parent)
            if new_name != category.name or (new_parent.pk if new_parent else None) != category.parent_id:
                _check_name_free(new_name, new_parent, exclude_pk=category.pk)
            before = {"name": category.name, "parent": category.parent.path if category.parent else None}
            category.name, category.parent = new_name, new_parent
            after = {"name": category.name, "parent": category.parent.path if category.parent else None}
            changes = audit_changes(before=before, after=after)
            if changes:
                category.save()
                action = "category.move" if "parent" in changes else "category.rename"
                audit_record(user=user, action=action, obj=category, changes=changes)
    except IntegrityError:
        raise Conflict(f"A category named {values.get('name')!r} already exists there: choose another name.",
                       field="name") from None
    return category


def category_archive(*, category: Category, user=None) -> Category:
    with transaction.atomic():
        _tree_lock()
        category = Category.objects.select_related("parent").get(pk=category.pk)
        active_children = list(category.children.filter(active=True).order_by("name").values_list("name", flat=True))
        if active_children:
            raise Conflict(f"{category.path} has active subcategories ({', '.join(active_children)}): archive them "
                           f"first.", details={"subcategories": active_children})
        if category.active:
            category.active = False
            category.save(update_fields=["active", "updated_at"])
            audit_record(user=user, action="category.archive", obj=category, changes={"active": [True, False]})
    return category


def category_restore(*, category: Category, user=None) -> Category:
    with transaction.atomic():
        _tree_lock()
        category = Category.objects.select_related("parent").get(pk=category.pk)
        if category.parent is not None and not category.parent.active:
            raise Conflict(f"{category.parent.path} is archived: restore it first.")
        if not category.active:
            category.active = True
            category.save(update_fields=["active", "updated_at"])
            audit_record(user=user, action="category.restore", obj=category, changes={"active": [False, True]})
    return category


def category_delete(*, category: Category, user=None) -> None:
    """Delete a category with no products and no subcategories; else Conflict (archive it)."""
    with transaction.atomic():
        _tree_lock()
        category = Category.objects.select_related("parent").get(pk=category.pk)
        products, children = category.products.count(), category.children.count()
        if products or children:
            parts = []
            if products:
                parts.append(f"{products} product{'s' if products != 1 else ''}")
            if children:
                parts.append(f"{children} subcategor{'ies' if children != 1 else 'y'}")
            raise Conflict(f"{category.path} has {' and '.join(parts)}, so it cannot be deleted: archive it instead.",
                           details={"products": products, "subcategories": children})
        audit_record(user=user, action="category.delete", obj=category, changes={"name": [category.path, None]})
        category.delete()

import pytest

from core.exceptions import Conflict, ValidationFailed
from core.models import AuditEntry
from inventory.models import Category, Location
from inventory.selectors_catalogue import category_tree
from inventory.services.categories import (
    category_archive,
    category_create,
    category_delete,
    category_restore,
    category_update,
)
from inventory.services.locations import (
    location_activate,
    location_create,
    location_deactivate,
    location_default_set,
    location_update,
)
from tests import factories

pytestmark = pytest.mark.django_db


# --- categories -------------------------------------------------------------------

def test_category_create_and_tree_by_name_with_counts(admin_user):
    clothing = category_create(name="Clothing", user=admin_user)
    shirts = category_create(name="shirts", parent=clothing)
    coats = category_create(name="Coats", parent=clothing)
    category_create(name="Accessories")
    factories.ProductFactory(category=shirts)
    factories.ProductFactory(category=shirts)
    factories.ProductFactory(category=clothing)
    nodes = category_tree()
    assert [(n.category.name, n.depth, n.product_count, n.total_count) for n in nodes] == [
        ("Accessories", 0, 0, 0), ("Clothing", 0, 1, 3), ("Coats", 1, 0, 0), ("shirts", 1, 2, 2)]
    assert coats.path == "Clothing / Coats"
    assert AuditEntry.objects.filter(action="category.create").count() == 4


def test_category_names_are_unique_among_siblings_whatever_the_case():
    clothing = category_create(name="Clothing")
    category_create(name="Shirts", parent=clothing)
    with pytest.raises(Conflict, match="already exists in Clothing") as caught:
        category_create(name="SHIRTS", parent=clothing)
    assert caught.value.field == "name"
    category_create(name="Shirts")  # another parent: fine
    with pytest.raises(ValidationFailed, match="slash"):
        category_create(name="a/b")


def test_category_move_refuses_cycles():
    top = category_create(name="Top")
    middle = category_create(name="Middle", parent=top)
    bottom = category_create(name="Bottom", parent=middle)
    with pytest.raises(Conflict, match="own parent"):
        category_update(category=top, parent=top)
    with pytest.raises(Conflict, match="inside Top: a category cannot move under one of its own"):
        category_update(category=top, parent=bottom)
    top.refresh_from_db()
    assert top.parent is None
    category_update(category=bottom, parent=None, name="Bottom line")
    bottom.refresh_from_db()
    assert (bottom.parent, bottom.name) == (None, "Bottom line")
    assert AuditEntry.objects.filter(action="category.move").count() == 1


def test_category_archive_after_children_and_restore():
    top = category_create(name="Top")
    child = category_create(name="Child", parent=top)
    with pytest.raises(Conflict, match="active subcategories \\(Child\\)"):
        category_archive(category=top)
    category_archive(category=child)
    category_archive(category=top)
    assert not Category.objects.filter(active=True).exists()
    with pytest.raises(Conflict, match="restore it first"):
        category_restore(category=child)
    category_restore(category=top)
    category_restore(category=child)
    assert Category.objects.filter(active=True).count() == 2


def test_category_delete_only_when_empty():
    top = category_create(name="Top")
    child = category_create(name="Child", parent=top)
    factories.ProductFactory(category=child)
    with pytest.raises(Conflict, match="1 subcategory"):
        category_delete(category=top)
    with pytest.raises(Conflict, match="1 product"):
        category_delete(category=child)
    empty = category_create(name="Empty")
    category_delete(category=empty)
    assert not Category.objects.filter(pk=empty.pk).exists()


# --- locations --------------------------------------------------------------------

def test_location_create_first_is_default_and_exactly_one_default():
    main = location_create(code="Main ", name="Main warehouse", address="1 Dock Road")
    assert (main.code, main.is_default, main.address) == ("main", True, "1 Dock Road")
    shop = location_create(code="shop", name="Shop", is_default=True)
    assert list(Location.objects.filter(is_default=True)) == [shop]
    location_default_set(location=main)
    assert list(Location.objects.filter(is_default=True).values_list("code", flat=True)) == ["main"]
    assert AuditEntry.objects.filter(action="location.default").count() == 1


def test_location_code_rules():
    location_create(code="main", name="Main")
    with pytest.raises(Conflict, match="code 'main' already exists"):
        location_create(code="MAIN", name="Again")
    with pytest.raises(ValidationFailed, match="only lower-case letters"):
        location_create(code="two words", name="X")
    with pytest.raises(ValidationFailed, match="Enter the name"):
        location_create(code="x", name=" ")


def test_location_update_changes_fields():
    location = location_create(code="main", name="Main")
    location_update(location=location, name="Main warehouse", address="Road 2", code="wh-1")
    location.refresh_from_db()
    assert (location.code, location.name, location.address) == ("wh-1", "Main warehouse", "Road 2")


def test_location_deactivate_refuses_default_and_stock(stocked, other_location, default_location):
    with pytest.raises(Conflict, match="default location"):
        location_deactivate(location=default_location)
    stocked(4, location=other_location)
    with pytest.raises(Conflict, match="still holds 4 units"):
        location_deactivate(location=other_location)
    empty = factories.LocationFactory(code="empty")
    location_deactivate(location=empty)
    empty.refresh_from_db()
    assert empty.active is False
    with pytest.raises(Conflict, match="inactive"):
        location_default_set(location=empty)
    location_activate(location=empty)
    empty.refresh_from_db()
    assert empty.active is True

import pytest

from inventory.models import Category, Location
from tests import factories

pytestmark = pytest.mark.django_db


def test_category_page_shows_the_tree_with_counts(staff_client):
    top = factories.CategoryFactory(name="Clothing")
    shirts = factories.CategoryFactory(name="Shirts", parent=top)
    factories.ProductFactory(category=shirts)
    response = staff_client.get("/categories/")
    content = response.content.decode()
    assert response.status_code == 200
    assert content.index("Clothing") < content.index("Shirts")
    assert "Add category" not in content and "Rename or move" not in content  # Staff: read only
    assert staff_client.post("/categories/new/", {"name": "X"}).status_code == 403


def test_category_create_rename_move_archive(manager_client):
    response = manager_client.post("/categories/new/", {"name": "Clothing", "parent": ""})
    assert response.status_code == 302
    clothing = Category.objects.get(name="Clothing")
    manager_client.post("/categories/new/", {"name": "Shirts", "parent": str(clothing.pk)})
    shirts = Category.objects.get(name="Shirts")
    assert shirts.parent == clothing
    # A category cannot move under its own subcategory: not even offered, and refused if posted.
    page = manager_client.get(f"/categories/{clothing.pk}/edit/")
    assert f'value="{shirts.pk}"' not in page.content.decode()
    response = manager_client.post(f"/categories/{clothing.pk}/edit/", {"name": "Clothing", "parent": str(shirts.pk)})
    assert response.status_code == 400
    response = manager_client.post(f"/categories/{shirts.pk}/edit/", {"name": "Tops", "parent": ""})
    assert response.status_code == 302
    shirts.refresh_from_db()
    assert (shirts.name, shirts.parent) == ("Tops", None)
    manager_client.post(f"/categories/{shirts.pk}/archive/")
    shirts.refresh_from_db()
    assert shirts.active is False


def test_category_create_refuses_a_taken_name(manager_client):
    factories.CategoryFactory(name="Clothing")
    response = manager_client.post("/categories/new/", {"name": "clothing", "parent": ""})
    assert response.status_code == 400
    assert "already exists at the top level" in response.content.decode()


def test_category_delete_refused_with_products(manager_client):
    category = factories.ProductFactory().category
    response = manager_client.post(f"/categories/{category.pk}/delete/", follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert Category.objects.filter(pk=category.pk).exists()


def test_location_pages(staff_client, default_location):
    response = staff_client.get("/locations/")
    assert response.status_code == 200 and "Default" in response.content.decode()
    assert staff_client.get("/locations/new/").status_code == 403


def test_location_create_edit_default_deactivate(manager_client, default_location):
    response = manager_client.post("/locations/new/", {"code": "shop", "name": "Shop", "address": "High St 1"})
    assert response.status_code == 302
    shop = Location.objects.get(code="shop")
    assert shop.address == "High St 1" and not shop.is_default
    manager_client.post(f"/locations/{shop.pk}/edit/", {"code": "shop-1", "name": "Shop one", "address": ""})
    shop.refresh_from_db()
    assert (shop.code, shop.name) == ("shop-1", "Shop one")
    manager_client.post(f"/locations/{shop.pk}/default/")
    assert list(Location.objects.filter(is_default=True)) == [shop]
    response = manager_client.post(f"/locations/{shop.pk}/deactivate/", follow=True)
    assert "default location" in response.content.decode()
    manager_client.post(f"/locations/{default_location.pk}/deactivate/")
    default_location.refresh_from_db()
    assert default_location.active is False


def test_location_create_refuses_a_taken_code(manager_client, default_location):
    response = manager_client.post("/locations/new/", {"code": "main", "name": "Again"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()

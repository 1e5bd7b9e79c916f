from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from inventory.models import Category, Location, Product, Variant
from tests import factories

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def manager_api(manager_user):
    return _client(manager_user)


@pytest.fixture
def staff_api(staff_user):
    return _client(staff_user)


BODY = {"name": "Linen shirt", "price": "25.00", "cost": "9.00",
        "variants": [{"sku": "LS-S", "options": [{"name": "size", "value": "S"}], "barcode": "111"},
                     {"sku": "LS-M", "options": [{"name": "size", "value": "M"}], "price": "27.00"}]}


def test_product_create_and_detail_with_variants(manager_api):
    response = manager_api.post("/api/v1/products/", BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Linen shirt" and body["price"] == "25.00"
    assert [(v["sku"], v["effective_price"]) for v in body["variants"]] == [("LS-S", "25.00"), ("LS-M", "27.00")]
    detail = manager_api.get(f"/api/v1/products/{body['id']}/").json()
    assert detail["variants"][0]["attributes"] == {"size": "S"}


def test_product_create_names_the_row_of_a_taken_sku(manager_api):
    factories.VariantFactory(sku="LS-M")
    response = manager_api.post("/api/v1/products/", BODY, format="json")
    assert response.status_code == 409
    assert response.json()["row"] == 2 and "Row 2 (M): SKU LS-M already belongs" in response.json()["variants"][0]
    assert not Product.objects.filter(name="Linen shirt").exists()


@pytest.mark.parametrize("body, field", [
    ({**BODY, "variants": []}, "variants"),
    ({**BODY, "price": 25}, "price"),
    ({**BODY, "name": ""}, "name"),
    ({**BODY, "variants": [{"sku": "has space"}]}, "variants"),
])
def test_product_create_refuses_bad_input_naming_the_field(manager_api, body, field):
    response = manager_api.post("/api/v1/products/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Product.objects.exists()


def test_product_create_with_a_duplicate_sku_in_the_body_is_a_conflict(manager_api):
    body = {**BODY, "variants": [{"sku": "X-1"}, {"sku": "X-1", "options": [{"name": "size", "value": "M"}]}]}
    response = manager_api.post("/api/v1/products/", body, format="json")
    assert response.status_code == 409 and response.json()["row"] == 2
    assert not Product.objects.exists()


def test_product_create_refuses_an_option_given_twice(manager_api):
    body = {**BODY, "variants": [{"sku": "X-1", "options": [{"name": "size", "value": "M"},
                                                            {"name": "Size", "value": "L"}]}]}
    response = manager_api.post("/api/v1/products/", body, format="json")
    assert response.status_code == 409 and "given twice" in response.json()["detail"]


def test_product_create_unknown_category_is_404(manager_api):
    response = manager_api.post("/api/v1/products/", {**BODY, "category": 999999}, format="json")
    assert response.status_code == 404 and "category" in response.json()


def test_staff_sees_products_without_prices_and_cannot_write(staff_api):
    factories.VariantFactory(sku="X-1", product__name="Hat", price=Decimal("3.00"))
    response = staff_api.get("/api/v1/products/")
    assert response.status_code == 200
    product = response.json()["results"][0]
    assert "price" not in product and "cost" not in product
    assert "price" not in product["variants"][0] and "effective_cost" not in product["variants"][0]
    assert staff_api.post("/api/v1/products/", BODY, format="json").status_code == 403
    assert staff_api.patch(f"/api/v1/products/{product['id']}/", {"name": "x"}, format="json").status_code == 403
    assert staff_api.get("/api/v1/products/", {"sort": "price"}).status_code == 403


def test_product_list_search_filter_and_pagination(manager_api):
    shirts = factories.CategoryFactory(name="Shirts")
    for i in range(3):
        factories.VariantFactory(sku=f"SH-{i}", product__name=f"Shirt {i}", product__category=shirts)
    factories.VariantFactory(sku="HAT-1", product__name="Hat", product__active=False)
    body = manager_api.get("/api/v1/products/", {"q": "hat-1"}).json()
    assert [p["name"] for p in body["results"]] == ["Hat"]
    body = manager_api.get("/api/v1/products/", {"category": shirts.pk, "page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    body = manager_api.get("/api/v1/products/", {"active": "false"}).json()
    assert [p["name"] for p in body["results"]] == ["Hat"]
    assert manager_api.get("/api/v1/products/", {"page_size": 0}).status_code == 400


def test_product_patch_and_archive(manager_api):
    product = factories.VariantFactory().product
    response = manager_api.patch(f"/api/v1/products/{product.pk}/", {"name": "New", "price": "1.50"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "New"
    response = manager_api.post(f"/api/v1/products/{product.pk}/archive/")
    assert response.status_code == 200 and response.json()["active"] is False


def test_product_delete_deletes_unused_and_archives_used(manager_api, stocked):
    unused = factories.VariantFactory().product
    assert manager_api.delete(f"/api/v1/products/{unused.pk}/").status_code == 204
    assert not Product.objects.filter(pk=unused.pk).exists()
    used = stocked(3).variant.product
    response = manager_api.delete(f"/api/v1/products/{used.pk}/")
    assert response.status_code == 200 and response.json()["active"] is False
    assert Product.objects.filter(pk=used.pk, active=False).exists()


def test_variants_add_patch_and_delete(manager_api, stocked):
    level = stocked(1)
    product = level.variant.product
    response = manager_api.post(f"/api/v1/products/{product.pk}/variants/",
                                {"variants": [{"sku": "NEW-1", "options": [{"name": "size", "value": "XXL"}]}]},
                                format="json")
    assert response.status_code == 201 and "NEW-1" in [v["sku"] for v in response.json()["variants"]]
    new = Variant.objects.get(sku="NEW-1")
    response = manager_api.patch(f"/api/v1/products/{product.pk}/variants/{new.pk}/", {"barcode": "42"}, format="json")
    assert response.status_code == 200 and response.json()["barcode"] == "42"
    assert manager_api.delete(f"/api/v1/products/{product.pk}/variants/{new.pk}/").status_code == 204
    response = manager_api.delete(f"/api/v1/products/{product.pk}/variants/{level.variant.pk}/")
    assert response.status_code == 200 and response.json()["active"] is False


def test_categories_api(manager_api, staff_api):
    response = manager_api.post("/api/v1/categories/", {"name": "Clothing"}, format="json")
    assert response.status_code == 201
    top = response.json()
    child = manager_api.post("/api/v1/categories/", {"name": "Shirts", "parent": top["id"]}, format="json").json()
    assert child["path"] == "Clothing / Shirts" and child["depth"] == 1
    response = manager_api.patch(f"/api/v1/categories/{top['id']}/", {"parent": child["id"]}, format="json")
    assert response.status_code == 409 and "parent" in response.json()
    response = manager_api.patch(f"/api/v1/categories/{top['id']}/", {"active": False}, format="json")
    assert response.status_code == 409
    body = staff_api.get("/api/v1/categories/").json()
    assert [c["name"] for c in body["results"]] == ["Clothing", "Shirts"]
    assert staff_api.post("/api/v1/categories/", {"name": "X"}, format="json").status_code == 403
    assert manager_api.delete(f"/api/v1/categories/{child['id']}/").status_code == 204
    assert not Category.objects.filter(pk=child["id"]).exists()


def test_locations_api(manager_api, staff_api, default_location):
    response = manager_api.post("/api/v1/locations/", {"code": "shop", "name": "Shop", "address": "High St"},
                                format="json")
    assert response.status_code == 201 and response.json()["is_default"] is False
    shop = response.json()
    response = manager_api.patch(f"/api/v1/locations/{shop['id']}/", {"is_default": True}, format="json")
    assert response.status_code == 200 and response.json()["is_default"] is True
    assert list(Location.objects.filter(is_default=True).values_list("code", flat=True)) == ["shop"]
    response = manager_api.patch(f"/api/v1/locations/{shop['id']}/", {"active": False}, format="json")
    assert response.status_code == 409
    response = manager_api.post("/api/v1/locations/", {"code": "shop", "name": "Again"}, format="json")
    assert response.status_code == 409 and "code" in response.json()
    body = staff_api.get("/api/v1/locations/").json()
    assert [loc["code"] for loc in body["results"]] == ["shop", "main"]
    assert staff_api.patch(f"/api/v1/locations/{shop['id']}/", {"name": "x"}, format="json").status_code == 403

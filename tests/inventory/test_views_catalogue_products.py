import json
from decimal import Decimal

import pytest

from inventory.models import Product, Variant
from tests import factories
from tests.inventory.catalogue_helpers import png_bytes, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _matrix_post(**extra):
    data = {"name": "Linen shirt", "description": "", "category": "", "price": "25.00", "cost": "9.00",
            "track_inventory": "on", "active": "on",
            "opt-name_1": "Size", "opt-values_1": "S, M, L", "opt-name_2": "Colour", "opt-values_2": "Black, Blue",
            "opt-name_3": "", "opt-values_3": "",
            "variants-TOTAL_FORMS": "0", "variants-INITIAL_FORMS": "0"}
    data.update(extra)
    return data


def _rows(response) -> list[dict]:
    formset = response.context["formset"]
    return [dict(form.initial) for form in formset.forms]


def test_product_list_page_and_fragment_search(staff_client):
    factories.VariantFactory(sku="LIN-S", product__name="Linen shirt", product__price=Decimal("25.00"))
    factories.VariantFactory(product__name="Wool hat")
    response = staff_client.get("/products/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Linen shirt" in content and "Wool hat" in content
    assert "25.00" not in content  # Staff: no prices
    response = staff_client.get("/products/", {"q": "lin-s"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert response.status_code == 200 and "<html" not in content
    assert "Linen shirt" in content and "Wool hat" not in content


def test_product_list_filters_sorts_and_pages(manager_client):
    shirts = factories.CategoryFactory(name="Shirts")
    for i in range(30):
        factories.VariantFactory(product__name=f"Shirt {i:02d}", product__category=shirts,
                                 product__price=Decimal(i), product__active=i % 2 == 0)
    response = manager_client.get("/products/", {"category": shirts.pk, "active": "true", "sort": "-price",
                                                 "page_size": "50"})
    products = list(response.context["page_obj"])
    assert len(products) == 15 and products[0].name == "Shirt 28"
    assert "28.00" in response.content.decode()  # Managers see prices
    response = manager_client.get("/products/", {"page_size": "25"})
    assert len(response.context["page_obj"]) == 25
    response = manager_client.get("/products/", {"page_size": "7", "sort": "bogus", "category": "x"})
    assert response.status_code == 200 and len(response.context["page_obj"]) == 25


def test_product_create_page_generates_the_matrix(manager_client):
    response = manager_client.post("/products/new/", _matrix_post(generate="1"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    rows = _rows(response)
    assert len(rows) == 6
    assert rows[0]["sku"] == "LINEN-SHIRT-S-BLACK" and json.loads(rows[0]["attributes"]) == {"Size": "S", "Colour": "Black"}
    assert 'id="variant-matrix"' in response.content.decode() and "<html" not in response.content.decode()
    assert not Product.objects.exists()


def test_regenerating_keeps_edited_skus_and_follows_the_name(manager_client):
    first = _rows(manager_client.post("/products/new/", _matrix_post(generate="1")))
    data = _matrix_post(generate="1", name="Oxford shirt", **{"variants-TOTAL_FORMS": str(len(first)),
                                                                "variants-INITIAL_FORMS": str(len(first))})
    for i, row in enumerate(first):
        data.update({f"variants-{i}-attributes": row["attributes"], f"variants-{i}-sku_suggested": row["sku"],
                     f"variants-{i}-sku": row["sku"], f"variants-{i}-include": "on"})
    data["variants-0-sku"] = "MY-OWN-SKU"
    rows = _rows(manager_client.post("/products/new/", data))
    assert rows[0]["sku"] == "MY-OWN-SKU"
    assert rows[1]["sku"] == "OXFORD-SHIRT-S-BLUE"


def _create_data(rows, **extra):
    data = _matrix_post(**{"variants-TOTAL_FORMS": str(len(rows)), "variants-INITIAL_FORMS": str(len(rows))})
    for i, row in enumerate(rows):
        data.update({f"variants-{i}-attributes": row["attributes"], f"variants-{i}-sku_suggested": row["sku"],
                     f"variants-{i}-sku": row["sku"], f"variants-{i}-barcode": "", f"variants-{i}-price": "",
                     f"variants-{i}-include": "on"})
    data.update(extra)
    return data


def test_product_create_saves_product_and_variant_matrix_with_images(manager_client, media):
    rows = _rows(manager_client.post("/products/new/", _matrix_post(generate="1")))
    data = _create_data(rows, **{"variants-5-include": "", "variants-1-price": "27.50"})
    data["image"] = png_upload("product.png", width=300, height=200)
    data["variants-0-image"] = png_upload("small.png")
    response = manager_client.post("/products/new/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    product = Product.objects.get(name="Linen shirt")
    assert product.variants.count() == 5
    assert product.image and product.thumbnail
    assert product.variants.get(sku="LINEN-SHIRT-S-BLACK").thumbnail
    assert product.variants.get(sku="LINEN-SHIRT-S-BLUE").price == Decimal("27.50")
    page = manager_client.get(response["Location"]).content.decode()
    assert "LINEN-SHIRT-L-BLACK" in page and "created with 5 variants" in page
    # The thumbnail is served to signed-in users.
    thumb = manager_client.get(product.thumbnail_url)
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"


def test_product_create_names_the_row_of_a_taken_sku(manager_client):
    factories.VariantFactory(sku="LINEN-SHIRT-M-BLUE", product__name="Another shirt")
    rows = _rows(manager_client.post("/products/new/", _matrix_post(generate="1")))
    response = manager_client.post("/products/new/", _create_data(rows))
    assert response.status_code == 400
    content = response.content.decode()
    assert "Row 4 (M / Blue): SKU LINEN-SHIRT-M-BLUE already belongs to Another shirt" in content
    assert not Product.objects.filter(name="Linen shirt").exists()


def test_product_create_refuses_a_bad_image_on_its_row(manager_client, settings):
    settings.IMAGE_MAX_PIXELS = 100
    rows = _rows(manager_client.post("/products/new/", _matrix_post(generate="1")))
    data = _create_data(rows)
    data["variants-2-image"] = png_upload("big.png", width=50, height=50)
    response = manager_client.post("/products/new/", data)
    assert response.status_code == 400
    assert "too many pixels (50 × 50)" in response.content.decode()
    assert not Product.objects.exists()


def test_product_create_refuses_a_file_that_is_not_an_image(manager_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = _matrix_post(**{"opt-name_1": "", "opt-values_1": "", "opt-name_2": "", "opt-values_2": ""})
    data["image"] = SimpleUploadedFile("evil.png", b"<script>", content_type="image/png")
    response = manager_client.post("/products/new/", data)
    assert response.status_code == 400
    assert "not an image we can read" in response.content.decode()
    assert not Product.objects.exists()


def test_product_create_without_options_makes_one_variant(manager_client):
    data = _matrix_post(**{"opt-name_1": "", "opt-values_1": "", "opt-name_2": "", "opt-values_2": "", "name": "Mug"})
    response = manager_client.post("/products/new/", data)
    assert response.status_code == 302
    assert list(Variant.objects.values_list("sku", flat=True)) == ["MUG"]


def test_staff_cannot_create_or_edit_products(staff_client):
    variant = factories.VariantFactory()
    assert staff_client.get("/products/new/").status_code == 403
    assert staff_client.post("/products/new/", _matrix_post()).status_code == 403
    assert staff_client.get(f"/products/{variant.product_id}/edit/").status_code == 403
    assert staff_client.post(f"/products/{variant.product_id}/archive/").status_code == 403
    page = staff_client.get(f"/products/{variant.product_id}/")
    assert page.status_code == 200 and "19.99" not in page.content.decode()


def test_product_edit_changes_fields_and_image(manager_client):
    product = factories.VariantFactory().product
    data = {"name": "Renamed", "description": "New text", "category": "", "price": "30.00", "cost": "10.00",
            "active": "on", "image": png_upload()}
    response = manager_client.post(f"/products/{product.pk}/edit/", data)
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.price, product.category) == ("Renamed", Decimal("30.00"), None)
    assert product.track_inventory is False and product.image


def test_product_delete_page_archives_a_product_with_stock(manager_client, stocked):
    product = stocked(2).variant.product
    page = manager_client.get(f"/products/{product.pk}/delete/")
    assert "cannot be deleted" in page.content.decode() and "stock movement" in page.content.decode()
    response = manager_client.post(f"/products/{product.pk}/delete/")
    assert response.status_code == 409
    assert Product.objects.filter(pk=product.pk).exists()
    manager_client.post(f"/products/{product.pk}/archive/")
    product.refresh_from_db()
    assert product.active is False


def test_product_delete_removes_an_unused_product(manager_client):
    product = factories.VariantFactory().product
    response = manager_client.post(f"/products/{product.pk}/delete/")
    assert response.status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists()


def test_variant_add_proposes_only_new_combinations(manager_client):
    product = factories.ProductFactory(name="Tee")
    factories.VariantFactory(product=product, sku="TEE-S", attributes={"Size": "S"})
    page = manager_client.get(f"/products/{product.pk}/variants/add/")
    assert page.context["options_form"].initial == {"name_1": "Size", "values_1": "S"}
    data = {"opt-name_1": "Size", "opt-values_1": "S, M", "generate": "1",
            "variants-TOTAL_FORMS": "0", "variants-INITIAL_FORMS": "0"}
    rows = _rows(manager_client.post(f"/products/{product.pk}/variants/add/", data))
    assert [r["sku"] for r in rows] == ["TEE-M"]
    data = {"variants-TOTAL_FORMS": "1", "variants-INITIAL_FORMS": "1", "variants-0-attributes": rows[0]["attributes"],
            "variants-0-sku": "TEE-M", "variants-0-include": "on"}
    response = manager_client.post(f"/products/{product.pk}/variants/add/", data)
    assert response.status_code == 302
    assert set(product.variants.values_list("sku", flat=True)) == {"TEE-S", "TEE-M"}


def test_variant_edit_and_archive(manager_client):
    variant = factories.VariantFactory(sku="TEE-S", attributes={"Size": "S"})
    url = f"/products/{variant.product_id}/variants/{variant.pk}/edit/"
    response = manager_client.post(url, {"sku": "TEE-SMALL", "option_0": "Small", "barcode": "1", "price": "",
                                         "cost": "", "active": "on", "image": png_upload()})
    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.sku, variant.attributes, variant.price) == ("TEE-SMALL", {"Size": "Small"}, None)
    assert variant.thumbnail
    manager_client.post(f"/products/{variant.product_id}/variants/{variant.pk}/archive/")
    variant.refresh_from_db()
    assert variant.active is False


def test_variant_edit_refuses_a_taken_sku_on_the_field(manager_client):
    taken = factories.VariantFactory(sku="TAKEN")
    variant = factories.VariantFactory(attributes={})
    response = manager_client.post(f"/products/{variant.product_id}/variants/{variant.pk}/edit/",
                                   {"sku": "TAKEN", "active": "on"})
    assert response.status_code == 400
    assert f"SKU TAKEN already belongs to {taken.product.name}" in response.content.decode()


def test_media_is_for_signed_in_users_only(client, manager_client, media):
    (media / "products").mkdir()
    (media / "products" / "x.png").write_bytes(png_bytes())
    assert manager_client.get("/media/products/x.png").status_code == 200
    assert manager_client.get("/media/products/../../etc/passwd").status_code == 404
    assert manager_client.get("/media/backups/x.png").status_code == 404
    client.logout()
    response = client.get("/media/products/x.png")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_variant_page_shows_the_thumbnail_and_links_the_product(manager_client, default_location):
    from inventory.services.images import image_check
    from inventory.services.products import VariantSpec, product_create

    product = product_create(name="Tee", image=image_check(png_upload()), variants=[VariantSpec(sku="TEE-1")])
    page = manager_client.get("/inventory/variants/TEE-1/").content.decode()
    assert f'src="{product.thumbnail_url}"' in page
    assert f'href="/products/{product.pk}/"' in page

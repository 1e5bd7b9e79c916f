from decimal import Decimal

import pytest

from core.exceptions import Conflict, ValidationFailed
from core.models import AuditEntry
from inventory.models import Product, Variant
from inventory.services.images import image_check
from inventory.services.products import (
    VariantRowError,
    VariantSpec,
    options_parse,
    product_archive,
    product_create,
    product_delete,
    product_delete_or_archive,
    product_update,
    sku_suggest,
    variant_archive,
    variant_delete,
    variant_matrix,
    variant_update,
    variants_add,
)
from tests import factories
from tests.inventory.catalogue_helpers import png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _specs(*skus, product_name="Linen shirt"):
    return [VariantSpec(sku=sku, attributes={"size": sku[-1]}) for sku in skus]


def test_sku_suggest_joins_name_and_values():
    assert sku_suggest(product_name="Linen shirt", values=["S", "Black"]) == "LINEN-SHIRT-S-BLACK"
    assert sku_suggest(product_name="Café crème!", values=[]) == "CAF-CR-ME"
    assert len(sku_suggest(product_name="x" * 200, values=["y" * 50, "z" * 50])) <= 64


def test_variant_matrix_proposes_every_combination():
    options = options_parse([("Size", "S, M, L"), ("Colour", "Black,Blue"), ("", "")])
    rows = variant_matrix(product_name="Tee", options=options)
    assert len(rows) == 6
    assert rows[0] == {"attributes": {"Size": "S", "Colour": "Black"}, "sku": "TEE-S-BLACK"}
    assert {r["sku"] for r in rows} >= {"TEE-L-BLUE", "TEE-M-BLACK"}


def test_variant_matrix_without_options_is_one_variant():
    assert variant_matrix(product_name="Mug", options=[]) == [{"attributes": {}, "sku": "MUG"}]


def test_options_parse_names_the_bad_option():
    with pytest.raises(ValidationFailed, match="Option 2 \\(Colour\\): enter its values"):
        options_parse([("Size", "S"), ("Colour", " , ")])
    with pytest.raises(ValidationFailed, match="given twice"):
        options_parse([("Size", "S"), ("size", "M")])


def test_product_create_writes_product_variants_and_audit(admin_user):
    category = factories.CategoryFactory(name="Shirts")
    product = product_create(name=" Linen shirt ", category=category, price="25.00", cost=Decimal("9.5"),
                             variants=[VariantSpec(sku="LS-S", attributes={"size": "S"}, barcode="123"),
                                       VariantSpec(sku="LS-M", attributes={"size": "M"}, price=Decimal("27.00"))],
                             user=admin_user)
    product.refresh_from_db()
    assert product.name == "Linen shirt" and product.price == Decimal("25.00") and product.cost == Decimal("9.50")
    variants = list(product.variants.order_by("sku"))
    assert [(v.sku, v.attributes, v.price) for v in variants] == [("LS-M", {"size": "M"}, Decimal("27.00")),
                                                                 ("LS-S", {"size": "S"}, None)]
    assert AuditEntry.objects.filter(action="product.create", object_id=str(product.pk)).count() == 1
    assert AuditEntry.objects.filter(action="variant.create").count() == 2


def test_product_create_refuses_a_duplicate_sku_naming_the_row():
    with pytest.raises(VariantRowError, match=r"Row 2 \(M\): SKU ls-s is also on row 1") as caught:
        product_create(name="Shirt", variants=[VariantSpec(sku="LS-S", attributes={"size": "S"}),
                                               VariantSpec(sku="ls-s", attributes={"size": "M"})])
    assert caught.value.row == 2 and caught.value.row_field == "sku"
    assert not Product.objects.exists()


def test_product_create_refuses_a_sku_another_product_has():
    factories.VariantFactory(sku="TAKEN-1", product__name="Wool hat")
    with pytest.raises(VariantRowError, match=r"Row 1 \(S\): SKU TAKEN-1 already belongs to Wool hat"):
        product_create(name="Shirt", variants=[VariantSpec(sku="TAKEN-1", attributes={"size": "S"})])
    assert not Product.objects.filter(name="Shirt").exists()


@pytest.mark.parametrize("bad, message", [
    ({"name": ""}, "Enter the product's name"),
    ({"price": "-1"}, "price must be zero or more"),
    ({"cost": "1.234"}, "at most two decimal places"),
    ({"variants": []}, "Add at least one variant"),
])
def test_product_create_refuses_bad_input(bad, message):
    values = {"name": "Shirt", "variants": [VariantSpec(sku="SH-1")], **bad}
    with pytest.raises(ValidationFailed, match=message):
        product_create(**values)
    assert not Product.objects.exists()


def test_product_create_refuses_bad_sku_and_archived_category():
    with pytest.raises(VariantRowError, match="Row 1: The SKU 'A B' may hold only"):
        product_create(name="Shirt", variants=[VariantSpec(sku="A B")])
    archived = factories.CategoryFactory(active=False)
    with pytest.raises(Conflict, match="archived"):
        product_create(name="Shirt", category=archived, variants=[VariantSpec(sku="SH-1")])


def test_product_create_with_images_stores_them_and_thumbnails(media):
    checked = image_check(png_upload(width=800, height=600))
    product = product_create(name="Shirt", image=checked,
                             variants=[VariantSpec(sku="SH-1", image=image_check(png_upload()))])
    assert product.image.startswith("products/") and product.image.endswith(".png")
    assert (media / product.thumbnail).exists()
    variant = product.variants.get()
    assert variant.thumbnail.startswith("variants/thumbs/")
    from PIL import Image
    with Image.open(media / product.thumbnail) as thumb:
        assert max(thumb.size) <= 160


def test_product_create_that_fails_leaves_no_files(media):
    factories.VariantFactory(sku="TAKEN")
    with pytest.raises(VariantRowError):
        product_create(name="Shirt", image=image_check(png_upload()), variants=[VariantSpec(sku="TAKEN")])
    assert not any(p.is_file() for p in media.rglob("*"))


def test_product_update_changes_fields_and_records_them(manager_user):
    product = factories.ProductFactory(name="Old", price=Decimal("5.00"))
    product_update(product=product, name="New", price="6.50", user=manager_user)
    product.refresh_from_db()
    assert (product.name, product.price) == ("New", Decimal("6.50"))
    entry = AuditEntry.objects.get(action="product.update")
    assert entry.changes["name"] == ["Old", "New"]


def test_product_archive_keeps_the_product_and_variants():
    variant = factories.VariantFactory()
    product_archive(product=variant.product)
    variant.product.refresh_from_db()
    assert variant.product.active is False
    assert Variant.objects.filter(pk=variant.pk, active=True).exists()
    assert AuditEntry.objects.filter(action="product.archive").count() == 1


def test_product_delete_removes_an_unused_product(media, django_capture_on_commit_callbacks):
    product = product_create(name="Shirt", image=image_check(png_upload()), variants=[VariantSpec(sku="SH-1")])
    image_path = media / product.image
    assert image_path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        product_delete(product=product)
    assert not Product.objects.filter(pk=product.pk).exists()
    assert not Variant.objects.filter(sku="SH-1").exists()
    assert not image_path.exists()


def test_product_with_stock_is_archived_never_deleted(stocked):
    level = stocked(5)
    product = level.variant.product
    with pytest.raises(Conflict, match="stock movement.*archive it instead"):
        product_delete(product=product)
    assert Product.objects.filter(pk=product.pk).exists()
    assert product_delete_or_archive(product=product) == "archived"
    product.refresh_from_db()
    assert product.active is False


def test_product_with_only_a_supplier_item_is_not_deleted():
    item = factories.SupplierItemFactory()
    with pytest.raises(Conflict, match="supplier item"):
        product_delete(product=item.variant.product)


def test_variants_add_adds_new_combinations_only():
    product = product_create(name="Tee", variants=[VariantSpec(sku="TEE-S", attributes={"size": "S"})])
    added = variants_add(product=product, variants=[VariantSpec(sku="TEE-M", attributes={"size": "M"})])
    assert [v.sku for v in added] == ["TEE-M"]
    with pytest.raises(VariantRowError, match="same options as an existing variant"):
        variants_add(product=product, variants=[VariantSpec(sku="TEE-S2", attributes={"size": "S"})])


def test_variant_update_refuses_a_taken_sku_and_changes_fields():
    product = product_create(name="Tee", variants=[VariantSpec(sku="TEE-S", attributes={"size": "S"}),
                                                    VariantSpec(sku="TEE-M", attributes={"size": "M"})])
    small = product.variants.get(sku="TEE-S")
    with pytest.raises(Conflict, match="SKU TEE-M already belongs to Tee"):
        variant_update(variant=small, sku="TEE-M")
    with pytest.raises(Conflict, match="already has these options"):
        variant_update(variant=small, attributes={"size": "M"})
    variant_update(variant=small, sku="TEE-SMALL", barcode="999", price="3.00")
    small.refresh_from_db()
    assert (small.sku, small.barcode, small.price) == ("TEE-SMALL", "999", Decimal("3.00"))


def test_variant_with_movements_is_archived_not_deleted(stocked):
    level = stocked(3)
    factories.VariantFactory(product=level.variant.product, attributes={"size": "XL"})
    with pytest.raises(Conflict, match="archive it instead"):
        variant_delete(variant=level.variant)
    variant_archive(variant=level.variant)
    level.variant.refresh_from_db()
    assert level.variant.active is False


def test_variant_delete_removes_an_unused_variant_but_not_the_last():
    product = product_create(name="Tee", variants=[VariantSpec(sku="TEE-S", attributes={"size": "S"}),
                                                    VariantSpec(sku="TEE-M", attributes={"size": "M"})])
    variant_delete(variant=product.variants.get(sku="TEE-S"))
    assert list(product.variants.values_list("sku", flat=True)) == ["TEE-M"]
    with pytest.raises(Conflict, match="only variant"):
        variant_delete(variant=product.variants.get(sku="TEE-M"))

from io import StringIO

import pytest
from django.core.management import call_command

from inventory.models import Category, Location, MovementType, Product, StockLevel, StockMovement, Variant
from inventory.services import ledger_verify

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Location, Category, Product, Variant, StockLevel, StockMovement))


@pytest.mark.smoke
def test_seed_demo_creates_a_catalogue_with_stock_history():
    output = _seed("--products", "30")

    assert Product.objects.count() == 30
    assert Variant.objects.count() > 30
    assert set(Location.objects.values_list("code", flat=True)) == {"main", "store"}
    assert Location.objects.get(is_default=True).code == "main"
    assert Category.objects.filter(parent__name="Clothing").exists()
    levels = list(StockLevel.objects.all())
    assert any(level.status == "low" for level in levels)
    assert any(level.status == "out" for level in levels)
    assert any(level.status == "in" for level in levels)
    assert Variant.objects.filter(stock_levels__isnull=True).count() == 0
    assert StockMovement.objects.filter(type=MovementType.RESTOCK, reason="Opening stock").count() == Variant.objects.count()
    assert StockMovement.objects.exclude(type=MovementType.RESTOCK).exists()
    assert ledger_verify() == []
    assert f"30 products, {Variant.objects.count()} variants" in output


@pytest.mark.smoke
def test_seed_demo_second_run_creates_nothing():
    _seed("--products", "10")
    before = _counts()

    output = _seed("--products", "10")

    assert "Demo data already present" in output
    assert _counts() == before


@pytest.mark.smoke
def test_seed_demo_gives_unique_skus_and_13_digit_barcodes():
    _seed("--products", "40")

    skus = list(Variant.objects.values_list("sku", flat=True))
    barcodes = list(Variant.objects.values_list("barcode", flat=True))
    assert len(set(skus)) == len(skus)
    assert len(set(barcodes)) == len(barcodes)
    assert all(len(code) == 13 and code.isdigit() for code in barcodes)
    assert all(product.price > product.cost > 0 for product in Product.objects.all())


def test_seed_demo_is_deterministic():
    _seed("--products", "15")
    first = sorted(Variant.objects.values_list("sku", "barcode", "stock_levels__on_hand", "stock_levels__location__code"),
                   key=str)
    StockMovement.objects.all().delete()
    StockLevel.objects.all().delete()
    Variant.objects.all().delete()
    Product.objects.all().delete()

    _seed("--products", "15")
    second = sorted(Variant.objects.values_list("sku", "barcode", "stock_levels__on_hand", "stock_levels__location__code"),
                    key=str)
    assert first == second


def test_seed_demo_reuses_existing_locations(default_location, other_location):
    _seed("--products", "5")

    assert Location.objects.count() == 2
    assert StockLevel.objects.filter(location=default_location).count() == Variant.objects.count()


def test_seed_demo_refuses_a_non_positive_product_count():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        _seed("--products", "0")
    assert Product.objects.count() == 0

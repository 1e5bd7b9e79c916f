import pytest
from django.core.paginator import Paginator

from inventory import selectors
from inventory.selectors import stock_list_rows
from tests import factories

pytestmark = pytest.mark.django_db


def _rows(**filters) -> list[tuple[str, str, int, bool]]:
    return [(row.variant.sku, row.location.code, row.on_hand, row.pk is not None)
            for row in stock_list_rows(**filters)[0:100]]


@pytest.mark.smoke
def test_stock_list_rows_gives_levels_and_variants_without_one(stocked, default_location, other_location):
    stocked(4, variant=factories.VariantFactory(sku="A-1", product__name="Linen towel"))
    both = factories.VariantFactory(sku="B-1", product__name="Oak shelf")
    stocked(2, variant=both)
    stocked(6, variant=both, location=other_location)
    factories.VariantFactory(sku="C-1", product__name="Linen apron")

    assert _rows() == [("A-1", "main", 4, True), ("B-1", "main", 2, True), ("B-1", "store", 6, True),
                       ("C-1", "main", 0, False)]
    assert _rows(search="linen") == [("A-1", "main", 4, True), ("C-1", "main", 0, False)]
    assert _rows(search="linen", status="out") == [("C-1", "main", 0, False)]
    assert _rows(location_code="store") == [("B-1", "store", 6, True)]
    assert _rows(location_code="nowhere") == []
    assert _rows(search="no such thing") == []
    assert stock_list_rows().count() == 4


@pytest.mark.smoke
def test_stock_list_rows_broad_search_matches_the_narrow_one(stocked, monkeypatch):
    for n in range(3):
        stocked(n + 1, variant=factories.VariantFactory(sku=f"WIDE-{n}", product__name=f"Linen {n}"))
    factories.VariantFactory(sku="LINEN-X", product__name="Bag")

    narrow = _rows(search="linen", sort="-sku")
    monkeypatch.setattr(selectors, "STOCK_LIST_SEARCH_IDS", 0)
    broad = _rows(search="linen", sort="-sku")

    assert narrow == broad
    assert [sku for sku, *_ in narrow] == ["WIDE-2", "WIDE-1", "WIDE-0", "LINEN-X"]


def test_stock_list_rows_count_stops_at_the_limit(stocked, monkeypatch):
    monkeypatch.setattr(selectors, "STOCK_LIST_COUNT_LIMIT", 3)
    for n in range(5):
        stocked(1, variant=factories.VariantFactory(sku=f"N-{n}"))

    rows = stock_list_rows()
    assert rows.count() == 3 and rows.capped

    # Asking for a far page counts that far (and the limit past it): every row stays reachable.
    rows.reach_to(2 * 2)
    page = Paginator(rows, 2).get_page(3)
    assert rows.count() == 5 and not rows.capped
    assert [row.variant.sku for row in page] == ["N-4"]
    assert not stock_list_rows(search="N-4").capped


def test_stock_list_rows_page_costs_the_same_queries_with_new_variants(stocked, django_assert_max_num_queries):
    for n in range(10):
        stocked(n, variant=factories.VariantFactory(sku=f"Q-{n:02d}"))
        factories.VariantFactory(sku=f"Q-{n:02d}-NEW")

    # the default location, two search probes, the count, the page, its levels, its new variants
    with django_assert_max_num_queries(7):
        rows = stock_list_rows(search="Q-")
        page = list(Paginator(rows, 25).get_page(1))
        assert [row.variant.product.name for row in page]

    assert len(page) == 20
    assert sum(1 for row in page if row.pk is None) == 10


def test_stock_list_rows_narrow_list_pages_from_one_read(stocked, django_assert_num_queries):
    for n in range(5):
        stocked(n + 1, variant=factories.VariantFactory(sku=f"LOW-{n}", product__name="Linen cloth"))
    stocked(50, variant=factories.VariantFactory(sku="LOW-X", product__name="Linen cloth"))

    rows = stock_list_rows(search="linen", status="low", sort="-sku")
    paginator = Paginator(rows, 2)

    assert paginator.count == 5 and not rows.capped
    with django_assert_num_queries(1):  # the levels of the page; the ids were read with the count
        second = [row.variant.sku for row in paginator.page(2)]
    assert second == ["LOW-2", "LOW-1"]
    assert [row.variant.sku for row in paginator.page(3)] == ["LOW-0"]

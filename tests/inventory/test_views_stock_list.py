import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.services import stock_adjust
from tests import factories

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
URL = "/inventory/"


def _has_on_hand(text: str, quantity: int) -> bool:
    """The row's on-hand cell shows `quantity` (whatever other classes the cell carries)."""
    return re.search(rf'<td class="num on-hand[^"]*">{quantity}</td>', text) is not None


@pytest.mark.smoke
def test_stock_list_view_renders_full_page_with_rows(staff_client, stocked):
    level = stocked(7)

    response = staff_client.get(reverse("inventory:stock_list"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" in text
    assert level.variant.sku in text
    assert f'id="level-{level.pk}"' in text
    assert f'hx-trigger="level-{level.pk}-changed from:body"' in text
    assert 'hx-trigger="input changed delay:300ms, search"' in text
    assert _has_on_hand(text, 7)
    assert "badge-low" in text  # 7 is at or below the default threshold of 10


@pytest.mark.smoke
def test_stock_list_view_answers_htmx_with_the_rows_partial(staff_client, stocked):
    level = stocked(42)

    response = staff_client.get(reverse("inventory:stock_list"), {"q": level.variant.sku}, headers=HX)

    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text
    assert 'id="stock-filters"' not in text
    assert level.variant.sku in text
    assert _has_on_hand(text, 42)
    assert "HX-Request" in response["Vary"]


def test_stock_list_view_searches_name_sku_and_barcode(staff_client, stocked):
    shirt = stocked(5, variant=factories.VariantFactory(product__name="Linen shirt", sku="SHIRT-1", barcode="5012345678900"))
    mug = stocked(5, variant=factories.VariantFactory(product__name="Coffee mug", sku="MUG-1", barcode="5098765432109"))

    def skus(query):
        response = staff_client.get(URL, {"q": query}, headers=HX)
        return {level.variant.sku for level in response.context["page_obj"]}

    assert skus("linen") == {"SHIRT-1"}
    assert skus("mug-") == {"MUG-1"}
    assert skus("5012345678900") == {"SHIRT-1"}
    assert skus("") == {shirt.variant.sku, mug.variant.sku}


def test_stock_list_view_filters_by_category_location_and_status(staff_client, stocked, other_location):
    tools = factories.CategoryFactory(name="Tools")
    hammer = factories.VariantFactory(product__category=tools, sku="HAMMER")
    stocked(50, variant=hammer)
    stocked(3, variant=hammer, location=other_location)
    stocked(0, variant=factories.VariantFactory(sku="EMPTY"))

    def rows(**params):
        response = staff_client.get(URL, params)
        return {(level.variant.sku, level.location.code) for level in response.context["page_obj"]}

    assert rows(category=tools.pk) == {("HAMMER", "main"), ("HAMMER", "store")}
    assert rows(location="store") == {("HAMMER", "store")}
    assert rows(status="low") == {("HAMMER", "store")}
    assert rows(status="out") == {("EMPTY", "main")}
    assert rows(status="in") == {("HAMMER", "main")}
    assert rows(status="bogus", location="store") == {("HAMMER", "store")}  # bad value ignored


def test_stock_list_view_sorts_and_links_the_reverse_order(staff_client, stocked):
    for sku, qty in [("B-SKU", 5), ("A-SKU", 30), ("C-SKU", 1)]:
        stocked(qty, variant=factories.VariantFactory(sku=sku))

    def order(sort):
        response = staff_client.get(URL, {"sort": sort})
        return [level.variant.sku for level in response.context["page_obj"]], response.content.decode()

    assert order("sku")[0] == ["A-SKU", "B-SKU", "C-SKU"]
    assert order("-on_hand")[0] == ["A-SKU", "B-SKU", "C-SKU"]
    skus, text = order("on_hand")
    assert skus == ["C-SKU", "B-SKU", "A-SKU"]
    assert "sort=-on_hand" in text  # clicking the active column reverses it
    assert 'aria-sort="ascending"' in text


def test_stock_list_view_paginates_and_keeps_filters_in_links(staff_client, stocked, settings):
    settings.INVENTORY_PAGE_SIZE = 3
    for n in range(7):
        stocked(5, variant=factories.VariantFactory(sku=f"PAGE-{n}"))

    first = staff_client.get(URL, {"q": "PAGE", "sort": "-sku"})
    third = staff_client.get(URL, {"q": "PAGE", "sort": "-sku", "page": 3})

    assert [lv.variant.sku for lv in first.context["page_obj"]] == ["PAGE-6", "PAGE-5", "PAGE-4"]
    assert [lv.variant.sku for lv in third.context["page_obj"]] == ["PAGE-0"]
    assert "?q=PAGE&amp;sort=-sku&amp;page=2" in first.content.decode()
    assert "Page 1 of 3" in first.content.decode()


@pytest.mark.smoke
def test_stock_row_view_renders_one_row_with_fresh_quantity(staff_client, stocked):
    level = stocked(10)
    stock_adjust(variant=level.variant, location=level.location, quantity=-10, type="SALE", reason="Sold out")

    response = staff_client.get(reverse("inventory:stock_row", kwargs={"pk": level.pk}), headers=HX)

    assert response.status_code == 200
    text = response.content.decode()
    assert text.strip().startswith(f'<tr id="level-{level.pk}"')
    assert _has_on_hand(text, 0)
    assert "badge-out" in text


def test_stock_row_view_unknown_level_is_404(staff_client, db):
    assert staff_client.get(reverse("inventory:stock_row", kwargs={"pk": 999999})).status_code == 404


def test_stock_list_view_shows_transfer_only_to_managers(staff_client, manager_user, stocked):
    level = stocked(10)
    transfer_url = reverse("inventory:stock_transfer", kwargs={"sku": level.variant.sku})

    assert transfer_url not in staff_client.get(URL).content.decode()
    staff_client.force_login(manager_user)
    assert transfer_url in staff_client.get(URL).content.decode()


def _count_queries(client, params=None) -> tuple[int, int]:
    client.get(URL, params or {})  # warm up
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.context["page_obj"])


def _catalogue(stocked, count, start=0):
    category = factories.CategoryFactory()
    for n in range(start, start + count):
        stocked(n % 20, variant=factories.VariantFactory(sku=f"QC-{n:04d}", product__category=category))


def test_stock_list_view_query_count_does_not_grow_with_page_size(manager_client, stocked, settings):
    _catalogue(stocked, 30)

    settings.INVENTORY_PAGE_SIZE = 10
    small, small_rows = _count_queries(manager_client)
    settings.INVENTORY_PAGE_SIZE = 25
    large, large_rows = _count_queries(manager_client)

    assert (small_rows, large_rows) == (10, 25)
    assert small == large


def test_stock_list_view_query_count_does_not_grow_with_catalogue_size(manager_client, stocked):
    _catalogue(stocked, 30)
    small, small_rows = _count_queries(manager_client, {"q": "QC-", "sort": "available"})
    _catalogue(stocked, 90, start=30)
    large, large_rows = _count_queries(manager_client, {"q": "QC-", "sort": "available"})

    assert small_rows == large_rows == 25
    assert small == large


# --- variants with no stock level yet --------------------------------------------------

def test_stock_list_view_shows_a_new_variant_as_no_stock_at_the_default_location(manager_client, stocked,
                                                                               default_location, other_location):
    stocked(5, variant=factories.VariantFactory(sku="OLD-1", product__name="Old mug"))
    new = factories.VariantFactory(sku="NEW-1", product__name="Linen apron", barcode="5011111111111")

    response = manager_client.get(URL)

    text = response.content.decode()
    rows = list(response.context["page_obj"])
    assert [(row.variant.sku, row.location.code, row.on_hand) for row in rows] == [
        ("NEW-1", default_location.code, 0), ("OLD-1", default_location.code, 5)]
    assert f'id="variant-{new.pk}-no-stock"' in text
    assert "No stock" in text
    adjust = reverse("inventory:stock_adjust", kwargs={"sku": "NEW-1"})
    assert f"{adjust}?location={default_location.code}" in text  # stock can be received from the row
    assert "2 stock levels" in text


def test_stock_list_view_finds_a_new_variant_by_search_and_filters(staff_client, stocked, default_location,
                                                                   other_location):
    tools = factories.CategoryFactory(name="Tools")
    factories.VariantFactory(sku="NEW-1", product__name="Linen apron", product__category=tools,
                             barcode="5011111111111")
    stocked(50, variant=factories.VariantFactory(sku="OLD-1", product__name="Linen shirt"))

    def skus(**params):
        response = staff_client.get(URL, params, headers=HX)
        return [row.variant.sku for row in response.context["page_obj"]]

    assert skus(q="apron") == ["NEW-1"]
    assert skus(q="new-") == ["NEW-1"]
    assert skus(q="5011111111111") == ["NEW-1"]
    assert skus(q="linen") == ["NEW-1", "OLD-1"]
    assert skus(category=tools.pk) == ["NEW-1"]
    assert skus(status="out") == ["NEW-1"]
    assert skus(status="low") == []
    assert skus(status="in") == ["OLD-1"]
    assert skus(location=default_location.code) == ["NEW-1", "OLD-1"]
    assert skus(location=other_location.code) == []


def test_stock_list_view_lists_a_variant_once_it_has_stock_as_its_level(staff_client, stocked):
    variant = factories.VariantFactory(sku="NEW-1")
    level = stocked(3, variant=variant)

    response = staff_client.get(URL, {"q": "NEW-1"})

    assert [row.pk for row in response.context["page_obj"]] == [level.pk]
    assert "No stock" not in response.content.decode()


# --- large lists ------------------------------------------------------------------------

def test_stock_list_view_caps_the_count_of_a_long_list(staff_client, stocked, monkeypatch, settings):
    from inventory import selectors

    monkeypatch.setattr(selectors, "STOCK_LIST_COUNT_LIMIT", 4)
    settings.INVENTORY_PAGE_SIZE = 3
    for n in range(12):
        stocked(5, variant=factories.VariantFactory(sku=f"CAP-{n:02d}"))

    first = staff_client.get(URL, {"q": "CAP"})
    second = staff_client.get(URL, {"q": "CAP", "page": 2})
    last = staff_client.get(URL, {"q": "CAP", "page": 4})

    # Each page counts four rows past its end, so the list is never counted whole and the
    # next page is always reachable; the last page knows the exact count.
    text = first.content.decode()
    assert "7+ stock levels" in text and "Page 1 of 3" in text
    assert [row.variant.sku for row in first.context["page_obj"]] == ["CAP-00", "CAP-01", "CAP-02"]
    assert "10+ stock levels" in second.content.decode()
    assert [row.variant.sku for row in last.context["page_obj"]] == ["CAP-09", "CAP-10", "CAP-11"]
    assert "12 stock levels" in last.content.decode()


def test_stock_list_view_broad_search_finds_the_same_rows(staff_client, stocked, monkeypatch):
    """A search matching more products or SKUs than are looked up by id runs as a subquery."""
    from inventory import selectors

    category = factories.CategoryFactory(name="Decor")
    for n in range(4):
        stocked(n, variant=factories.VariantFactory(sku=f"WIDE-{n}", product__name=f"Linen throw {n}",
                                                    product__category=category))
    stocked(2, variant=factories.VariantFactory(sku="LINEN-9", product__name="Cotton bag"))
    factories.VariantFactory(sku="OTHER-1", product__name="Oak desk")

    def rows(**params):
        response = staff_client.get(URL, params, headers=HX)
        return [(row.variant.sku, row.on_hand) for row in response.context["page_obj"]]

    narrow = (rows(q="linen"), rows(q="linen", category=category.pk), rows(q="linen", status="low"))
    monkeypatch.setattr(selectors, "STOCK_LIST_SEARCH_IDS", 1)
    broad = (rows(q="linen"), rows(q="linen", category=category.pk), rows(q="linen", status="low"))

    assert narrow == broad
    assert narrow[0] == [("LINEN-9", 2), ("WIDE-0", 0), ("WIDE-1", 1), ("WIDE-2", 2), ("WIDE-3", 3)]
    assert [sku for sku, _ in narrow[1]] == ["WIDE-0", "WIDE-1", "WIDE-2", "WIDE-3"]


def test_stock_list_view_category_includes_every_level_below_it(staff_client, stocked):
    home = factories.CategoryFactory(name="Home")
    kitchen = factories.CategoryFactory(name="Kitchen", parent=home)
    mugs = factories.CategoryFactory(name="Mugs", parent=kitchen)
    stocked(5, variant=factories.VariantFactory(sku="MUG-1", product__category=mugs))
    stocked(5, variant=factories.VariantFactory(sku="PAN-1", product__category=kitchen))
    stocked(5, variant=factories.VariantFactory(sku="DESK-1"))

    response = staff_client.get(URL, {"category": home.pk})

    assert [row.variant.sku for row in response.context["page_obj"]] == ["MUG-1", "PAN-1"]


def test_stock_list_view_sorts_new_variants_with_the_rest(staff_client, stocked):
    stocked(30, variant=factories.VariantFactory(sku="A-SKU"))
    factories.VariantFactory(sku="B-SKU")
    stocked(1, variant=factories.VariantFactory(sku="C-SKU"))

    def order(sort):
        return [row.variant.sku for row in staff_client.get(URL, {"sort": sort}).context["page_obj"]]

    assert order("sku") == ["A-SKU", "B-SKU", "C-SKU"]
    assert order("-sku") == ["C-SKU", "B-SKU", "A-SKU"]
    assert order("available") == ["B-SKU", "C-SKU", "A-SKU"]
    assert order("-on_hand") == ["A-SKU", "C-SKU", "B-SKU"]

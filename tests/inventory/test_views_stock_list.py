import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.services import stock_adjust
from tests import factories

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
URL = "/inventory/"


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
    assert '<td class="num on-hand">7</td>' in text
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
    assert '<td class="num on-hand">42</td>' in text
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
    assert '<td class="num on-hand">0</td>' in text
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

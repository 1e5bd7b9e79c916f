from django.test import RequestFactory

from core.pagination import PAGE_SIZES, page_get, page_size_get


def _request(**params):
    return RequestFactory().get("/list/", params)


def test_page_size_get_takes_an_offered_size():
    assert page_size_get(_request(page_size="100")) == 100


def test_page_size_get_ignores_sizes_not_offered_and_garbage():
    assert page_size_get(_request(page_size="7"), default=50) == 50
    assert page_size_get(_request(page_size="100000"), default=50) == 50
    assert page_size_get(_request(page_size="lots"), default=50) == 50
    assert page_size_get(_request(), default=50) == 50


def test_page_get_pages_by_the_chosen_size():
    page = page_get(_request(page_size="50", page="2"), list(range(120)))

    assert list(page.object_list) == list(range(50, 100))
    assert page.paginator.num_pages == 3
    assert page.page_size == 50
    assert page.page_sizes == PAGE_SIZES
    assert page.page_size_changed is True


def test_page_get_default_size_is_offered_and_not_marked_changed():
    page = page_get(_request(page="99"), list(range(120)), default=30)

    assert page.page_size == 30
    assert 30 in page.page_sizes
    assert page.number == 4  # out of range: the last page
    assert page.page_size_changed is False

"""Pages of a long list with a page-size choice (`?page_size=`), shared by the list views."""
from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PAGE_SIZES = (25, 50, 100, 200)


def page_size_get(request: HttpRequest, *, default: int = PAGE_SIZES[0], sizes=PAGE_SIZES) -> int:
    """The page size the request asks for when it is one of `sizes`; otherwise `default`."""
    try:
        size = int(request.GET.get("page_size", ""))
    except ValueError:
        return default
    return size if size in sizes else default


def page_get(request: HttpRequest, items, *, default: int = PAGE_SIZES[0], sizes=PAGE_SIZES) -> Page:
    """The requested page of `items` (`?page=`, out-of-range numbers give the nearest page),
    with `page_size`, `page_sizes` and `page_size_changed` set for the pagination partial's size choice."""
    if default not in sizes:
        sizes = tuple(sorted({*sizes, default}))
    size = page_size_get(request, default=default, sizes=sizes)
    page = Paginator(items, size).get_page(request.GET.get("page"))
    page.page_size = size
    page.page_sizes = sizes
    page.page_size_changed = size != default  # filter forms carry it along only then
    return page

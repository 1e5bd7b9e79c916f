from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


def _positive_int(request, name: str, *, default: int, maximum: int | None = None) -> int:
    """A page query parameter as a whole number from 1 (to `maximum`); 400 naming it otherwise."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: ["Must be a whole number."]}) from None
    if value < 1:
        raise ValidationError({name: ["Must be at least 1."]})
    if maximum is not None and value > maximum:
        raise ValidationError({name: [f"Must be at most {maximum}."]})
    return value


class StandardPagination(PageNumberPagination):
    """Pages of 50 (page_size up to 500). A page or page_size that is not a whole number in range
    is a 400 naming it; a page past the last is a 404 (`{detail}`)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        return _positive_int(request, self.page_size_query_param, default=self.page_size, maximum=self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        _positive_int(request, self.page_query_param, default=1)
        return super().paginate_queryset(queryset, request, view)


def paginated_response(request, queryset, serializer_class, *, context: dict | None = None) -> Response:
    """One page of `queryset` as `{count, next, previous, results}`."""
    paginator = StandardPagination()
    page = paginator.paginate_queryset(queryset, request)
    return paginator.get_paginated_response(serializer_class(page, many=True, context=context or {}).data)

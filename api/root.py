"""JSON API v1: the root (`GET /api/v1/`), a map of the resources and a link to the docs."""
from django.urls import URLPattern, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from api.openapi import FORBIDDEN, UNAUTHENTICATED
from api.permissions import CanViewStock

# Served by the root itself, or listed under their own keys.
NOT_RESOURCES = {"root", "schema", "docs"}


class ApiRootSerializer(serializers.Serializer):
    resources = serializers.DictField(
        child=serializers.URLField(),
        help_text="Absolute link of every collection and operation without a path parameter, by its path.",
    )
    docs = serializers.URLField(help_text="The interactive documentation (Swagger UI).")
    schema = serializers.URLField(help_text="The OpenAPI schema.")


def _resource_paths() -> dict[str, str]:
    """{path key: url name} of the API's URLs that take no parameter, in the order of api/urls.py.

    Read from the URLconf, so an endpoint added there is listed here the same day.
    """
    from api import urls as api_urls  # the URLconf imports this module

    found = {}
    for pattern in api_urls.urlpatterns:
        if not isinstance(pattern, URLPattern) or pattern.name in NOT_RESOURCES:
            continue
        route = str(pattern.pattern)
        if "<" in route or not route:
            continue
        found[route.strip("/")] = f"api:{pattern.name}"
    return found


@extend_schema(
    operation_id="api_root",
    summary="API root",
    description="Links to every resource of the API (absolute URLs) and to its documentation and schema.",
    tags=["root"],
    responses={200: ApiRootSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@api_view(["GET"])
@permission_classes([CanViewStock])
def api_root_view(request):
    resources = {key: request.build_absolute_uri(reverse(name)) for key, name in _resource_paths().items()}
    return Response({
        "resources": resources,
        "docs": request.build_absolute_uri(reverse("api:docs")),
        "schema": request.build_absolute_uri(reverse("api:schema")),
    })

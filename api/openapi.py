"""Pieces of the OpenAPI description that every API module shares."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.parsers import FormParser, MultiPartParser

from api.parsers import SafeJSONParser
from api.serializers import ErrorSerializer

WRITE_PARSERS = [SafeJSONParser, FormParser, MultiPartParser]

BAD_INPUT = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Bad input: `{field: [messages]}` naming the field, or `{detail}`."
)
UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Signed in, but the role lacks the permission.")
PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Rows per page (default 50, at most 500)."),
]

"""JSON API v1: locations, the default first.

Reads need inventory.view_location; creating add_location; editing, deactivating
(PATCH active=false) and making one the default (PATCH is_default=true) change_location.
"""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.response import Response

from api.fields import JsonBooleanField, StringField
from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED, WRITE_PARSERS
from api.pagination import paginated_response
from api.serializers import ErrorSerializer
from api.suppliers import MethodPermission
from inventory.models import Location
from inventory.selectors_catalogue import location_get_by_pk, location_list_all
from inventory.services.locations import (
    location_activate,
    location_create,
    location_deactivate,
    location_default_set,
    location_update,
)


class CanUseLocations(MethodPermission):
    perms = {"GET": "inventory.view_location", "POST": "inventory.add_location", "PATCH": "inventory.change_location"}
    messages = {"GET": "You do not have permission to view locations.",
                "POST": "You do not have permission to create locations.",
                "PATCH": "You do not have permission to edit locations."}


class LocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = StringField()
    name = StringField()
    address = StringField()
    active = serializers.BooleanField()
    is_default = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class LocationPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = LocationSerializer(many=True)


class LocationListQuerySerializer(serializers.Serializer):
    q = StringField(required=False, allow_blank=True, max_length=100, help_text="Code or name contains.")
    active = serializers.BooleanField(required=False, default=None)


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 32, "pattern": r"^[A-Za-z0-9][A-Za-z0-9_-]*$"})
class CodeField(StringField):
    """Lower-case letters, digits, - and _ (upper case is lowered)."""


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 120, "pattern": r"\S"})
class NameField(StringField):
    pass


class LocationCreateSerializer(serializers.Serializer):
    code = CodeField(max_length=32, trim_whitespace=False)
    name = NameField(max_length=120, trim_whitespace=False)
    address = StringField(required=False, allow_blank=True, max_length=2000, default="", trim_whitespace=False)
    is_default = JsonBooleanField(required=False, default=False,
                                  help_text="Make it the default (the first location always is).")


class LocationUpdateSerializer(serializers.Serializer):
    code = CodeField(max_length=32, required=False, trim_whitespace=False)
    name = NameField(max_length=120, required=False, trim_whitespace=False)
    address = StringField(required=False, allow_blank=True, max_length=2000, trim_whitespace=False)
    active = JsonBooleanField(required=False, help_text="false deactivates (not the default, nor one holding stock).")
    is_default = JsonBooleanField(required=False, help_text="true makes it the default; false is refused "
                                                            "(make another one the default instead).")


NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown location.")
CONFLICT = OpenApiResponse(OpenApiTypes.OBJECT, description="`{detail, field: [message]}`: the code is taken, or it "
                                                             "is the default or holds stock.")


def _response(location: Location, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(LocationSerializer(location_get_by_pk(pk=location.pk)).data, status=status_code)


@extend_schema(methods=["GET"], operation_id="location_list", summary="List locations, the default first",
               tags=["catalogue"], parameters=[LocationListQuerySerializer, *PAGE_PARAMETERS],
               responses={200: LocationPageSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN})
@extend_schema(methods=["POST"], operation_id="location_create", summary="Create a location", tags=["catalogue"],
               request=LocationCreateSerializer,
               responses={201: LocationSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                          409: CONFLICT})
@api_view(["GET", "POST"])
@permission_classes([CanUseLocations])
@parser_classes(WRITE_PARSERS)
def location_list_view(request):
    if request.method == "POST":
        serializer = LocationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = location_create(**serializer.validated_data, user=request.user)
        return _response(location, status_code=status.HTTP_201_CREATED)
    query = LocationListQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    locations = location_list_all(q=query.validated_data.get("q"), active=query.validated_data.get("active"))
    return paginated_response(request, locations, LocationSerializer)


@extend_schema(methods=["GET"], operation_id="location_detail", summary="One location", tags=["catalogue"],
               responses={200: LocationSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND})
@extend_schema(methods=["PATCH"], operation_id="location_update",
               summary="Edit, deactivate, activate or make a location the default", tags=["catalogue"],
               request=LocationUpdateSerializer,
               responses={200: LocationSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                          404: NOT_FOUND, 409: CONFLICT})
@api_view(["GET", "PATCH"])
@permission_classes([CanUseLocations])
@parser_classes(WRITE_PARSERS)
def location_detail_view(request, location_id: int):
    location = location_get_by_pk(pk=location_id)
    if request.method == "GET":
        return _response(location)
    serializer = LocationUpdateSerializer(data=request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    active, is_default = data.pop("active", None), data.pop("is_default", None)
    if is_default is False and location.is_default:
        return Response({"detail": "Make another location the default instead.",
                         "is_default": ["Make another location the default instead."]}, status=status.HTTP_409_CONFLICT)
    if data:
        location = location_update(location=location, **data, user=request.user)
    if active is True:
        location = location_activate(location=location, user=request.user)
    if is_default:
        location = location_default_set(location=location, user=request.user)
    if active is False:
        location = location_deactivate(location=location, user=request.user)
    return _response(location)

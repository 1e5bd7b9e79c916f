"""JSON API v1: categories, in tree order (depth first, siblings by name).

Reads need inventory.view_category; creating add_category; renaming, moving, archiving
(PATCH active=false) and restoring change_category; DELETE delete_category, refused (409)
while the category has products or subcategories.
"""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.response import Response

from api.exceptions import UNKNOWN
from api.fields import JsonBooleanField, StringField, WholeNumberField
from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED, WRITE_PARSERS
from api.pagination import paginated_response
from api.serializers import ErrorSerializer
from api.suppliers import MethodPermission
from inventory.models import Category
from inventory.selectors_catalogue import category_get, category_tree
from inventory.services.categories import (
    category_archive,
    category_create,
    category_delete,
    category_restore,
    category_update,
)


class CanUseCategories(MethodPermission):
    perms = {"GET": "inventory.view_category", "POST": "inventory.add_category",
             "PATCH": "inventory.change_category", "DELETE": "inventory.delete_category"}
    messages = {"GET": "You do not have permission to view categories.",
                "POST": "You do not have permission to create categories.",
                "PATCH": "You do not have permission to edit categories.",
                "DELETE": "You do not have permission to delete categories."}


class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="category.id")
    name = StringField(source="category.name")
    path = StringField(source="category.path", help_text='From the top, e.g. "Clothing / Shirts".')
    parent = serializers.IntegerField(source="category.parent_id", allow_null=True)
    depth = serializers.IntegerField(help_text="0 at the top level.")
    active = serializers.BooleanField(source="category.active", help_text="false: archived.")
    product_count = serializers.IntegerField(help_text="Products in this category itself.")
    total_count = serializers.IntegerField(help_text="Products in it and in its subcategories.")


class CategoryPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CategorySerializer(many=True)


class ParentField(WholeNumberField):
    def run_validation(self, data=serializers.empty):
        pk = super().run_validation(data)
        if pk is None:
            return None
        category = Category.objects.filter(pk=pk).first()
        if category is None:
            raise serializers.ValidationError(f"Unknown category {pk}.", code=UNKNOWN)
        return category


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 120, "pattern": r"^[^/]*\S[^/]*$"})
class CategoryNameField(StringField):
    pass


NAME_SCHEMA_NOTE = "At most 120 characters, no slash; unique among its siblings whatever its case."


class CategoryCreateSerializer(serializers.Serializer):
    name = CategoryNameField(max_length=120, help_text=NAME_SCHEMA_NOTE, trim_whitespace=False)
    parent = ParentField(required=False, allow_null=True, default=None, min_value=1,
                         help_text="The parent category's id; null or left out: top level.")


class CategoryUpdateSerializer(serializers.Serializer):
    name = CategoryNameField(max_length=120, required=False, help_text=NAME_SCHEMA_NOTE, trim_whitespace=False)
    parent = ParentField(required=False, allow_null=True, min_value=1,
                         help_text="Move under this category (never under itself or its own subcategories).")
    active = JsonBooleanField(required=False, help_text="false archives it (after its subcategories); true restores it.")


def _node(category_id: int):
    return next(node for node in category_tree() if node.category.pk == category_id)


def _response(category: Category, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(CategorySerializer(_node(category.pk)).data, status=status_code)


NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown category.")
CONFLICT = OpenApiResponse(OpenApiTypes.OBJECT, description="`{detail}` or `{name: [message]}`: the name is taken, "
                                                             "or it has products or subcategories.")


@extend_schema(methods=["GET"], operation_id="category_list", summary="The category tree with product counts",
               tags=["catalogue"], parameters=PAGE_PARAMETERS,
               responses={200: CategoryPageSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN})
@extend_schema(methods=["POST"], operation_id="category_create", summary="Create a category", tags=["catalogue"],
               request=CategoryCreateSerializer,
               responses={201: CategorySerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                          409: CONFLICT})
@api_view(["GET", "POST"])
@permission_classes([CanUseCategories])
@parser_classes(WRITE_PARSERS)
def category_list_view(request):
    if request.method == "POST":
        serializer = CategoryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = category_create(**serializer.validated_data, user=request.user)
        return _response(category, status_code=status.HTTP_201_CREATED)
    return paginated_response(request, category_tree(), CategorySerializer)


@extend_schema(methods=["GET"], operation_id="category_detail", summary="One category", tags=["catalogue"],
               responses={200: CategorySerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND})
@extend_schema(methods=["PATCH"], operation_id="category_update", summary="Rename, move, archive or restore a category",
               tags=["catalogue"], request=CategoryUpdateSerializer,
               responses={200: CategorySerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN,
                          404: NOT_FOUND, 409: CONFLICT})
@extend_schema(methods=["DELETE"], operation_id="category_delete", summary="Delete an empty category",
               description="Refused (409) while it has products or subcategories: archive it instead.",
               tags=["catalogue"], request=None,
               responses={204: OpenApiResponse(description="Deleted."), 401: UNAUTHENTICATED, 403: FORBIDDEN,
                          404: NOT_FOUND, 409: CONFLICT})
@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([CanUseCategories])
@parser_classes(WRITE_PARSERS)
def category_detail_view(request, category_id: int):
    category = category_get(pk=category_id)
    if request.method == "GET":
        return _response(category)
    if request.method == "DELETE":
        category_delete(category=category, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
    serializer = CategoryUpdateSerializer(data=request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    active = data.pop("active", None)
    if data:
        category = category_update(category=category, **data, user=request.user)
    if active is True:
        category = category_restore(category=category, user=request.user)
    elif active is False:
        category = category_archive(category=category, user=request.user)
    return _response(category)

"""JSON API v1: suppliers and their items.

Reads need suppliers.view_supplier (items: view_supplieritem); writes need the add,
change or delete permission of the supplier or the item. Unit costs are shown and set
only by users who may see prices (inventory.view_prices).
"""
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from api.fields import DecimalTextField, JsonBooleanField, StringField, WholeNumberField
from api.exceptions import UNKNOWN
from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED, WRITE_PARSERS
from api.pagination import paginated_response
from api.serializers import ErrorSerializer
from core.exceptions import Conflict, NotFound
from inventory.selectors import variant_get
from suppliers.models import Supplier, SupplierItem
from suppliers.selectors import supplier_get, supplier_item_get, supplier_items, supplier_list
from suppliers.services import (
    MAX_COST,
    MAX_LEAD_TIME_DAYS,
    MAX_ORDER_QUANTITY,
    supplier_create,
    supplier_delete,
    supplier_item_create,
    supplier_item_delete,
    supplier_item_update,
    supplier_update,
)

PRICES_PERM = "inventory.view_prices"



# --- permissions ----------------------------------------------------------------

class MethodPermission(BasePermission):
    """A signed-in user holding the permission this request method needs."""

    perms: dict[str, str] = {}
    messages: dict[str, str] = {}

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        self.message = self.messages.get(method, "You do not have permission to do this.")
        perm = self.perms.get(method)
        return bool(perm) and user.has_perm(perm)


class CanUseSuppliers(MethodPermission):
    perms = {
        "GET": "suppliers.view_supplier",
        "POST": "suppliers.add_supplier",
        "PUT": "suppliers.change_supplier",
        "PATCH": "suppliers.change_supplier",
        "DELETE": "suppliers.delete_supplier",
    }
    messages = {
        "GET": "You do not have permission to view suppliers.",
        "POST": "You do not have permission to create suppliers.",
        "PUT": "You do not have permission to edit suppliers.",
        "PATCH": "You do not have permission to edit suppliers.",
        "DELETE": "You do not have permission to delete suppliers.",
    }


class CanUseSupplierItems(MethodPermission):
    perms = {
        "GET": "suppliers.view_supplieritem",
        "POST": "suppliers.add_supplieritem",
        "PATCH": "suppliers.change_supplieritem",
        "DELETE": "suppliers.delete_supplieritem",
    }
    messages = {
        "GET": "You do not have permission to view supplier items.",
        "POST": "You do not have permission to add supplier items.",
        "PATCH": "You do not have permission to edit supplier items.",
        "DELETE": "You do not have permission to delete supplier items.",
    }


# --- serializers: output ------------------------------------------------------------

class SupplierItemSerializer(serializers.Serializer):
    """An item. `unit_cost` is left out unless the context says `show_prices`."""

    id = serializers.IntegerField()
    sku = StringField(source="variant.sku")
    product = StringField(source="variant.product.name")
    supplier_sku = StringField()
    unit_cost = DecimalTextField(
        max_digits=12, decimal_places=2, required=False,
        help_text="Only for users who may see prices (inventory.view_prices).",
    )
    lead_time_days = serializers.IntegerField()
    minimum_order_quantity = serializers.IntegerField()
    preferred = serializers.BooleanField(help_text="The variant's preferred supplier (one per variant).")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_prices", False):
            data.pop("unit_cost", None)
        return data


class SupplierSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = StringField()
    contact_name = StringField()
    email = StringField()
    phone = StringField()
    address = StringField()
    website = StringField()
    notes = StringField()
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SupplierDetailSerializer(SupplierSerializer):
    items = serializers.SerializerMethodField(help_text="What the supplier sells us, by SKU.")

    @extend_schema_field(SupplierItemSerializer(many=True))
    def get_items(self, supplier) -> list[dict]:
        return SupplierItemSerializer(supplier_items(supplier=supplier), many=True, context=self.context).data


class SupplierPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SupplierSerializer(many=True)


class SupplierItemPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SupplierItemSerializer(many=True)


class SupplierConflictSerializer(serializers.Serializer):
    detail = StringField(help_text="Why it cannot be deleted, and how to deactivate it instead.")
    purchase_orders = serializers.IntegerField(required=False)
    stock_movements = serializers.IntegerField(required=False)


# --- serializers: input -------------------------------------------------------------

class SupplierListQuerySerializer(serializers.Serializer):
    q = StringField(required=False, allow_blank=True, max_length=200,
                              help_text="Search name, contact name or email.")
    # No null: an empty ?active= is refused, not read as "either".
    active = serializers.BooleanField(required=False, default=None,
                                      help_text="true: only active suppliers; false: only inactive ones.")


# A web address as the service takes it: a host name with a dot (labels of at most 63
# characters), an optional port and path; https:// is added when no scheme is given.
WEBSITE_PATTERN = (r"^$|^(?:https?://)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
                   r"(?::[0-9]{1,5})?(?:/[!-~]*)?$")


@extend_schema_field({"type": "string", "maxLength": 192, "pattern": WEBSITE_PATTERN})
class WebsiteField(StringField):
    """A supplier's website (the service checks and completes it)."""


EMAIL_PATTERN = (r"^$|^[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                 r"[A-Za-z]{2,63}$")


@extend_schema_field({"type": "string", "maxLength": 254, "pattern": EMAIL_PATTERN})
class EmailTextField(StringField):
    """A supplier's email address, or blank (the service checks it)."""


def _text_field(max_length: int, **kwargs) -> StringField:
    return StringField(max_length=max_length, required=False, allow_blank=True, default="",
                                 trim_whitespace=True, **kwargs)


class SupplierCreateSerializer(serializers.Serializer):
    name = StringField(max_length=200, help_text="Unique whatever its case.")
    contact_name = _text_field(200)
    email = EmailTextField(max_length=254, required=False, allow_blank=True, default="", trim_whitespace=True)
    phone = _text_field(50)
    address = _text_field(5000)
    # 192: room for the https:// added to an address without a scheme (200 stored at most).
    website = WebsiteField(max_length=192, required=False, allow_blank=True, default="", trim_whitespace=True,
                           help_text="An http(s) address; https:// is added when no scheme is given.")
    notes = _text_field(5000)
    active = JsonBooleanField(required=False, default=True)


class SupplierUpdateSerializer(serializers.Serializer):
    """PUT sends every field (missing ones take their defaults); PATCH only those to change."""

    name = StringField(max_length=200)
    contact_name = _text_field(200)
    email = EmailTextField(max_length=254, required=False, allow_blank=True, default="", trim_whitespace=True)
    phone = _text_field(50)
    address = _text_field(5000)
    website = WebsiteField(max_length=192, required=False, allow_blank=True, default="", trim_whitespace=True)
    notes = _text_field(5000)
    active = JsonBooleanField(required=False, default=True,
                                      help_text="false deactivates: no new purchase orders; history stays.")


def _cost_field(**kwargs) -> DecimalTextField:
    return DecimalTextField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), max_value=MAX_COST - Decimal("0.01"),
        help_text="Only for users who may see prices.", **kwargs,
    )


class SupplierItemCreateSerializer(serializers.Serializer):
    sku = StringField(max_length=64, help_text="Our SKU of the variant.")
    supplier_sku = _text_field(64)
    unit_cost = _cost_field(required=False, default=Decimal("0.00"))
    lead_time_days = WholeNumberField(min_value=0, max_value=MAX_LEAD_TIME_DAYS, required=False, default=7)
    minimum_order_quantity = WholeNumberField(min_value=1, max_value=MAX_ORDER_QUANTITY, required=False, default=1)
    preferred = JsonBooleanField(
        required=False, default=False,
        help_text="Make this the variant's preferred supplier; the previous one stops being preferred.",
    )

    def validate_sku(self, value: str):
        try:
            return variant_get(sku=value.strip())
        except NotFound:
            raise serializers.ValidationError(f"Unknown SKU {value!r}.", code=UNKNOWN) from None


class SupplierItemUpdateSerializer(serializers.Serializer):
    supplier_sku = StringField(max_length=64, required=False, allow_blank=True)
    unit_cost = _cost_field(required=False)
    lead_time_days = WholeNumberField(min_value=0, max_value=MAX_LEAD_TIME_DAYS, required=False)
    minimum_order_quantity = WholeNumberField(min_value=1, max_value=MAX_ORDER_QUANTITY, required=False)
    preferred = JsonBooleanField(required=False)


# --- helpers ------------------------------------------------------------------------

def _context(request) -> dict:
    return {"show_prices": request.user.has_perm(PRICES_PERM)}




def _refuse_cost(request) -> None:
    if "unit_cost" in request.data and not request.user.has_perm(PRICES_PERM):
        raise PermissionDenied("Setting a unit cost needs the permission to see prices; leave it out.")


def _supplier_detail(request, supplier: Supplier, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(SupplierDetailSerializer(supplier, context=_context(request)).data, status=status_code)


def _item_response(request, item: SupplierItem, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(SupplierItemSerializer(item, context=_context(request)).data, status=status_code)


NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown supplier or item.")
NAME_TAKEN = OpenApiResponse(OpenApiTypes.OBJECT, description="`{name: [message]}`: another supplier has the name.")
COST_NOTE = "`unit_cost` only for users who may see prices (inventory.view_prices)."


# --- suppliers ----------------------------------------------------------------------

@extend_schema(
    methods=["GET"],
    operation_id="supplier_list",
    summary="List suppliers by name",
    tags=["suppliers"],
    parameters=[SupplierListQuerySerializer, *PAGE_PARAMETERS],
    responses={200: SupplierPageSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@extend_schema(
    methods=["POST"],
    operation_id="supplier_create",
    summary="Create a supplier",
    tags=["suppliers"],
    request=SupplierCreateSerializer,
    responses={201: SupplierDetailSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 409: NAME_TAKEN},
)
@api_view(["GET", "POST"])
@permission_classes([CanUseSuppliers])
@parser_classes(WRITE_PARSERS)
def supplier_list_view(request):
    if request.method == "POST":
        serializer = SupplierCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        supplier = supplier_create(**serializer.validated_data, user=request.user)
        return _supplier_detail(request, supplier, status_code=status.HTTP_201_CREATED)
    query = SupplierListQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    suppliers = supplier_list(q=query.validated_data.get("q"), active=query.validated_data.get("active"))
    return paginated_response(request, suppliers, SupplierSerializer)


@extend_schema(
    methods=["GET"],
    operation_id="supplier_detail",
    summary="One supplier with its items",
    description=COST_NOTE,
    tags=["suppliers"],
    responses={200: SupplierDetailSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@extend_schema(
    methods=["PUT"],
    operation_id="supplier_update",
    summary="Replace a supplier's details",
    tags=["suppliers"],
    request=SupplierUpdateSerializer,
    responses={200: SupplierDetailSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND, 409: NAME_TAKEN},
)
@extend_schema(
    methods=["PATCH"],
    operation_id="supplier_partial_update",
    summary="Change some of a supplier's details",
    description='`{"active": false}` deactivates the supplier: no new purchase orders go to it; its history stays.',
    tags=["suppliers"],
    request=SupplierUpdateSerializer,
    responses={200: SupplierDetailSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND, 409: NAME_TAKEN},
)
@extend_schema(
    methods=["DELETE"],
    operation_id="supplier_delete",
    summary="Delete a supplier and its items",
    description="Refused with 409 while purchase orders or stock movements refer to it: deactivate it instead.",
    tags=["suppliers"],
    request=None,
    responses={
        204: OpenApiResponse(description="Deleted."),
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: NOT_FOUND,
        409: OpenApiResponse(SupplierConflictSerializer, description="It has purchase orders or stock movements."),
    },
)
@api_view(["GET", "PUT", "PATCH", "DELETE"])
@permission_classes([CanUseSuppliers])
@parser_classes(WRITE_PARSERS)
def supplier_detail_view(request, supplier_id: int):
    supplier = supplier_get(pk=supplier_id)
    if request.method == "GET":
        return _supplier_detail(request, supplier)
    if request.method == "DELETE":
        try:
            supplier_delete(supplier=supplier, user=request.user)
        except Conflict as exc:
            body = {**exc.details, "detail": f'{exc.message} Use PATCH {{"active": false}} to deactivate it.'}
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)
    serializer = SupplierUpdateSerializer(data=request.data, partial=request.method == "PATCH")
    serializer.is_valid(raise_exception=True)
    supplier = supplier_update(supplier=supplier, **serializer.validated_data, user=request.user)
    return _supplier_detail(request, supplier)


# --- items --------------------------------------------------------------------------

@extend_schema(
    methods=["GET"],
    operation_id="supplier_item_list",
    summary="A supplier's items, by SKU",
    description=COST_NOTE,
    tags=["suppliers"],
    parameters=PAGE_PARAMETERS,
    responses={200: SupplierItemPageSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@extend_schema(
    methods=["POST"],
    operation_id="supplier_item_create",
    summary="Add an item (a variant the supplier sells)",
    description="One item per supplier and SKU. Sending `unit_cost` needs the permission to see prices.",
    tags=["suppliers"],
    request=SupplierItemCreateSerializer,
    responses={201: SupplierItemSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
               409: OpenApiResponse(OpenApiTypes.OBJECT, description="`{detail, sku}`: the supplier already has an "
                                                                     "item for the SKU.")},
)
@api_view(["GET", "POST"])
@permission_classes([CanUseSupplierItems])
@parser_classes(WRITE_PARSERS)
def supplier_item_list_view(request, supplier_id: int):
    supplier = supplier_get(pk=supplier_id)
    if request.method == "GET":
        return paginated_response(request, supplier_items(supplier=supplier), SupplierItemSerializer,
                          context=_context(request))
    serializer = SupplierItemCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    _refuse_cost(request)
    item = supplier_item_create(
        supplier=supplier,
        variant=data["sku"],
        supplier_sku=data["supplier_sku"],
        unit_cost=data["unit_cost"],
        lead_time_days=data["lead_time_days"],
        minimum_order_quantity=data["minimum_order_quantity"],
        preferred=data["preferred"],
    )
    return _item_response(request, item, status_code=status.HTTP_201_CREATED)


@extend_schema(
    methods=["GET"],
    operation_id="supplier_item_detail",
    summary="One of a supplier's items",
    description=COST_NOTE,
    tags=["suppliers"],
    responses={200: SupplierItemSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@extend_schema(
    methods=["PATCH"],
    operation_id="supplier_item_update",
    summary="Change an item",
    description="`preferred: true` makes this the variant's preferred supplier. Sending `unit_cost` needs the "
                "permission to see prices.",
    tags=["suppliers"],
    request=SupplierItemUpdateSerializer,
    responses={200: SupplierItemSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@extend_schema(
    methods=["DELETE"],
    operation_id="supplier_item_delete",
    summary="Remove an item",
    tags=["suppliers"],
    request=None,
    responses={204: OpenApiResponse(description="Removed."), 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([CanUseSupplierItems])
@parser_classes(WRITE_PARSERS)
def supplier_item_detail_view(request, supplier_id: int, item_id: int):
    supplier = supplier_get(pk=supplier_id)
    item = supplier_item_get(supplier=supplier, pk=item_id)
    if request.method == "GET":
        return _item_response(request, item)
    if request.method == "DELETE":
        supplier_item_delete(item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)
    serializer = SupplierItemUpdateSerializer(data=request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    _refuse_cost(request)
    item = supplier_item_update(item=item, **serializer.validated_data)
    return _item_response(request, item)

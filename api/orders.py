"""JSON API v1: sales orders.

Reads need orders.view_salesorder, creating orders.add_salesorder, moving an order along
orders.transition_salesorder (refunding it orders.refund_salesorder as well). Changing a
pending order (PATCH) needs orders.add_salesorder, and moving a confirmed order's ship-from
location orders.transition_salesorder. Recording a payment needs orders.transition_salesorder
and inventory.view_prices (Manager, Admin: Staff never see money). Money fields are shown,
and unit prices set, only by users who may see prices (inventory.view_prices).
"""
from decimal import Decimal

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from api.exceptions import UNKNOWN
from api.fields import DecimalTextField, StringField
from api.lines import line_variants
from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED, WRITE_PARSERS
from api.pagination import paginated_response
from api.permissions import (
    PRICES_PERM,
    REFUND_PERM,
    CanListOrCreateOrders,
    CanTransitionOrders,
    ReadWritePermission,
)
from api.serializers import (
    MAX_LINES,
    ErrorSerializer,
    IllegalTransitionSerializer,
    OrderCreateSerializer,
    OrderLineRequestSerializer,
    OrderListQuerySerializer,
    OrderPageSerializer,
    OrderSerializer,
    OrderTransitionSerializer,
)
from inventory.models import Location
from inventory.selectors import location_list
from orders.models import OrderSource, OrderStatus, PaymentMethod, SalesOrder
from orders.selectors import sales_order_get, sales_order_list, sales_order_with_details
from orders.services import (
    KEEP,
    OrderLineRequest,
    sales_order_create,
    sales_order_payment_record,
    sales_order_transition,
    sales_order_update,
)

TRANSITION_PERM = "orders.transition_salesorder"
# Recording money: Manager and Admin (Staff do not see prices, so not what is due either).
PAYMENT_PERMS = (TRANSITION_PERM, PRICES_PERM)


class CanViewOrEditOrders(ReadWritePermission):
    read_perm = "orders.view_salesorder"
    write_perm = "orders.add_salesorder"
    read_message = "You do not have permission to view orders."
    write_message = "You do not have permission to change orders."


class CanRecordPayments(BasePermission):
    message = "You do not have permission to record payments (it needs the permission to see prices)."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perms(PAYMENT_PERMS))


class OrderUpdateSerializer(serializers.Serializer):
    lines = OrderLineRequestSerializer(
        many=True, allow_empty=False, max_length=MAX_LINES, required=False,
        help_text="Every line of the order, replacing the current ones (only while PENDING). A SKU already on "
                  "the order keeps its unit price unless one is given; a new SKU takes the catalogue's.",
    )
    ship_from = StringField(
        max_length=32, required=False, allow_blank=True, allow_null=True,
        help_text="Location code the order ships from; null or empty: the default location "
                  "(while PENDING or CONFIRMED; a confirmed order's reservation moves with it).",
    )

    def validate_ship_from(self, value: str | None) -> Location | None:
        if not value:
            return None
        location = location_list(active_only=False).filter(code=value).first()
        if location is None:
            raise serializers.ValidationError(f"Unknown location {value!r}.", code=UNKNOWN)
        return location


class PaymentRecordSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PaymentMethod.choices, help_text="How the customer paid.")
    amount = DecimalTextField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"),
        help_text="The amount received, e.g. \"12.50\": more than 0 and at most what is still due.",
    )
    reference = StringField(max_length=100, required=False, allow_blank=True, default="",
                            help_text="E.g. the card slip or bank transfer reference.")

UNKNOWN_SKU = OpenApiResponse(ErrorSerializer, description="Unknown SKU.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown SKU, reservation or order.")


def order_with_details(number: str) -> SalesOrder:
    """The order with everything OrderSerializer shows (also the checkout's answer); 404 when unknown."""
    return sales_order_with_details(sales_order_list()).filter(pk=sales_order_get(number=number).pk).get()


def order_context(request) -> dict:
    """OrderSerializer's context: money fields only for users who may see prices."""
    return {"show_prices": request.user.has_perm(PRICES_PERM)}


def _order_response(request, order: SalesOrder, *, status_code: int = status.HTTP_200_OK) -> Response:
    body = OrderSerializer(order_with_details(order.number), context=order_context(request)).data
    return Response(body, status=status_code)


@extend_schema(
    methods=["GET"],
    operation_id="order_list",
    summary="List sales orders, newest first",
    description="Money fields (`total`, `amount_paid`, `amount_refunded`, lines' `unit_price`) only for users who may see prices.",
    tags=["orders"],
    parameters=[OrderListQuerySerializer, *PAGE_PARAMETERS],
    responses={200: OrderPageSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@extend_schema(
    methods=["POST"],
    operation_id="order_create",
    summary="Create a sales order",
    description="A PENDING order (source API); confirming it reserves the stock. Prices default to the catalogue's.",
    tags=["orders"],
    request=OrderCreateSerializer,
    responses={201: OrderSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: UNKNOWN_SKU},
)
@api_view(["GET", "POST"])
@permission_classes([CanListOrCreateOrders])
@parser_classes(WRITE_PARSERS)
def order_list_view(request):
    if request.method == "POST":
        return _order_create(request)
    query = OrderListQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    filters = query.validated_data
    orders = sales_order_with_details(sales_order_list(status=filters.get("status"), q=filters.get("search")))
    return paginated_response(request, orders, OrderSerializer, context=order_context(request))


def _order_create(request) -> Response:
    serializer = OrderCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    if any(line.get("unit_price") is not None for line in data["lines"]) and not request.user.has_perm(PRICES_PERM):
        raise PermissionDenied("Setting a unit price needs the permission to see prices; leave it out to use the catalogue price.")
    variants = line_variants(data["lines"])
    order = sales_order_create(
        lines=[
            OrderLineRequest(variant=variant, quantity=line["quantity"], unit_price=line.get("unit_price"),
                             location=line.get("location"))
            for variant, line in zip(variants, data["lines"], strict=True)
        ],
        customer_name=data["customer_name"],
        customer_email=data["customer_email"],
        notes=data["notes"],
        source=OrderSource.API,
        user=request.user,
    )
    return _order_response(request, order, status_code=status.HTTP_201_CREATED)


CONFLICT = OpenApiResponse(IllegalTransitionSerializer,
                           description="Not allowed in the order's status, or not enough stock where it would ship from.")


@extend_schema(
    methods=["GET"],
    operation_id="order_detail",
    summary="One sales order",
    tags=["orders"],
    responses={200: OrderSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@extend_schema(
    methods=["PATCH"],
    operation_id="order_update",
    summary="Change a sales order's lines or ship-from location",
    description=(
        "`lines` replaces every line of a PENDING order (checked as on create; unit prices only for users "
        "who may see prices). `ship_from` changes where the order ships from while it is PENDING or CONFIRMED "
        "(moving a confirmed order's reservation: all or nothing). Anything else answers 409. "
        "An empty body changes nothing."
    ),
    tags=["orders"],
    request=OrderUpdateSerializer,
    responses={200: OrderSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
               409: CONFLICT},
)
@api_view(["GET", "PATCH"])
@permission_classes([CanViewOrEditOrders])
@parser_classes(WRITE_PARSERS)
def order_detail_view(request, number: str):
    if request.method == "PATCH":
        return _order_update(request, number)
    return Response(OrderSerializer(order_with_details(number), context=order_context(request)).data)


def _order_update(request, number: str) -> Response:
    order = sales_order_get(number=number)
    serializer = OrderUpdateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    if not data:
        return _order_response(request, order)
    lines = None
    if "lines" in data:
        if any(line.get("unit_price") is not None for line in data["lines"]) and not request.user.has_perm(PRICES_PERM):
            raise PermissionDenied("Setting a unit price needs the permission to see prices; leave it out to keep "
                                   "the line's price.")
        variants = line_variants(data["lines"])
        lines = [
            OrderLineRequest(variant=variant, quantity=line["quantity"], unit_price=line.get("unit_price"),
                             location=line.get("location"))
            for variant, line in zip(variants, data["lines"], strict=True)
        ]
    ship_from = data.get("ship_from", KEEP)
    if ship_from is not KEEP and order.status != OrderStatus.PENDING and not request.user.has_perm(TRANSITION_PERM):
        raise PermissionDenied("Moving a confirmed order to another location needs the permission to move orders along.")
    order = sales_order_update(order=order, lines=lines, ship_from=ship_from, user=request.user)
    return _order_response(request, order)


@extend_schema(
    operation_id="order_payment_record",
    summary="Record a payment received for an order",
    description=(
        "For orders taken by hand (not checkout orders, which Stripe pays): the amount raises `amount_paid`; "
        "when the payments reach the total the order is paid (`paid`, `paid_at`). More than is still due "
        "answers 400; a closed or fully paid order 409. Needs the permissions to move orders along and to see "
        "prices (Manager, Admin). Answers with the order."
    ),
    tags=["orders"],
    request=PaymentRecordSerializer,
    responses={201: OrderSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
               409: CONFLICT},
)
@api_view(["POST"])
@permission_classes([CanRecordPayments])
@parser_classes(WRITE_PARSERS)
def order_payment_view(request, number: str):
    order = sales_order_get(number=number)
    serializer = PaymentRecordSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    sales_order_payment_record(order=order, method=data["method"], amount=data["amount"],
                               reference=data["reference"], user=request.user)
    return _order_response(request, order, status_code=status.HTTP_201_CREATED)


@extend_schema(
    operation_id="order_transition",
    summary="Move a sales order to another status",
    description=(
        "CONFIRMED reserves every line, SHIPPED sells the reserved stock (SALE), CANCELLED releases it, "
        "REFUNDED (needs the refund permission) releases what is held and restocks what was sold but not shipped."
    ),
    tags=["orders"],
    request=OrderTransitionSerializer,
    responses={
        200: OrderSerializer,
        400: BAD_INPUT,
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: NOT_FOUND,
        409: OpenApiResponse(IllegalTransitionSerializer, description="Not allowed from the order's status, or not enough stock."),
    },
)
@api_view(["POST"])
@permission_classes([CanTransitionOrders])
@parser_classes(WRITE_PARSERS)
def order_transition_view(request, number: str):
    serializer = OrderTransitionSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    if data["to"] == OrderStatus.REFUNDED and not request.user.has_perm(REFUND_PERM):
        raise PermissionDenied("You do not have permission to refund orders.")
    order = order_with_details(number)
    order = sales_order_transition(order=order, to=data["to"], user=request.user, note=data["note"])
    return _order_response(request, order)

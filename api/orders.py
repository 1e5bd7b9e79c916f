"""JSON API v1: sales orders.

Reads need orders.view_salesorder, creating orders.add_salesorder, moving an order along
orders.transition_salesorder (refunding it orders.refund_salesorder as well). Money fields
are shown, and unit prices set, only by users who may see prices (inventory.view_prices).
"""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from api.lines import line_variants
from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED, WRITE_PARSERS
from api.pagination import paginated_response
from api.permissions import PRICES_PERM, REFUND_PERM, CanListOrCreateOrders, CanTransitionOrders, CanViewOrders
from api.serializers import (
    ErrorSerializer,
    IllegalTransitionSerializer,
    OrderCreateSerializer,
    OrderListQuerySerializer,
    OrderPageSerializer,
    OrderSerializer,
    OrderTransitionSerializer,
)
from orders.models import OrderSource, OrderStatus, SalesOrder
from orders.selectors import sales_order_get, sales_order_list, sales_order_with_details
from orders.services import OrderLineRequest, sales_order_create, sales_order_transition

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


@extend_schema(
    operation_id="order_detail",
    summary="One sales order",
    tags=["orders"],
    responses={200: OrderSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@api_view(["GET"])
@permission_classes([CanViewOrders])
def order_detail_view(request, number: str):
    return Response(OrderSerializer(order_with_details(number), context=order_context(request)).data)


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

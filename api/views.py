"""JSON API v1. Each view: check input with a serializer, read with a selector or call
one service, answer with an output serializer. Domain errors (ApplicationError)
become 4xx/5xx bodies in api.exceptions.api_exception_handler.
"""
from datetime import timedelta

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED, WRITE_PARSERS
from api.pagination import paginated_response
from api.permissions import (
    PRICES_PERM,
    REFUND_PERM,
    CanAdjustStock,
    CanCheckout,
    CanCommitReservations,
    CanListOrCreateOrders,
    CanListOrCreateReservations,
    CanTransferStock,
    CanTransitionOrders,
    CanValidateCart,
    CanViewMovements,
    CanViewOrders,
    CanViewReservations,
    CanViewStock,
)
from api.serializers import (
    CartValidateResultSerializer,
    CartValidateSerializer,
    CheckoutResultSerializer,
    CheckoutSerializer,
    ErrorSerializer,
    IllegalTransitionSerializer,
    MovementListQuerySerializer,
    MovementPageSerializer,
    MovementSerializer,
    OrderCreateSerializer,
    OrderListQuerySerializer,
    OrderPageSerializer,
    OrderSerializer,
    OrderTransitionSerializer,
    ReservationCreateSerializer,
    ReservationListQuerySerializer,
    ReservationPageSerializer,
    ReservationSerializer,
    ShortfallSerializer,
    StockAdjustSerializer,
    StockChangeSerializer,
    StockConflictSerializer,
    StockCountSerializer,
    StockDetailQuerySerializer,
    StockDetailSerializer,
    StockListQuerySerializer,
    StockPageSerializer,
    StockRowSerializer,
    StockTransferResultSerializer,
    StockTransferSerializer,
)
from core.exceptions import IllegalTransition, NotFound
from inventory.models import Reservation, Variant
from inventory.selectors import (
    location_default,
    location_get,
    movement_list,
    reservation_get,
    reservation_list,
    stock_level_list,
    variant_get,
)
from inventory.services import (
    ReservationLineRequest,
    reservation_commit,
    reservation_create,
    reservation_release,
    stock_adjust,
    stock_count,
    stock_transfer,
)
from orders.models import OrderSource, OrderStatus, SalesOrder
from orders.selectors import sales_order_get, sales_order_list, sales_order_with_details
from orders.services import OrderLineRequest, checkout_create, sales_order_create, sales_order_transition

UNKNOWN_SKU = OpenApiResponse(ErrorSerializer, description="Unknown SKU.")




@extend_schema(
    operation_id="stock_list",
    summary="List stock levels",
    tags=["stock"],
    parameters=[StockListQuerySerializer, *PAGE_PARAMETERS],
    responses={200: StockPageSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@api_view(["GET"])
@permission_classes([CanViewStock])
def stock_list_view(request):
    query = StockListQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    filters = query.validated_data
    if filters["out_of_stock"]:
        stock_status = "out"
    elif filters["low_stock"]:
        stock_status = "low"
    else:
        stock_status = ""
    levels = stock_level_list(
        search=filters.get("q", ""),
        sku=filters.get("sku", ""),
        category_id=filters.get("category"),
        location_code=filters.get("location", ""),
        status=stock_status,
        sort=filters["sort"],
    )
    return paginated_response(request, levels, StockRowSerializer)


@extend_schema(
    operation_id="stock_detail",
    summary="One variant's stock, per location and in total",
    tags=["stock"],
    parameters=[StockDetailQuerySerializer],
    responses={200: StockDetailSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: UNKNOWN_SKU},
)
@api_view(["GET"])
@permission_classes([CanViewStock])
def stock_detail_view(request, sku: str):
    query = StockDetailQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    variant = variant_get(sku=sku)
    levels = list(stock_level_list(sku=variant.sku, location_code=query.validated_data.get("location", "")))
    body = {
        "sku": variant.sku,
        "product": variant.product.name,
        "levels": levels,
        "on_hand": sum(level.on_hand for level in levels),
        "reserved": sum(level.reserved for level in levels),
        "available": sum(level.available for level in levels),
    }
    return Response(StockDetailSerializer(body).data)


@extend_schema(
    operation_id="stock_adjust",
    summary="Adjust stock by a signed quantity",
    description=(
        "Writes one movement of the given type. Answers 201 with the level and the movement; "
        "a retry with the same `idempotency_key` answers 200 with the first result and writes nothing."
    ),
    tags=["stock"],
    request=StockAdjustSerializer,
    responses={
        201: StockChangeSerializer,
        200: OpenApiResponse(StockChangeSerializer, description="Replay of an earlier request with the same idempotency key."),
        400: BAD_INPUT,
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: UNKNOWN_SKU,
        409: OpenApiResponse(StockConflictSerializer, description="Not enough stock, or `expected_on_hand` did not match."),
    },
)
@api_view(["POST"])
@permission_classes([CanAdjustStock])
@parser_classes(WRITE_PARSERS)
def stock_adjust_view(request):
    serializer = StockAdjustSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    variant = variant_get(sku=data["sku"])
    location = location_get(code=data.get("location"), field="location")
    change = stock_adjust(
        variant=variant,
        location=location,
        quantity=data["quantity"],
        type=data["type"],
        reason=data["reason"],
        notes=data["notes"],
        user=request.user,
        idempotency_key=data.get("idempotency_key"),
        expected_on_hand=data.get("expected_on_hand"),
    )
    return Response(
        StockChangeSerializer(change).data,
        status=status.HTTP_200_OK if change.replayed else status.HTTP_201_CREATED,
    )


@extend_schema(
    operation_id="stock_count",
    summary="Record a stock count",
    description=(
        "Sets on_hand to the counted quantity and writes the difference as a COUNT movement. "
        "With `expected_on_hand`, refuses with 409 and the current value when the level holds something else."
    ),
    tags=["stock"],
    request=StockCountSerializer,
    responses={
        201: StockChangeSerializer,
        200: OpenApiResponse(StockChangeSerializer, description="Replay of an earlier request with the same idempotency key."),
        400: BAD_INPUT,
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: UNKNOWN_SKU,
        409: OpenApiResponse(StockConflictSerializer, description="`expected_on_hand` did not match, or the count is below what is reserved."),
    },
)
@api_view(["POST"])
@permission_classes([CanAdjustStock])
@parser_classes(WRITE_PARSERS)
def stock_count_view(request):
    serializer = StockCountSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    variant = variant_get(sku=data["sku"])
    location = location_get(code=data.get("location"), field="location")
    change = stock_count(
        variant=variant,
        location=location,
        counted=data["counted"],
        reason=data["reason"],
        notes=data["notes"],
        user=request.user,
        idempotency_key=data.get("idempotency_key"),
        expected_on_hand=data.get("expected_on_hand"),
    )
    return Response(
        StockChangeSerializer(change).data,
        status=status.HTTP_200_OK if change.replayed else status.HTTP_201_CREATED,
    )


@extend_schema(
    operation_id="stock_transfer",
    summary="Move units between two locations",
    description="Writes TRANSFER_OUT and TRANSFER_IN in one transaction.",
    tags=["stock"],
    request=StockTransferSerializer,
    responses={
        201: StockTransferResultSerializer,
        200: OpenApiResponse(StockTransferResultSerializer, description="Replay of an earlier request with the same idempotency key."),
        400: BAD_INPUT,
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: UNKNOWN_SKU,
        409: OpenApiResponse(StockConflictSerializer, description="Not enough stock at the source."),
    },
)
@api_view(["POST"])
@permission_classes([CanTransferStock])
@parser_classes(WRITE_PARSERS)
def stock_transfer_view(request):
    serializer = StockTransferSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    variant = variant_get(sku=data["sku"])
    from_location = location_get(code=data["from_location"], field="from_location")
    to_location = location_get(code=data["to_location"], field="to_location")
    transfer = stock_transfer(
        variant=variant,
        from_location=from_location,
        to_location=to_location,
        quantity=data["quantity"],
        reason=data["reason"],
        notes=data["notes"],
        user=request.user,
        idempotency_key=data.get("idempotency_key"),
    )
    result = {
        "from": transfer.from_level,
        "to": transfer.to_level,
        "movements": [transfer.out_movement, transfer.in_movement],
    }
    return Response(
        StockTransferResultSerializer(result).data,
        status=status.HTTP_200_OK if transfer.replayed else status.HTTP_201_CREATED,
    )


@extend_schema(
    operation_id="movement_list",
    summary="List stock movements (the ledger), newest first",
    tags=["movements"],
    parameters=[MovementListQuerySerializer, *PAGE_PARAMETERS],
    responses={200: MovementPageSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@api_view(["GET"])
@permission_classes([CanViewMovements])
def movement_list_view(request):
    query = MovementListQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    filters = query.validated_data
    movements = movement_list(
        sku=filters.get("sku", ""),
        type=filters.get("type", ""),
        location_code=filters.get("location", ""),
        user_id=filters.get("user"),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    return paginated_response(request, movements, MovementSerializer)


@permission_required("inventory.view_stocklevel", raise_exception=True)
def api_docs_view(request):
    """Swagger UI over /api/v1/schema/, initialised by static/js/api-docs.js (no inline script)."""
    return render(request, "api/docs.html")


# --- cart, reservations, checkout and orders ---------------------------------------

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown SKU, reservation or order.")
SHORTFALL = OpenApiResponse(ShortfallSerializer, description="Not enough stock for some lines: nothing was held.")


def _variants(lines: list[dict]) -> list[Variant]:
    """Each line's variant, in order; NotFound (404) naming the first unknown SKU and its line."""
    found: dict[str, Variant] = {}
    for index, line in enumerate(lines, start=1):
        sku = line["sku"]
        if sku not in found:
            try:
                found[sku] = variant_get(sku=sku)
            except NotFound:
                raise NotFound(f"Line {index}: unknown SKU {sku!r}.", details={"sku": sku, "line": index}) from None
    return [found[line["sku"]] for line in lines]


def _order_get(number: str) -> SalesOrder:
    return sales_order_with_details(sales_order_list()).filter(pk=sales_order_get(number=number).pk).get()


def _order_response(request, order: SalesOrder, *, status_code: int = status.HTTP_200_OK) -> Response:
    body = OrderSerializer(_order_get(order.number), context=_order_context(request)).data
    return Response(body, status=status_code)


def _order_context(request) -> dict:
    return {"show_prices": request.user.has_perm(PRICES_PERM)}


@extend_schema(
    operation_id="cart_validate",
    summary="Check whether a cart's lines are in stock",
    description=(
        "Reads only; holds nothing. Each line is judged at its location (the default one when omitted) "
        "against the cart's total for that SKU there. `status`: `ok`, `insufficient` (some, not enough), "
        "`out_of_stock` (none available) or `unknown_sku` (no such SKU, or not for sale; `available` null)."
    ),
    tags=["cart"],
    request=CartValidateSerializer,
    responses={200: CartValidateResultSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@api_view(["POST"])
@permission_classes([CanValidateCart])
@parser_classes(WRITE_PARSERS)
def cart_validate_view(request):
    serializer = CartValidateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    lines = serializer.validated_data["lines"]

    default = None
    variants: dict[str, Variant | None] = {}
    wanted: dict[tuple[str, str], int] = {}
    keyed = []
    for line in lines:
        sku = line["sku"]
        if sku not in variants:
            try:
                variant = variant_get(sku=sku)
            except NotFound:
                variant = None
            # A variant or product that is not for sale cannot be bought: the shop front treats it as unknown.
            variants[sku] = variant if variant and variant.active and variant.product.active else None
        location = line.get("location")
        if location is None:
            default = default or location_default()
            location = default
        key = (sku, location.code)
        wanted[key] = wanted.get(key, 0) + line["quantity"]
        keyed.append((line, key))

    available: dict[tuple[str, str], int] = {}
    for sku, code in wanted:
        if variants[sku] is not None:
            level = stock_level_list(sku=sku, location_code=code).first()
            available[(sku, code)] = max(level.available, 0) if level else 0

    results = []
    for line, key in keyed:
        if variants[line["sku"]] is None:
            line_status, units = "unknown_sku", None
        else:
            units = available[key]
            if units <= 0:
                line_status = "out_of_stock"
            elif wanted[key] > units:
                line_status = "insufficient"
            else:
                line_status = "ok"
        results.append({"sku": line["sku"], "quantity": line["quantity"], "status": line_status, "available": units})
    body = {"ok": all(result["status"] == "ok" for result in results), "lines": results}
    return Response(CartValidateResultSerializer(body).data)


@extend_schema(
    methods=["GET"],
    operation_id="reservation_list",
    summary="List reservations, newest first",
    tags=["reservations"],
    parameters=[ReservationListQuerySerializer, *PAGE_PARAMETERS],
    responses={200: ReservationPageSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN},
)
@extend_schema(
    methods=["POST"],
    operation_id="reservation_create",
    summary="Hold stock for every line, or for none",
    description=(
        "Raises `reserved` on each line's level until the reservation is committed, released or expires "
        "(after `ttl_seconds`, RESERVATION_TTL_MINUTES by default). Answers 201; a retry with the same "
        "`idempotency_key` answers 200 with the same reservation and holds nothing more."
    ),
    tags=["reservations"],
    request=ReservationCreateSerializer,
    responses={
        201: ReservationSerializer,
        200: OpenApiResponse(ReservationSerializer, description="Replay of an earlier request with the same idempotency key."),
        400: BAD_INPUT,
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: UNKNOWN_SKU,
        409: OpenApiResponse(ShortfallSerializer, description=(
            "Not enough stock for some lines (nothing was held), or the idempotency key was used for another reservation."
        )),
    },
)
@api_view(["GET", "POST"])
@permission_classes([CanListOrCreateReservations])
@parser_classes(WRITE_PARSERS)
def reservation_list_view(request):
    if request.method == "POST":
        return _reservation_create(request)
    query = ReservationListQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    filters = query.validated_data
    reservations = reservation_list(status=filters.get("status"), reference=filters.get("reference"))
    return paginated_response(request, reservations, ReservationSerializer)


def _reservation_create(request) -> Response:
    serializer = ReservationCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    variants = _variants(data["lines"])
    ttl_seconds = data.get("ttl_seconds")
    result = reservation_create(
        reference=data["reference"],
        lines=[
            ReservationLineRequest(variant=variant, quantity=line["quantity"], location=line.get("location"))
            for variant, line in zip(variants, data["lines"], strict=True)
        ],
        ttl=timedelta(seconds=ttl_seconds) if ttl_seconds else None,
        idempotency_key=data.get("idempotency_key") or None,
        user=request.user,
    )
    return Response(
        ReservationSerializer(reservation_get(pk=result.reservation.pk)).data,
        status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED,
    )


@extend_schema(
    operation_id="reservation_detail",
    summary="One reservation",
    tags=["reservations"],
    responses={200: ReservationSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
)
@api_view(["GET"])
@permission_classes([CanViewReservations])
def reservation_detail_view(request, pk: int):
    return Response(ReservationSerializer(reservation_get(pk=pk)).data)


def _refuse_order_reservation(reservation: Reservation, action: str) -> None:
    # An order's reservation moves with the order (ship, cancel, Stripe's events), which also
    # keeps the order's lines' sold quantities; committing or releasing it alone would not.
    if reservation.sales_order_id is not None:
        raise IllegalTransition(
            f"Reservation {reservation.pk} belongs to order {reservation.sales_order.number}: "
            f"{action} it through the order instead."
        )


RESERVATION_CONFLICT = OpenApiResponse(ErrorSerializer, description=(
    "Not allowed in the reservation's status, or the reservation belongs to a sales order."
))


@extend_schema(
    operation_id="reservation_commit",
    summary="Sell what the reservation holds",
    description="Lowers `reserved` and `on_hand` and writes one SALE movement per line. Committing twice changes nothing.",
    tags=["reservations"],
    request=None,
    responses={200: ReservationSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND, 409: RESERVATION_CONFLICT},
)
@api_view(["POST"])
@permission_classes([CanCommitReservations])
@parser_classes(WRITE_PARSERS)
def reservation_commit_view(request, pk: int):
    reservation = reservation_get(pk=pk)
    _refuse_order_reservation(reservation, "ship")
    reservation_commit(reservation=reservation, user=request.user)
    return Response(ReservationSerializer(reservation_get(pk=pk)).data)


@extend_schema(
    operation_id="reservation_release",
    summary="Give the held stock back",
    description="Lowers `reserved` again. Releasing a released or expired reservation changes nothing.",
    tags=["reservations"],
    request=None,
    responses={200: ReservationSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND, 409: RESERVATION_CONFLICT},
)
@api_view(["POST"])
@permission_classes([CanCommitReservations])
@parser_classes(WRITE_PARSERS)
def reservation_release_view(request, pk: int):
    reservation = reservation_get(pk=pk)
    _refuse_order_reservation(reservation, "cancel")
    reservation_release(reservation=reservation)
    return Response(ReservationSerializer(reservation_get(pk=pk)).data)


@extend_schema(
    operation_id="checkout_create",
    summary="Reserve a cart and open a Stripe Checkout Session for it",
    description=(
        "Creates a PENDING order, reserves its lines and asks Stripe for a Checkout Session that lapses "
        "with the reservation. Send the customer to `checkout_url`; Stripe's webhooks then confirm or "
        "release the order."
    ),
    tags=["checkout"],
    request=CheckoutSerializer,
    responses={
        201: CheckoutResultSerializer,
        400: BAD_INPUT,
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: UNKNOWN_SKU,
        409: SHORTFALL,
        502: OpenApiResponse(ErrorSerializer, description="Stripe refused: the order is cancelled and the stock released."),
        503: OpenApiResponse(ErrorSerializer, description="Payments are not configured (STRIPE_SECRET_KEY)."),
    },
)
@api_view(["POST"])
@permission_classes([CanCheckout])
@parser_classes(WRITE_PARSERS)
def checkout_view(request):
    serializer = CheckoutSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    variants = _variants(data["lines"])
    result = checkout_create(
        lines=[
            OrderLineRequest(variant=variant, quantity=line["quantity"])
            for variant, line in zip(variants, data["lines"], strict=True)
        ],
        success_url=data["success_url"],
        cancel_url=data["cancel_url"],
        customer_email=data["customer_email"],
        customer_name=data["customer_name"],
        user=request.user,
    )
    body = {"order": _order_get(result.order.number), "checkout_url": result.checkout_url, "expires_at": result.expires_at}
    return Response(CheckoutResultSerializer(body, context=_order_context(request)).data, status=status.HTTP_201_CREATED)


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
    return paginated_response(request, orders, OrderSerializer, context=_order_context(request))


def _order_create(request) -> Response:
    serializer = OrderCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    if any(line.get("unit_price") is not None for line in data["lines"]) and not request.user.has_perm(PRICES_PERM):
        raise PermissionDenied("Setting a unit price needs the permission to see prices; leave it out to use the catalogue price.")
    variants = _variants(data["lines"])
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
    return Response(OrderSerializer(_order_get(number), context=_order_context(request)).data)


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
    order = _order_get(number)
    order = sales_order_transition(order=order, to=data["to"], user=request.user, note=data["note"])
    return _order_response(request, order)

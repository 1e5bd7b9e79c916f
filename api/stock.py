"""JSON API v1: stock levels, and the operations that change them (adjust, count, transfer).

Reads need inventory.view_stocklevel; adjusting and counting need inventory.adjust_stock,
transferring inventory.transfer_stock. Every change goes through the stock services.
"""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.response import Response

from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED, WRITE_PARSERS
from api.pagination import paginated_response
from api.permissions import CanAdjustStock, CanTransferStock, CanViewStock
from api.serializers import (
    ErrorSerializer,
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
from core.exceptions import Conflict
from inventory.selectors import location_get, stock_level_list, variant_get
from inventory.services import stock_adjust, stock_count, stock_transfer

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
        409: OpenApiResponse(StockConflictSerializer, description="Not enough stock at the source, or the source "
                                                                  "and destination are the same location."),
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
    if to_location.pk == from_location.pk:
        # Well formed (no schema can say the two must differ), but the two fields clash: 409.
        raise Conflict("Source and destination must be different locations.", field="to_location")
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

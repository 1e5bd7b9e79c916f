"""JSON API v1: reservations (stock held for a cart, an order, a session).

Reads need inventory.view_reservation, creating inventory.add_reservation, committing and
releasing inventory.commit_reservation. A reservation that belongs to a sales order moves
with its order: committing or releasing it here is refused with 409
(orders.services.reservation_commit_standalone, reservation_release_standalone).
"""
from datetime import timedelta

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.response import Response

from api.lines import line_variants
from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED, WRITE_PARSERS
from api.pagination import paginated_response
from api.permissions import CanCommitReservations, CanListOrCreateReservations, CanViewReservations
from api.serializers import (
    ErrorSerializer,
    ReservationCreateSerializer,
    ReservationListQuerySerializer,
    ReservationPageSerializer,
    ReservationSerializer,
    ShortfallSerializer,
)
from inventory.selectors import reservation_get, reservation_list
from inventory.services import ReservationLineRequest, reservation_create
from orders.services import reservation_commit_standalone, reservation_release_standalone

UNKNOWN_SKU = OpenApiResponse(ErrorSerializer, description="Unknown SKU.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown SKU, reservation or order.")
RESERVATION_CONFLICT = OpenApiResponse(ErrorSerializer, description=(
    "Not allowed in the reservation's status, or the reservation belongs to a sales order."
))


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
    variants = line_variants(data["lines"])
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
    reservation_commit_standalone(reservation=reservation_get(pk=pk), user=request.user)
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
    reservation_release_standalone(reservation=reservation_get(pk=pk))
    return Response(ReservationSerializer(reservation_get(pk=pk)).data)

"""JSON API v1: the stock ledger (movements), newest first. Needs inventory.view_stockmovement."""
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes

from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED
from api.pagination import paginated_response
from api.permissions import CanViewMovements
from api.serializers import MovementListQuerySerializer, MovementPageSerializer, MovementSerializer
from inventory.selectors import movement_list


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

"""JSON API v1: low-stock alerts (`GET /api/v1/stock/low/`)."""
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes

from api.fields import StringField
from api.exceptions import UNKNOWN
from api.openapi import BAD_INPUT, FORBIDDEN, PAGE_PARAMETERS, UNAUTHENTICATED
from api.pagination import paginated_response
from api.permissions import CanViewStock
from inventory.selectors import location_list
from purchasing.selectors import stock_alert_list


class PreferredSupplierSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = StringField()


class StockAlertRowSerializer(serializers.Serializer):
    """A stock row at or below its threshold, with what to reorder."""

    sku = StringField(source="variant.sku")
    product = StringField(source="variant.product.name")
    variant_name = StringField(source="variant.display_name")
    location = StringField(source="location.code")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField(source="available_qty")
    low_stock_threshold = serializers.IntegerField()
    is_low = serializers.BooleanField()
    is_out = serializers.BooleanField()
    reorder_quantity = serializers.IntegerField(help_text="0: twice the threshold.")
    is_critical = serializers.BooleanField(help_text="Nothing available.")
    suggested_quantity = serializers.IntegerField(
        help_text="The reorder quantity, else twice the threshold, raised to the preferred supplier's minimum order."
    )
    preferred_supplier = serializers.SerializerMethodField()

    @extend_schema_field(PreferredSupplierSerializer(allow_null=True))
    def get_preferred_supplier(self, level) -> dict | None:
        if level.preferred_supplier_id is None:
            return None
        return {"id": level.preferred_supplier_id, "name": level.preferred_supplier_name}


class StockAlertPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = StockAlertRowSerializer(many=True)


class StockAlertQuerySerializer(serializers.Serializer):
    q = StringField(required=False, allow_blank=True, max_length=200, help_text="Search name, SKU or barcode.")
    location = StringField(required=False, allow_blank=True, max_length=32, help_text="Location code.")
    critical = serializers.BooleanField(required=False, default=False, help_text="Only levels with nothing available.")

    def validate_location(self, value: str):
        if not value:
            return None
        location = location_list(active_only=False).filter(code=value).first()
        if location is None:
            raise serializers.ValidationError(f"Unknown location {value!r}.", code=UNKNOWN)
        return location


@extend_schema(
    operation_id="stock_low_list",
    summary="List low-stock alerts",
    description="Stock levels at or below their low-stock threshold, critical (nothing available) first, "
                "with the suggested reorder quantity and the preferred supplier.",
    tags=["stock"],
    parameters=[
        StockAlertQuerySerializer,
        *PAGE_PARAMETERS,
    ],
    responses={
        200: StockAlertPageSerializer,
        400: BAD_INPUT,
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
    },
)
@api_view(["GET"])
@permission_classes([CanViewStock])
def stock_low_list_view(request):
    query = StockAlertQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    filters = query.validated_data
    alerts = stock_alert_list(q=filters.get("q", ""), location=filters.get("location"),
                              critical_only=filters["critical"])
    return paginated_response(request, alerts, StockAlertRowSerializer)

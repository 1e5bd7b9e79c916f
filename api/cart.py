"""JSON API v1: cart validation — is a cart's every line in stock? Reads only; holds nothing.

Needs inventory.view_stocklevel. Availability comes from
inventory.selectors.stock_available_for_cart, in one query for the whole cart.
"""
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.response import Response

from api.openapi import BAD_INPUT, FORBIDDEN, UNAUTHENTICATED, WRITE_PARSERS
from api.permissions import CanValidateCart
from api.serializers import CartValidateResultSerializer, CartValidateSerializer
from core.exceptions import NotFound
from inventory.models import Location, Variant
from inventory.selectors import location_default, stock_available_for_cart, variant_get


def _variant_for_sale(sku: str) -> Variant | None:
    """The SKU's variant, or None when there is none or it is not for sale: a variant or product
    that is not for sale cannot be bought, so the shop front treats it as unknown."""
    try:
        variant = variant_get(sku=sku)
    except NotFound:
        return None
    return variant if variant.active and variant.product.active else None


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
    wanted: dict[tuple[str, Location], int] = {}
    keyed = []
    for line in lines:
        sku = line["sku"]
        if sku not in variants:
            variants[sku] = _variant_for_sale(sku)
        location = line.get("location")
        if location is None:
            default = default or location_default()
            location = default
        key = (sku, location)
        wanted[key] = wanted.get(key, 0) + line["quantity"]
        keyed.append((line, key))

    available = stock_available_for_cart(
        lines=[(variants[sku], location) for sku, location in wanted if variants[sku] is not None]
    )

    results = []
    for line, (sku, location) in keyed:
        variant = variants[sku]
        if variant is None:
            line_status, units = "unknown_sku", None
        else:
            units = available[(variant.pk, location.pk)]
            if units <= 0:
                line_status = "out_of_stock"
            elif wanted[(sku, location)] > units:
                line_status = "insufficient"
            else:
                line_status = "ok"
        results.append({"sku": sku, "quantity": line["quantity"], "status": line_status, "available": units})
    body = {"ok": all(result["status"] == "ok" for result in results), "lines": results}
    return Response(CartValidateResultSerializer(body).data)
